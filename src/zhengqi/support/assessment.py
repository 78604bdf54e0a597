"""The support departments' monthly assessment (支撑体系考核, seed 000: “加强运营支撑体系各环节的考核管理”).

Grain: one row per department per month. A request counts for the department that held it when it
was **first resolved**, in the month of that resolution (a request sent back and resolved again is
not counted twice, and its reopening counts against the first resolver):

- ``resolved``: requests first resolved in the month; ``on_time``: of those, resolved by the deadline.
  The deadline is the customer's: a transfer never resets it.
- ``hours``: the hours the department **itself** held those requests before that first resolution —
  time in another department's queue (before a transfer to it) is not its handling time.
- ``reopened``: of those, sent back by the customer afterwards (at any time up to now).
- ``surveyed`` / ``satisfied`` / ``score``: closing surveys dated in the month on requests the
  department holds (resolved).
- ``escalations``: overdue escalations in the month while the department held the request.
- ``transfers_out``: requests it passed to another department in the month.

Who holds a request when: the department of its routing, then of each transfer (``RequestEvent``
with a department); a request with none (imported from the complaint system) is held by its
department from acceptance.

Targets (``SupportTarget``) are set by the province per year and metric, for all departments or one.
The ranking puts the departments that meet most targets first, then by on-time rate and satisfaction.

Whose requests count: all of them for the provincial admin and the departments' own users (the
ranking is the province's); a regional manager's or planner's figures cover their region's customers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope, sees_whole_province
from zhengqi.accounts.models import User
from zhengqi.web.forms import parse_amount, parse_rate

from .models import Department, RequestEvent, ServiceRequest, SupportTarget, Survey

Metric = SupportTarget.Metric


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month's first instant and the next month's, in the server's time zone."""
    first = month.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(after, dt.time.min))


def requests_counted_for(user: User) -> QuerySet[ServiceRequest]:
    if sees_whole_province(user) or matrix.role_of(user) == "department":
        return ServiceRequest.objects.all()
    if matrix.role_of(user) in matrix.STAFF:
        return ServiceRequest.objects.filter(customer_scope(user, prefix="customer__"))
    return ServiceRequest.objects.none()


@dataclass
class DepartmentMonth:
    department: Department
    resolved: int = 0
    on_time: int = 0
    hours_total: float = 0.0
    reopened: int = 0
    surveyed: int = 0
    satisfied: int = 0
    score_sum: int = 0
    scored: int = 0
    escalations: int = 0
    transfers_out: int = 0
    targets: dict[str, Decimal] = field(default_factory=dict)
    rank: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.resolved if self.resolved else None

    @property
    def hours(self) -> float | None:
        return round(self.hours_total / self.resolved, 1) if self.resolved else None

    @property
    def reopen_rate(self) -> float | None:
        return self.reopened / self.resolved if self.resolved else None

    @property
    def satisfaction(self) -> float | None:
        return self.satisfied / self.surveyed if self.surveyed else None

    @property
    def score(self) -> float | None:
        return round(self.score_sum / self.scored, 2) if self.scored else None

    def value(self, metric: str) -> float | None:
        return {
            Metric.ON_TIME: self.on_time_rate,
            Metric.HOURS: self.hours,
            Metric.REOPEN: self.reopen_rate,
            Metric.SATISFACTION: self.satisfaction,
        }[Metric(metric)]

    def met(self, metric: str) -> bool | None:
        """Whether the metric meets its target (None: no target, or nothing to measure)."""
        target, value = self.targets.get(metric), self.value(metric)
        if target is None or value is None:
            return None
        return value <= float(target) if metric in SupportTarget.LOWER_IS_BETTER else value >= float(target)

    @property
    def met_on_time(self) -> bool | None:
        return self.met(Metric.ON_TIME)

    @property
    def met_hours(self) -> bool | None:
        return self.met(Metric.HOURS)

    @property
    def met_reopen(self) -> bool | None:
        return self.met(Metric.REOPEN)

    @property
    def met_satisfaction(self) -> bool | None:
        return self.met(Metric.SATISFACTION)

    @property
    def targets_met(self) -> int:
        return sum(1 for m in Metric.values if self.met(m))

    @property
    def targets_set(self) -> int:
        return sum(1 for m in Metric.values if self.met(m) is not None)


