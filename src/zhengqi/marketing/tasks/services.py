"""Tasks: created from alerts at the month run, closed by their assignee with an outcome."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.customers.contracts import photo_check
from zhengqi.customers.models import Customer
from zhengqi.customers.services import customer_correct
from zhengqi.customers.versions import customers_changed, data_changed
from zhengqi.db import insert_rows
from zhengqi.marketing.models import Interaction, Task
from zhengqi.marketing.tasks.selectors import RERUN_OUTCOME, task_backlog, tasks_visible_to
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import Note, notify, notify_each
from zhengqi.scoring.models import COMPETITOR_CODE, Alert
from zhengqi.scoring.selectors import alert_makes_task, task_rule_codes, with_priority

# Days an account manager has to act on an alert, by its severity.
DUE_DAYS = {"high": 3, "medium": 7, "low": 14}


@transaction.atomic
def tasks_from_alerts(*, month: dt.date, today: dt.date | None = None, capacity: int | None = None) -> dict[str, int]:
    """Turn the month's alerts into work people can do (seed 002 §6.4, issue 23).

    Only alerts whose rule makes tasks do (挽留/防范/发展 by default, or as the rule says); the others
    only mark the customer. Each person gets at most ``capacity`` tasks from one month's run
    (``ZHENGQI_TASKS_PER_MANAGER``), the highest priority first (value × risk × severity,
    ``scoring.selectors.with_priority``); the rest wait in the backlog — open alerts without a task —
    and compete again next month, or are taken by hand. A customer without an account manager sends
    its tasks to the nearest regional manager above it.

    Re-running a month (or an earlier one) first withdraws the open tasks that month's runs issued,
    then issues again: any order of runs ends with the tasks of runs in order, and a task that comes
    back keeps its due date. Tasks people closed still count against the month's capacity."""
    today = today or timezone.localdate()
    capacity = int(settings.ZHENGQI_TASKS_PER_MANAGER) if capacity is None else capacity
    alert_tasks = Task.objects.filter(source=Task.Source.ALERT)
    # The open tasks this month's runs (or later months') issued are withdrawn, then issued again
    # where their alert comes back. Worked out in memory: only the tasks that change are written (a
    # re-run of a province's month issues nearly the same thirteen thousand tasks again).
    reissuable = Q(status=Task.Status.OPEN, issued_month__gte=month)
    withdrawn = alert_tasks.filter(status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME)
    used = Counter(
        dict(
            alert_tasks.filter(issued_month=month)
            .exclude(status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME)
            .exclude(reissuable)
            .values("assignee_id")
            .annotate(n=Count("pk"))
            .values_list("assignee_id", "n")
        )
    )
    firing = Alert.objects.filter(status=Alert.Status.OPEN, last_month=month)
    policies = task_rule_codes()
    prioritised: Any = with_priority(firing)  # "priority" is an annotation the type checker cannot see
    rows = list(
        prioritised.values(
            "pk",
            "customer_id",
            "rule_code",
            "rule_name",
            "family",
            "severity",
            "first_month",
            "priority",
            "customer__account_manager_id",
            "customer__account_manager__is_active",
            "customer__region__path",
        ).order_by("-priority", "customer_id", "rule_code")
    )
    candidates = [row for row in rows if alert_makes_task(row["family"], row["rule_code"], policies)]
    marked = sum(
        1
        for row in rows
        if row["first_month"] == month
        and row["rule_code"] != COMPETITOR_CODE
        and not alert_makes_task(row["family"], row["rule_code"], policies)
    )
    since = min((row["first_month"] for row in candidates), default=month)
    live = set(
        alert_tasks.filter(alert_month__gte=since)
        .exclude(status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME)
        .exclude(reissuable)
        .values_list("customer_id", "rule_code", "alert_month")
    )
    back = {
        (c, r, m): pk
        for pk, c, r, m in withdrawn.filter(alert_month__gte=since).values_list(
            "pk", "customer_id", "rule_code", "alert_month"
        )
    }
    # pk → (assignee, priority, issued month) of the open tasks a re-run may issue again.
    standing: dict[int, tuple[int, str, dt.date | None]] = {}
    for pk, c, r, m, assignee, priority, issued in alert_tasks.filter(reissuable).values_list(
        "pk", "customer_id", "rule_code", "alert_month", "assignee_id", "priority", "issued_month"
    ):
        back[(c, r, m)] = pk
        standing[pk] = (assignee, priority, issued)
    managers = regional_managers()
    new: list[Task] = []
    reopened: dict[int, tuple[int, str]] = {}
    backlog = to_regional = 0
    for row in candidates:
        key = (row["customer_id"], row["rule_code"], row["first_month"])
        if key in live:
            continue  # one task per alert: already on someone's list, or done
        assignee_id = row["customer__account_manager_id"] if row["customer__account_manager__is_active"] else None
        if assignee_id is None:
            assignee_id = nearest_manager(row["customer__region__path"], managers)
            if assignee_id is None:
                backlog += 1  # nobody above the customer either: it waits until someone takes it
                continue
            to_regional += 1
        if used[assignee_id] >= capacity:
            backlog += 1
            continue
        used[assignee_id] += 1
        if key in back:
            reopened[back[key]] = (assignee_id, row["severity"])
            continue
        new.append(
            Task(
                customer_id=row["customer_id"],
                assignee_id=assignee_id,
                source=Task.Source.ALERT,
                rule_code=row["rule_code"],
                alert_month=row["first_month"],
                issued_month=month,
                priority=row["severity"],
                title=(_("处理预警：%(rule)s") % {"rule": row["rule_name"]})[:200],
                due=today + dt.timedelta(days=DUE_DAYS.get(row["severity"], 7)),
            )
        )
    insert_rows(Task, new)
    _withdraw([pk for pk in standing if pk not in reopened])
    _reopen({pk: v for pk, v in reopened.items() if pk not in standing}, month)
    _reissue({pk: v for pk, v in reopened.items() if pk in standing}, standing, month)
    per_person = Counter([*(t.assignee_id for t in new), *(assignee for assignee, _priority in reopened.values())])
    notify_each(  # one query for all, not one a person: a province's month run tells a thousand people
        Kind.TASK_ASSIGNED,
        [
            Note(
                person,
                _("%(month)s 新派给您的任务 %(n)d 项") % {"month": f"{month:%Y-%m}", "n": n},
                _("来自月度运行的预警，按风险和价值排在前面的先办。"),
                reverse("marketing:tasks"),
                f"tasks-issued:{month:%Y-%m}",
            )
            for person, n in per_person.items()
            if person is not None
        ],
    )
    data_changed()  # tasks written in bulk: every workbench is stale
    return {
        "tasks_created": len(new) + len(reopened),
        "tasks_backlog": backlog,
        "tasks_to_regional": to_regional,
        "alerts_marked": marked,
    }


