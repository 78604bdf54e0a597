"""Tasks: created from alerts at the month run, closed by their assignee with an outcome."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.services import customer_correct
from zhengqi.marketing.models import Interaction, Task
from zhengqi.marketing.tasks.selectors import tasks_visible_to
from zhengqi.scoring.models import Alert

# Days an account manager has to act on an alert, by its severity.
DUE_DAYS = {"high": 3, "medium": 7, "low": 14}


# Stored as written (it marks the tasks a later run may bring back), shown as any outcome is.
RERUN_OUTCOME = "重跑后预警不再触发，自动取消。"


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
    # A task withdrawn by an earlier run of this month (its alert had stopped firing) comes back
    # when the alert does: runs in any order end with the tasks of runs in order.
    withdrawn = Task.objects.filter(
        source=Task.Source.ALERT, alert_month=month, status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME
    )
    Task.objects.filter(
        pk__in=[pk for pk, c, r in withdrawn.values_list("pk", "customer_id", "rule_code") if (c, r) in keys]
    ).update(status=Task.Status.OPEN, outcome="", closed_at=None)
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
        status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME, closed_at=timezone.now()
    )
    return len(new)


@transaction.atomic
def task_create(
    *,
    by: User,
    customer: Customer,
    title: str,
    due: dt.date,
    priority: str = Task.Priority.MEDIUM,
    assignee: User | None = None,
) -> Task:
    """A task set by hand: an account manager for themself, a regional manager for the customer's
    account manager (or another account manager of the region)."""
    from zhengqi.accounts.access import customer_scope

    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权为该客户创建任务。"))
    if by.role == User.Role.ACCOUNT_MANAGER:
        assignee = by
    assignee = assignee or customer.account_manager
    if assignee is None:
        raise ValidationError({"assignee": _("该客户还没有客户经理，请先指定负责人。")})
    if assignee.role != User.Role.ACCOUNT_MANAGER or not assignee.is_active:
        raise ValidationError({"assignee": _("任务只能派给在职的客户经理。")})
    if due < timezone.localdate():
        raise ValidationError({"due": _("截止日期不能早于今天。")})
    task = Task(
        customer=customer,
        assignee=assignee,
        title=title.strip(),
        due=due,
        priority=priority,
        source=Task.Source.MANUAL,
        created_by=by,
    )
    task.full_clean()
    task.save()
    return task


@transaction.atomic
def tasks_escalate(*, today: dt.date | None = None) -> int:
    """The daily job: each open task past its due date goes, once, to the nearest regional manager
    above its customer's region (district before city). Re-running the same day changes nothing."""
    today = today or timezone.localdate()
    managers = sorted(
        User.objects.filter(role=User.Role.REGIONAL_MANAGER, is_active=True, region__isnull=False).select_related(
            "region"
        ),
        key=lambda u: -len(u.region.path),  # type: ignore[union-attr]  # managers are filtered to those with a region above
    )
    late = Task.objects.filter(status=Task.Status.OPEN, due__lt=today, escalated_at__isnull=True).select_related(
        "customer__region"
    )
    now = timezone.now()
    escalated: list[Task] = []
    for task in late.iterator(chunk_size=2000):
        path = task.customer.region.path
        manager = next((m for m in managers if path.startswith(m.region.path)), None)  # type: ignore[union-attr]  # managers are filtered to those with a region above
        if manager is not None:
            task.escalated_to, task.escalated_at = manager, now
            escalated.append(task)
    Task.objects.bulk_update(escalated, ["escalated_to", "escalated_at"], batch_size=2000)
    return len(escalated)


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
    corrections: dict[str, Any] | None = None,
) -> Interaction:
    """Record a visit/call/meeting/e-mail; close the task it came from with its outcome; turn the
    next step into a new task when it has a date; apply corrections of the customer's data (kept
    field by field in its history). Nothing is saved if any part is refused."""
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
    if corrections:
        customer_correct(customer=customer, by=by, **corrections)
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
            created_by=by,
        )
    return interaction


def tasks_for_new_alerts(*, month: dt.date, **_: object) -> dict[str, int]:
    """Receiver of the month run's ``alerts_opened``: the month's tasks, counted for the run."""
    return {"tasks_created": tasks_from_alerts(month=month)}


def close_expiry_work(*, contract: Any, replaced: Any, by: User, **signal: object) -> dict[str, int]:
    """Receiver of the customers app's ``contract_renewed``: the customer's open alerts on an expiring
    agreement (rules that read ``contract_days_left``, e.g. R01 协议即将到期) are resolved this month,
    and their open tasks done with the renewal as the outcome."""
    from zhengqi.scoring.models import Rule

    codes = list(Rule.objects.filter(expression__contains="contract_days_left").values_list("code", flat=True))
    month = timezone.localdate().replace(day=1)
    resolved = Alert.objects.filter(
        customer_id=contract.customer_id, status=Alert.Status.OPEN, rule_code__in=codes
    ).update(status=Alert.Status.RESOLVED, resolved_month=month)
    outcome = _("已续签协议 %(number)s（%(start)s 至 %(end)s），替代 %(old)s。") % {
        "number": contract.number,
        "start": contract.start,
        "end": contract.end,
        "old": replaced.number,
    }
    open_tasks = Task.objects.filter(
        customer_id=contract.customer_id, status=Task.Status.OPEN, source=Task.Source.ALERT, rule_code__in=codes
    )
    closed = open_tasks.update(status=Task.Status.DONE, outcome=outcome, closed_at=timezone.now())
    return {"alerts_resolved": resolved, "tasks_closed": closed}