def _marks(request: ServiceRequest, events: list[RequestEvent]) -> list[tuple[dt.datetime, str, int | None]]:
    """The request's takes by a department and its resolutions and reopenings, in the order they
    happened (``events`` in (at, pk) order: steps at the same instant keep their order)."""
    marks: list[tuple[dt.datetime, str, int | None]] = []
    if not any(e.department_id is not None for e in events):  # never passed on: its department throughout
        marks.append((request.created_at, "take", request.department_id))
    for e in events:
        if e.department_id is not None:
            marks.append((e.at, "take", e.department_id))
        elif e.kind in (RequestEvent.Kind.RESOLVED, RequestEvent.Kind.REOPENED):
            marks.append((e.at, e.kind, None))
    return marks


def holder_before(request: ServiceRequest, events: list[RequestEvent], index: int) -> int:
    """The department holding the request just before ``events[index]``."""
    taken = [e.department_id for e in events if e.department_id is not None]
    before = [e.department_id for e in events[:index] if e.department_id is not None]
    if before:
        return before[-1]
    return taken[0] if taken else request.department_id  # only later takes: its first department


def holder_at(request: ServiceRequest, events: list[RequestEvent], at: dt.datetime) -> int:
    """The department holding the request at ``at`` (after every step of that instant)."""
    return holder_before(request, events, sum(1 for e in events if e.at <= at))


def held_hours(request: ServiceRequest, events: list[RequestEvent], department_id: int, until: dt.datetime) -> float:
    """Hours ``department_id`` held the request between acceptance and ``until`` (time after a
    resolution and before a reopening is nobody's)."""
    holder, working, since, total = None, True, request.created_at, 0.0
    for at, kind, department in [*(m for m in _marks(request, events) if m[0] < until), (until, "end", None)]:
        if holder == department_id and working:
            total += max(0.0, (at - since).total_seconds())
        since = at
        if kind == "take":
            holder = department
        elif kind == RequestEvent.Kind.RESOLVED:
            working = False
        elif kind == RequestEvent.Kind.REOPENED:
            working = True
    return total / 3600


def first_resolution(request: ServiceRequest, events: list[RequestEvent]) -> tuple[dt.datetime | None, int]:
    """When the request was first resolved, and by which department's hands."""
    for index, e in enumerate(events):
        if e.kind == RequestEvent.Kind.RESOLVED:
            return e.at, holder_before(request, events, index)
    if request.resolved_at is None:  # imported tickets carry the date, not the step
        return None, request.department_id
    return request.resolved_at, holder_at(request, events, request.resolved_at)


def _reopened_after_first(events: list[RequestEvent], first: dt.datetime) -> bool:
    """Whether the customer sent it back after its first resolution (a step, or the imported date)."""
    index = next((i for i, e in enumerate(events) if e.kind == RequestEvent.Kind.RESOLVED), None)
    later = events[index + 1 :] if index is not None else [e for e in events if e.at >= first]
    return any(e.kind == RequestEvent.Kind.REOPENED for e in later)


def targets_of(year: int) -> QuerySet[SupportTarget]:
    """The year's targets as set, for the page's table."""
    return SupportTarget.objects.filter(year=year).select_related("department")


def departments() -> QuerySet[Department]:
    return Department.objects.order_by("code")


def department_by_code(code: str) -> Department:
    found = Department.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({"department": _("部门“%(c)s”不存在。") % {"c": code}})
    return found


def targets_for(year: int) -> dict[int | None, dict[str, Decimal]]:
    """The year's targets: by department id (None: all departments)."""
    found: dict[int | None, dict[str, Decimal]] = defaultdict(dict)
    for t in SupportTarget.objects.filter(year=year):
        found[t.department_id][t.metric] = t.value
    return found


