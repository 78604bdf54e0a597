"""Tasks: created from alerts at the month run, closed by their assignee with an outcome."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.insight.models import Alert

from .models import Interaction, Task

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


@transaction.atomic
def interaction_log(
    *,
    by: User,
    customer: Customer,
    kind: str,
    date: dt.date,
    key_person_ids: list[int],
    summary: str,
    outcome: str = "",
    next_step: str = "",
    next_due: dt.date | None = None,
    task: Task | None = None,
) -> Interaction:
    """Record a visit/call/meeting/e-mail; close the task it came from with its outcome; turn the
    next step into a new task when it has a date. Nothing is saved if any part is refused."""
    from zhengqi.accounts.access import customer_scope

    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权为该客户记录接触。"))
    people = list(customer.key_persons.filter(pk__in=key_person_ids))
    if len(people) != len(set(key_person_ids)):
        raise ValidationError({"key_persons": _("所选关键人不属于该客户。")})
    if next_step.strip() and next_due is None:
        raise ValidationError({"next_due": _("下一步需要一个日期，才能生成任务。")})
    interaction = Interaction(
        customer=customer,
        by=by,
        kind=kind,
        date=date,
        summary=summary.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        task=task,
    )
    interaction.full_clean()
    interaction.save()
    interaction.key_persons.set(people)
    if task is not None:
        if task.customer_id != customer.pk:
            raise ValidationError({"task": _("任务与客户不符。")})
        task_close(task=task, by=by, outcome=outcome or summary)
    if next_step.strip() and next_due is not None:
        Task.objects.create(
            customer=customer,
            assignee=customer.account_manager or by,
            title=next_step.strip(),
            source=Task.Source.MANUAL,
            priority=Task.Priority.MEDIUM,
            due=next_due,
        )
    return interaction
