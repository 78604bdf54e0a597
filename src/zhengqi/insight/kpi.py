"""Performance assessment (绩效考核, F-18): each account manager's KPIs for a month, against their
annual targets and the time progress (时间进度), ranked within the reader's scope, with the customers
behind each manager's figures.

KPIs, for month M of year Y, over the customers a manager owns now (a reassignment moves a customer's
whole history with it):
- 信息化收入 (revenue_info): the customers' informatization revenue, year to date at M;
- 目标市场保有率 (retention): of the customers in service in the first month of Y with results
  (the year's target market), the share still in service at M (seed 000's definition);
- 成员在网率 (in_network): of the members in network at that first month, the share still in network at M,
  customer by customer (a customer counts at most the members it had then: one that grew does not
  make up for one that lost members), so it is at most 100 %;
- 任务完成率 (task_completion): of the manager's tasks due from 1 January to the end of M (not
  cancelled), the share done;
- 满意度 (satisfaction): of the survey answers of the customers dated from 1 January to the end of M
  (after a request, after a delivery, yearly), the share "satisfied"; "—" with no answer.
Rates are compared with their target as they are (a rate has no time progress); revenue's completion
is also compared with the time progress."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope, manages_region
from zhengqi.accounts.models import Region, User
from zhengqi.engine.months import Month
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import CustomerSnapshot, MonthRun
from zhengqi.support.models import Survey
from zhengqi.web.forms import bound_of, parse_amount, parse_rate

from .models import ManagerTarget

TARGET_BOUND = bound_of(ManagerTarget._meta.get_field("value"))

DEFAULT_RATE_TARGETS = {
    ManagerTarget.Metric.RETENTION: Decimal("0.95"),
    ManagerTarget.Metric.IN_NETWORK: Decimal("0.90"),
    ManagerTarget.Metric.TASK_COMPLETION: Decimal("0.90"),
}


@dataclass
class Kpi:
    manager: User
    customers: int
    revenue_info_ytd: Decimal
    revenue_target: Decimal | None
    target_market: int
    retained: int
    members_start: int
    members_now: int
    tasks_due: int
    tasks_done: int
    surveys: int = 0
    surveys_satisfied: int = 0
    targets: dict[str, Decimal] = field(default_factory=dict)
    ranks: dict[str, int] = field(default_factory=dict)

    @property
    def revenue_completion(self) -> float | None:
        return float(self.revenue_info_ytd / self.revenue_target) if self.revenue_target else None

    @property
    def retention(self) -> float | None:
        return self.retained / self.target_market if self.target_market else None

    @property
    def in_network(self) -> float | None:
        return self.members_now / self.members_start if self.members_start else None

    @property
    def task_completion(self) -> float | None:
        return self.tasks_done / self.tasks_due if self.tasks_due else None

    @property
    def satisfaction(self) -> float | None:
        return self.surveys_satisfied / self.surveys if self.surveys else None


def first_month_of_year(month: dt.date) -> dt.date | None:
    """The year's first month with results (January, or the first month run of the year)."""
    runs = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED, month__year=month.year, month__lte=month).order_by(
        "month"
    )
    return runs.values_list("month", flat=True).first()


def managers_in(user: User, region: Region | None) -> list[User]:
    """The account managers whose customers the user sees (in ``region``, if given)."""
    qs = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True)
    customers = customer_scope(user, prefix="customers__")
    qs = qs.filter(customers, customers__isnull=False)
    if region is not None:
        qs = qs.filter(customers__region__path__startswith=region.path)
    return list(qs.distinct().order_by("username"))


def kpis(user: User, month: dt.date, *, region: Region | None = None) -> list[Kpi]:
    """Every manager's KPIs for ``month`` in the user's scope, with their ranks (1 = best)."""
    managers = managers_in(user, region)
    start = first_month_of_year(month)
    scope = customer_scope(user, prefix="customer__")
    now = CustomerSnapshot.objects.filter(scope, month=month, customer__account_manager__in=managers)
    if region is not None:
        now = now.filter(customer__region__path__startswith=region.path)
    active = Q(features__status="active")
    by_now = {
        r["customer__account_manager"]: r
        for r in now.values("customer__account_manager")
        .annotate(n=Count("pk"), revenue=Sum("revenue_info_ytd"), members=Sum("members_active"))
        .order_by()
    }
    market: dict[int, dict[str, int]] = {}
    if start is not None:
        base = CustomerSnapshot.objects.filter(scope, month=start, customer__account_manager__in=managers).filter(
            active
        )
        if region is not None:
            base = base.filter(customer__region__path__startswith=region.path)
        kept = CustomerSnapshot.objects.filter(month=month, customer__in=base.values("customer")).filter(active)
        at_start = {}
        for customer_id, manager_id, members in base.values_list(
            "customer_id", "customer__account_manager", "members_active"
        ):
            row = market.setdefault(manager_id, {"n": 0, "members": 0, "kept": 0, "members_now": 0})
            row["n"] += 1
            row["members"] += members or 0
            at_start[customer_id] = members or 0
        for customer_id, manager_id, members in kept.values_list(
            "customer_id", "customer__account_manager", "members_active"
        ):
            row = market.setdefault(manager_id, {"n": 0, "members": 0, "kept": 0, "members_now": 0})
            row["kept"] += 1
            # Members a customer gained do not make up for members another lost: each customer
            # counts at most the members it had at the start, so the rate is at most 100 %.
            row["members_now"] += min(members or 0, at_start.get(customer_id, 0))
    last_day = Month.of(month).last
    tasks = (
        Task.objects.filter(assignee__in=managers, due__gte=dt.date(month.year, 1, 1), due__lte=last_day)
        .exclude(status=Task.Status.CANCELLED)
        .values("assignee")
        .annotate(n=Count("pk"), done=Count("pk", filter=Q(status=Task.Status.DONE)))
        .order_by()
    )
    by_tasks = {r["assignee"]: r for r in tasks}
    answers = Survey.objects.filter(
        scope, customer__account_manager__in=managers, date__gte=dt.date(month.year, 1, 1), date__lte=last_day
    )
    if region is not None:
        answers = answers.filter(customer__region__path__startswith=region.path)
    by_survey = {
        r["customer__account_manager"]: r
        for r in answers.values("customer__account_manager")
        .annotate(n=Count("pk"), ok=Count("pk", filter=Q(satisfied=True)))
        .order_by()
    }
    targets: dict[int, dict[str, Decimal]] = {}
    for t in ManagerTarget.objects.filter(manager__in=managers, year=month.year):
        targets.setdefault(t.manager_id, {})[t.metric] = t.value
    out = []
    for m in managers:
        n, mk, tk = by_now.get(m.pk, {}), market.get(m.pk, {}), by_tasks.get(m.pk, {})
        sv = by_survey.get(m.pk, {})
        mine = {**{k.value: v for k, v in DEFAULT_RATE_TARGETS.items()}, **targets.get(m.pk, {})}
        out.append(
            Kpi(
                manager=m,
                customers=n.get("n", 0),
                revenue_info_ytd=(n.get("revenue") or Decimal(0)).quantize(Decimal("0.01")),
                revenue_target=mine.get(ManagerTarget.Metric.REVENUE_INFO),
                target_market=mk.get("n", 0),
                retained=mk.get("kept", 0),
                members_start=mk.get("members", 0),
                members_now=mk.get("members_now", 0),
                tasks_due=tk.get("n", 0),
                tasks_done=tk.get("done", 0),
                surveys=sv.get("n", 0),
                surveys_satisfied=sv.get("ok", 0),
                targets=mine,
            )
        )
    rank(out)
    return out