BATCH = 5000  # ids in one UPDATE's IN list


def _withdraw(pks: list[int]) -> None:
    """Cancel the open tasks a re-run did not issue again (their alert is gone, or others came first)."""
    now = timezone.now()
    for start in range(0, len(pks), BATCH):
        Task.objects.filter(pk__in=pks[start : start + BATCH]).update(
            status=Task.Status.CANCELLED, outcome=RERUN_OUTCOME, closed_at=now
        )


def _reissue(
    kept: dict[int, tuple[int, str]], standing: dict[int, tuple[int, str, dt.date | None]], month: dt.date
) -> None:
    """Open tasks issued again: only those whose assignee, priority or issuing month moved are written."""
    moved: dict[tuple[int, str], list[int]] = {}
    for pk, (assignee, priority) in kept.items():
        if standing[pk] != (assignee, priority, month):
            moved.setdefault((assignee, priority), []).append(pk)
    for (assignee, priority), ids in moved.items():
        for start in range(0, len(ids), BATCH):
            Task.objects.filter(pk__in=ids[start : start + BATCH]).update(
                assignee_id=assignee, priority=priority, issued_month=month
            )


def _reopen(reopened: dict[int, tuple[int, str]], month: dt.date) -> None:
    """Open again the withdrawn tasks that came back (task id → its assignee and priority now), as
    sets: one UPDATE for every few thousand of them, and one per (assignee, priority) for those whose
    assignee or priority moved (a re-run of a month moves few). ``bulk_update``'s CASE per row took
    most of a province's re-run."""
    pks = sorted(reopened)
    moved: dict[tuple[int, str], list[int]] = {}
    for start in range(0, len(pks), BATCH):
        batch = pks[start : start + BATCH]
        for pk, assignee, priority in Task.objects.filter(pk__in=batch).values_list("pk", "assignee_id", "priority"):
            if reopened[pk] != (assignee, priority):
                moved.setdefault(reopened[pk], []).append(pk)
        reopen = {"status": Task.Status.OPEN, "outcome": "", "closed_at": None, "issued_month": month}
        Task.objects.filter(pk__in=batch).update(**reopen)
    for (assignee, priority), ids in moved.items():
        for start in range(0, len(ids), BATCH):
            Task.objects.filter(pk__in=ids[start : start + BATCH]).update(assignee_id=assignee, priority=priority)