def assessment(*, user: User, month: dt.date) -> list[DepartmentMonth]:
    """Every department's figures of ``month`` (the first of it), ranked."""
    start, end = month_bounds(month)
    counted = requests_counted_for(user)
    rows = {d.pk: DepartmentMonth(department=d) for d in Department.objects.order_by("code")}
    # Requests that may have been first resolved in the month, escalated, transferred or surveyed in it.
    touched = (
        RequestEvent.objects.filter(at__gte=start, at__lt=end)
        .filter(kind__in=[RequestEvent.Kind.RESOLVED, RequestEvent.Kind.ESCALATED, RequestEvent.Kind.TRANSFERRED])
        .values("request_id")
    )
    surveys = list(
        Survey.objects.filter(kind=Survey.Kind.REQUEST, request__isnull=False, date__gte=start.date())
        .filter(date__lt=end.date(), request__in=counted)
        .values_list("request_id", "satisfied", "score")
    )
    requests = list(
        counted.filter(
            Q(pk__in=touched) | Q(resolved_at__gte=start, resolved_at__lt=end) | Q(pk__in=[s[0] for s in surveys])
        )
    )
    events: dict[int, list[RequestEvent]] = defaultdict(list)
    for e in RequestEvent.objects.filter(request__in=[r.pk for r in requests]).order_by("at", "pk"):
        events[e.request_id].append(e)
    by_pk = {r.pk: r for r in requests}
    for r in requests:
        mine = events[r.pk]
        first, holder = first_resolution(r, mine)
        if first is not None and start <= first < end:
            row = rows.get(holder)
            if row is not None:
                row.resolved += 1
                row.on_time += first <= r.due_at
                row.hours_total += held_hours(r, mine, holder, first)
                row.reopened += _reopened_after_first(mine, first)
        for index, e in enumerate(mine):
            if not start <= e.at < end or e.kind not in (RequestEvent.Kind.ESCALATED, RequestEvent.Kind.TRANSFERRED):
                continue
            row = rows.get(holder_before(r, mine, index))
            if row is None:
                continue
            if e.kind == RequestEvent.Kind.ESCALATED:
                row.escalations += 1
            else:
                row.transfers_out += 1
    for request_id, satisfied, score in surveys:
        row = rows.get(by_pk[request_id].department_id)
        if row is None:
            continue
        row.surveyed += 1
        row.satisfied += bool(satisfied)
        if score is not None:
            row.score_sum += score
            row.scored += 1
    targets = targets_for(month.year)
    for row in rows.values():
        row.targets = {**targets.get(None, {}), **targets.get(row.department.pk, {})}
    ranked = sorted(
        rows.values(),
        key=lambda r: (
            -r.targets_met,
            -(r.on_time_rate if r.on_time_rate is not None else -1),
            -(r.satisfaction if r.satisfaction is not None else -1),
            r.department.code,
        ),
    )
    for k, row in enumerate(ranked, 1):
        row.rank = k
    return ranked


# --- targets ----------------------------------------------------------------------------------------

PERCENT_METRICS = frozenset({Metric.ON_TIME, Metric.REOPEN, Metric.SATISFACTION})


def parse_target(metric: str, raw: str) -> Decimal:
    """A target as typed: a rate as 95 or 95% or 0.95 (web.forms.parse_rate), hours as a number."""
    try:
        if metric in PERCENT_METRICS:
            rate = parse_rate(raw, "value", _("比率目标"))
            assert rate is not None  # required
            return rate.quantize(Decimal("0.001"))
        if raw.strip().endswith(("%", "％")):
            raise ValidationError({"value": _("平均处理时长的目标是小时数，不是百分比。")})
        hours = parse_amount(raw, "value", _("平均处理时长的目标"), unit="小时", places=Decimal("0.1"))
    except ValidationError as err:
        raise ValidationError(err.message_dict["value"][0]) from None
    assert hours is not None  # required
    if hours > 24 * 90:
        raise ValidationError(_("平均处理时长的目标不能超过 2160 小时。"))
    return hours


@transaction.atomic
def target_set(
    *, by: User, year: int, metric: str, value: str, department_id: int | None = None
) -> SupportTarget | None:
    """Set (or, with an empty value, remove) a target; only the provincial admin sets them."""
    if not sees_whole_province(by):
        raise PermissionDenied(_("支撑部门的考核目标由省公司管理员设定。"))
    errors: dict[str, str] = {}
    if metric not in Metric.values:
        errors["metric"] = _("请选择指标：按时办结率、平均处理时长、重办率或回访满意率。")
    if not 2000 <= year <= 2100:
        errors["year"] = _("年度应在 2000 至 2100 之间。")
    department = None
    if department_id:
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            errors["department"] = _("部门不存在。")
    if errors:
        raise ValidationError(errors)
    existing = SupportTarget.objects.filter(year=year, metric=metric, department=department)
    if not value.strip():
        existing.delete()
        return None
    try:
        parsed = parse_target(metric, value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages[0]}) from None
    target, _created = SupportTarget.objects.update_or_create(
        year=year, metric=metric, department=department, defaults={"value": parsed, "set_by": by}
    )
    return target