RANKED = ("revenue_info_ytd", "revenue_completion", "retention", "in_network", "task_completion", "satisfaction")


def rank(rows: list[Kpi]) -> None:
    """Rank 1 is the best; equal values share a rank; a manager without a value is not ranked."""
    for key in RANKED:
        values = [v for r in rows if (v := getattr(r, key)) is not None]
        for r in rows:
            v = getattr(r, key)
            if v is not None:
                r.ranks[key] = 1 + sum(1 for other in values if other > v)


def target_save(*, by: User, manager: User, year: int, metric: str, value: object) -> ManagerTarget:
    """Set one annual KPI target of an account manager: the provincial admin for anyone, a regional
    manager for the account managers of their region. Rates may be given as 0–1 or as percentages."""
    if not (by.is_superuser or by.role == User.Role.PROVINCIAL_ADMIN or by.role == User.Role.REGIONAL_MANAGER):
        raise PermissionDenied(_("只有区域经理和省公司管理员可以设定考核目标。"))
    if manager.role != User.Role.ACCOUNT_MANAGER or not manages_region(by, manager.region):
        raise Http404(_("客户经理不存在或不在您的区域。"))
    if metric not in ManagerTarget.Metric.values:
        raise ValidationError({"metric": _("指标应为：%(m)s。") % {"m": "、".join(ManagerTarget.Metric.values)}})
    if not 2000 <= year <= 2100:
        raise ValidationError({"year": _("年度应在 2000–2100 之间。")})
    if metric == ManagerTarget.Metric.REVENUE_INFO:
        number = parse_amount(value, "value", _("目标"), high=TARGET_BOUND)
    else:
        number = parse_rate(value, "value", _("比率目标"))
    assert number is not None  # required: a blank target is refused
    target, _created = ManagerTarget.objects.update_or_create(
        manager=manager, year=year, metric=metric, defaults={"value": number, "updated_by": by}
    )
    return target


@dataclass(frozen=True)
class CustomerLine:
    customer_id: int
    code: str
    name: str
    tier: str
    revenue_info_ytd: Decimal
    members_now: int
    in_target_market: bool
    retained: bool


def customers_of(user: User, manager: User, month: dt.date) -> list[CustomerLine]:
    """The customers behind a manager's KPIs: this month's revenue to date and members, and whether
    each is in the year's target market and still in service."""
    start = first_month_of_year(month)
    scope = customer_scope(user, prefix="customer__")
    now = (
        CustomerSnapshot.objects.filter(scope, month=month, customer__account_manager=manager)
        .select_related("customer")
        .order_by("-revenue_info_ytd", "customer__code")
    )
    market = set()
    if start is not None:
        market = set(
            CustomerSnapshot.objects.filter(
                month=start, customer__account_manager=manager, features__status="active"
            ).values_list("customer_id", flat=True)
        )
    return [
        CustomerLine(
            customer_id=s.customer_id,
            code=s.customer.code,
            name=s.customer.name,
            tier=s.tier,
            revenue_info_ytd=s.revenue_info_ytd or Decimal(0),
            members_now=s.members_active or 0,
            in_target_market=s.customer_id in market,
            retained=s.customer_id in market and (s.features or {}).get("status") == "active",
        )
        for s in now
    ]


def own_kpi(user: User) -> dict[str, object]:
    """An account manager's own KPIs of the latest month with results (F-18), for the workbench;
    nothing for other roles or before the first month run."""
    from .figures import latest_month, time_progress

    month = latest_month()
    if month is None or user.role != User.Role.ACCOUNT_MANAGER:
        return {}
    mine = next((r for r in kpis(user, month) if r.manager.pk == user.pk), None)
    return {"my_kpi": mine, "kpi_month": month, "kpi_progress": time_progress(month)} if mine else {}