@transaction.atomic
def task_take(*, alert: Alert, by: User) -> Task:
    """Take an alert from the backlog: a task for the user (an account manager, or a regional
    manager for a customer nobody looks after), due as its severity says. It is not one of a month
    run's tasks, so it does not count against the capacity and a re-run leaves it alone."""
    if not task_backlog(by).filter(pk=alert.pk).exists():
        raise ValidationError(_("该预警已有任务或已消除，不在待办池中。"))
    if by.role not in (User.Role.ACCOUNT_MANAGER, User.Role.REGIONAL_MANAGER):
        raise PermissionDenied(_("只有客户经理或区域经理可以领取待办。"))
    key = {"customer_id": alert.customer_id, "rule_code": alert.rule_code, "alert_month": alert.first_month}
    due = timezone.localdate() + dt.timedelta(days=DUE_DAYS.get(alert.severity, 7))
    task = Task.objects.filter(source=Task.Source.ALERT, **key).first()  # withdrawn by a re-run
    if task is None:
        task = Task(source=Task.Source.ALERT, **key)
    task.assignee, task.priority, task.due, task.created_by = by, alert.severity, due, by
    task.title = (_("处理预警：%(rule)s") % {"rule": alert.rule_name})[:200]
    task.status, task.outcome, task.closed_at, task.issued_month = Task.Status.OPEN, "", None, None
    task.save()
    return task


def regional_managers() -> list[tuple[str, int]]:
    """(region path, user id) of the active regional managers, deepest region first."""
    rows = User.objects.filter(role=User.Role.REGIONAL_MANAGER, is_active=True, region__isnull=False).values_list(
        "region__path", "pk"
    )
    return sorted(rows, key=lambda row: (-len(row[0]), row[1]))


def nearest_manager(path: str, managers: list[tuple[str, int]]) -> int | None:
    """The regional manager of the deepest region above (or at) ``path``: district before city."""
    return next((pk for region, pk in managers if path.startswith(region)), None)


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
    managers = regional_managers()
    late = Task.objects.filter(status=Task.Status.OPEN, due__lt=today, escalated_at__isnull=True).select_related(
        "customer__region"
    )
    now = timezone.now()
    escalated: list[Task] = []
    for task in late.iterator(chunk_size=2000):
        manager = nearest_manager(task.customer.region.path, managers)
        if manager is not None and manager != task.assignee_id:
            task.escalated_to_id, task.escalated_at = manager, now
            escalated.append(task)
    Task.objects.bulk_update(escalated, ["escalated_to_id", "escalated_at"], batch_size=2000)
    for manager, n in Counter(t.escalated_to_id for t in escalated).items():
        notify(
            [manager],
            Kind.ESCALATION,
            _("有 %(n)d 项逾期任务上报给您") % {"n": n},
            body=_("客户经理未按期办结，请督促或转派。"),
            link=reverse("portal:workbench") + "#escalated",
        )
    if escalated:
        data_changed()  # tasks written in bulk: every workbench is stale
    return len(escalated)


class BulkAction:
    REASSIGN = "reassign"
    RESCHEDULE = "reschedule"
    CANCEL = "cancel"
    CLOSE = "close"
    MANAGED = (REASSIGN, RESCHEDULE, CANCEL)  # a manager's, with a reason
    ALL = (REASSIGN, RESCHEDULE, CANCEL, CLOSE)


