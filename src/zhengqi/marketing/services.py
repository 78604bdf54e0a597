"""Tasks: created from alerts at the month run, closed by their assignee with an outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.insight.models import Alert

from .models import Task

# Days an account manager has to act on an alert, by its severity.
DUE_DAYS = {"high": 3, "medium": 7, "low": 14}


@transaction.atomic
def tasks_from_alerts(*, month: dt.date, today: dt.date | None = None) -> int:
    """One task per alert opened in ``month``, for the customer's account manager. Re-running the
    month creates no second task; a task whose alert no longer exists is cancelled if still open."""
    today = today or timezone.localdate()
    alerts = list(Alert.objects.filter(first_month=month).select_related("customer"))
    keys = {(a.customer_id, a.rule_code) for a in alerts}
    existing = set(
        Task.objects.filter(source=Task.Source.ALERT, alert_month=month).values_list("customer_id", "rule_code")
    )
    new = [
        Task(
            customer=a.customer,
            assignee_id=a.customer.account_manager_id,
            source=Task.Source.ALERT,
            rule_code=a.rule_code,
            alert_month=month,
            priority=a.severity,
            title=_("处理预警：%(rule)s") % {"rule": a.rule_name},
            due=today + dt.timedelta(days=DUE_DAYS.get(a.severity, 7)),
        )
        for a in alerts
        if (a.customer_id, a.rule_code) not in existing and a.customer.account_manager_id is not None
    ]
    Task.objects.bulk_create(new, batch_size=2000)
    stale = [
        pk
        for pk, customer_id, rule_code in Task.objects.filter(
            source=Task.Source.ALERT, alert_month=month, status=Task.Status.OPEN
        ).values_list("pk", "customer_id", "rule_code")
        if (customer_id, rule_code) not in keys
    ]
    Task.objects.filter(pk__in=stale).update(
        status=Task.Status.CANCELLED, outcome=_("重跑后预警不再触发，自动取消。"), closed_at=timezone.now()
    )
    return len(new)


def tasks_visible_to(user: User) -> QuerySet[Task]:
    """An account manager's own tasks; managers see the tasks in their region subtree."""
    from zhengqi.accounts.access import customer_scope

    qs = Task.objects.select_related("customer", "assignee")
    if user.role == User.Role.ACCOUNT_MANAGER:
        return qs.filter(assignee=user)
    return qs.filter(customer_scope(user, prefix="customer__"))


@transaction.atomic
def task_close(*, task: Task, by: User, outcome: str) -> Task:
    if task.assignee_id != by.pk and not tasks_visible_to(by).filter(pk=task.pk).exists():
        raise PermissionDenied(_("您无权关闭该任务。"))
    if task.status != Task.Status.OPEN:
        raise ValidationError(_("任务已关闭。"))
    if not outcome.strip():
        raise ValidationError({"outcome": _("关闭任务需要填写处理结果。")})
    task.status, task.outcome, task.closed_at = Task.Status.DONE, outcome.strip(), timezone.now()
    task.save(update_fields=["status", "outcome", "closed_at"])
    return task