@transaction.atomic
def tasks_bulk(
    *,
    by: User,
    task_ids: list[int],
    action: str,
    reason: str = "",
    to: User | None = None,
    due: dt.date | None = None,
) -> int:
    """Work several open tasks at once — all of them, or (any refused) none, every refusal named.

    A regional manager or the provincial admin reassigns them to an account manager of their region
    (or to themself), moves their due date, or cancels them, with a reason kept in each task's
    history; anyone closes the tasks they may close with one outcome (``reason``)."""
    from auditlog.context import set_actor

    from zhengqi.customers.selectors import account_managers_visible_to

    if action not in BulkAction.ALL:
        raise ValidationError(_("请选择要执行的操作。"))
    ids = set(task_ids)
    if not ids:
        raise ValidationError(_("请先勾选任务。"))
    manager = by.is_superuser or by.role in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN)
    if action in BulkAction.MANAGED and not manager:
        raise PermissionDenied(_("只有区域经理或省公司管理员可以批量转派、改期或取消任务。"))
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            {"reason": _("关闭任务需要填写处理结果。") if action == BulkAction.CLOSE else _("请填写原因。")}
        )
    tasks = list(tasks_visible_to(by).filter(pk__in=ids, status=Task.Status.OPEN).order_by("pk"))
    if len(tasks) != len(ids):
        raise ValidationError(_("所选任务中有的不存在、已关闭或无权处理，未做任何调整。"))
    if action == BulkAction.REASSIGN:
        if to is None:
            raise ValidationError({"to": _("请选择接手的客户经理。")})
        if to.pk != by.pk and not account_managers_visible_to(by).filter(pk=to.pk).exists():
            raise ValidationError({"to": _("只能转给本区域在职的客户经理（或您自己）。")})
    if action == BulkAction.RESCHEDULE and (due is None or due < timezone.localdate()):
        raise ValidationError({"due": _("新的截止日期不能为空，也不能早于今天。")})
    with set_actor(by):
        for task in tasks:
            task._note = reason  # type: ignore[attr-defined]  # read by Task.get_additional_data
            if action == BulkAction.CLOSE:
                task_close(task=task, by=by, outcome=reason)
                continue
            if action == BulkAction.REASSIGN:
                assert to is not None
                task.assignee = to
            elif action == BulkAction.RESCHEDULE:
                assert due is not None
                task.due = due
            else:
                task.status, task.closed_at = Task.Status.CANCELLED, timezone.now()
                task.outcome = _("已取消：%(reason)s") % {"reason": reason}
            task.save(update_fields=["assignee", "due", "status", "outcome", "closed_at"])
    if action == BulkAction.REASSIGN and to is not None and to.pk != by.pk:
        notify(
            [to],
            Kind.TASK_ASSIGNED,
            _("%(who)s 转给您 %(n)d 项任务") % {"who": by.display_name or by.username, "n": len(tasks)},
            body=_("原因：%(reason)s") % {"reason": reason},
            link=reverse("marketing:tasks"),
        )
    return len(tasks)


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
    photo: UploadedFile | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
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
    _check_place(latitude, longitude)
    if photo is not None:
        photo_check(photo)
    interaction = Interaction(
        customer=customer,
        by=by,
        kind=kind,
        date=date,
        summary=summary.strip(),
        outcome=outcome.strip(),
        next_step=next_step.strip(),
        task=task,
        latitude=latitude,
        longitude=longitude,
    )
    interaction.full_clean(exclude=["photo"])
    if corrections:
        customer_correct(customer=customer, by=by, **corrections)
    if photo is not None:
        interaction.photo.save(photo.name or "visit.jpg", photo, save=False)
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


def _check_place(latitude: Decimal | None, longitude: Decimal | None) -> None:
    """Where the phone was: both coordinates or neither, each on the globe."""
    if (latitude is None) != (longitude is None):
        raise ValidationError({"latitude": _("位置需要同时有纬度和经度；请重新获取位置或不记录位置。")})
    if latitude is not None and longitude is not None and not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValidationError({"latitude": _("位置无效：纬度应在 -90 到 90 之间，经度应在 -180 到 180 之间。")})


@transaction.atomic
def interaction_photo_attach(*, by: User, pk: int, upload: UploadedFile) -> Interaction:
    """Add (or replace) the photo of a contact its recorder, or a manager over the customer, keeps."""
    from django.http import Http404

    from zhengqi.accounts.access import customer_scope

    interaction = (
        Interaction.objects.select_for_update(of=("self",))
        .filter(customer__in=Customer.objects.filter(customer_scope(by)), pk=pk)
        .first()
    )
    if interaction is None:
        raise Http404(_("接触记录不存在或无权查看。"))
    if interaction.by_id != by.pk and by.role not in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN):
        raise PermissionDenied(_("只有记录人或区域经理可以为接触记录添加照片。"))
    photo_check(upload)
    old = interaction.photo.name if interaction.photo else ""
    interaction.photo.save(upload.name or "visit.jpg", upload, save=False)
    interaction.save(update_fields=["photo"])
    if old:
        transaction.on_commit(lambda: interaction.photo.storage.delete(old))
    return interaction


def interaction_photo_open(*, by: User, pk: int) -> tuple[Any, str]:
    """A visit's photo, for a user who may see its customer (404 otherwise, as for a missing one)."""
    from django.http import Http404

    from zhengqi.accounts.access import customer_scope

    interaction = Interaction.objects.filter(customer__in=Customer.objects.filter(customer_scope(by)), pk=pk).first()
    if interaction is None or not interaction.photo:
        raise Http404(_("照片不存在或无权查看。"))
    return interaction.photo.open("rb"), interaction.photo.name.rsplit("/", 1)[-1]


def tasks_for_new_alerts(*, month: dt.date, **_: object) -> dict[str, int]:
    """Receiver of the month run's ``alerts_opened``: the month's tasks, counted for the run."""
    return tasks_from_alerts(month=month)


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
    customers_changed([contract.customer_id])  # its alerts, resolved in bulk
    return {"alerts_resolved": resolved, "tasks_closed": closed}
