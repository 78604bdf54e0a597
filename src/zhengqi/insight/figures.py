"""The numbers behind the dashboards and the monthly report, added up in the database from the
month run's snapshots (one row per customer and month) and rolled up the region tree.

Every query starts from :func:`snapshots`, which applies the user's row-level scope and the page's
filters, so a district manager's figures sum only their district.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope, sees_whole_province
from zhengqi.accounts.models import Region, User
from zhengqi.customers import versions
from zhengqi.engine.months import Month, MonthError
from zhengqi.engine.value.tiers import TIERS
from zhengqi.scoring.models import COUNT_MEASURES, MONEY_MEASURES, CustomerSnapshot, MonthRun

from .models import Metric, Target


class FilterError(ValueError):
    """A filter the user may not use or that names nothing (the message is for the user)."""


@dataclass(frozen=True)
class Filters:
    """What a dashboard or report is about: a month and a slice of the customers."""

    month: dt.date
    region: Region | None = None  # a node inside the user's scope; None = all the user sees
    tier: str = ""
    industry: str = ""
    customer_type: str = ""

    @property
    def slices_customers(self) -> bool:
        """True when the figures are of a kind of customer, not of a whole region (then a region's
        target does not apply to them)."""
        return bool(self.tier or self.industry or self.customer_type)

    def query(self) -> dict[str, str]:
        q = {"month": f"{self.month:%Y-%m}"}
        if self.region is not None:
            q["region"] = self.region.code
        for name in ("tier", "industry", "customer_type"):
            if getattr(self, name):
                q[name] = getattr(self, name)
        return q


def time_progress(month: dt.date) -> float:
    """时间进度: the share of the year elapsed at the end of ``month`` (25% at the end of March)."""
    return month.month / 12


def months_available() -> list[dt.date]:
    """The months with results, newest first: those of a successful month run (its write-back is
    its last step), read from the small table of runs rather than the snapshots."""
    runs = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month")
    return list(runs.values_list("month", flat=True).distinct())


def latest_month() -> dt.date | None:
    months = months_available()
    return months[0] if months else None


def scope_key(user: User) -> str:
    """Users with the same key see the same customers (for caching figures between them)."""
    if sees_whole_province(user):
        return "province"
    if user.role == User.Role.ACCOUNT_MANAGER:
        return f"am:{user.pk}"
    return f"region:{user.region.path if user.region else '-'}:{user.role}"


def data_version() -> str:
    """Changes whenever the figures may: a month run finishes, an import or a bulk change is
    written, a customer record or a target is saved (:mod:`zhengqi.customers.versions`) — a token
    from the cache, not a query."""
    return versions.data_version()


def scope_root(user: User) -> Region | None:
    """The region a user's figures are of: the province for the province, else their own node."""
    if sees_whole_province(user):
        return Region.objects.filter(parent__isnull=True).order_by("path").first()
    return user.region


def make_filters(
    user: User,
    *,
    month: str | dt.date | None = None,
    region: str = "",
    tier: str = "",
    industry: str = "",
    customer_type: str = "",
) -> Filters:
    """Filters from a request's parameters, checked: a bad month, a region outside the user's
    scope or an unknown tier is refused with a message in Chinese."""
    from zhengqi.customers.models import INDUSTRIES, Customer

    if isinstance(month, dt.date):
        chosen = month.replace(day=1)
    elif month:
        try:
            chosen = Month.parse(month).first
        except MonthError:
            raise FilterError(_("月份“%(m)s”格式不对，应为 YYYY-MM（例如 2026-10）。") % {"m": month}) from None
    else:
        found = latest_month()
        if found is None:
            raise FilterError(_("还没有月度运行结果：请先运行月度计算。"))
        chosen = found
    if chosen not in months_available():
        raise FilterError(_("%(m)s 还没有月度运行结果：请先运行该月的月度计算。") % {"m": f"{chosen:%Y-%m}"})
    node = None
    if region:
        node = Region.objects.filter(code=region).first()
        root = scope_root(user)
        if node is None or root is None or not node.path.startswith(root.path):
            raise FilterError(_("区域“%(r)s”不存在或不在您的权限范围内。") % {"r": region})
    if tier and tier not in TIERS:
        raise FilterError(_("价值等级“%(t)s”不存在（A+ / A / B / C）。") % {"t": tier})
    if industry and industry not in dict(INDUSTRIES):
        raise FilterError(_("行业“%(i)s”不存在。") % {"i": industry})
    if customer_type and customer_type not in Customer.Type.values:
        raise FilterError(_("客户类型“%(c)s”不存在。") % {"c": customer_type})
    return Filters(chosen, node, tier, industry, customer_type)


def snapshots(user: User, f: Filters, *, month: dt.date | None = None) -> QuerySet[CustomerSnapshot]:
    """The snapshots of the filtered customers the user may see, for ``f.month`` (or ``month``)."""
    qs = CustomerSnapshot.objects.filter(month=month or f.month).filter(customer_scope(user, prefix="customer__"))
    if f.region is not None:
        qs = qs.filter(customer__region__path__startswith=f.region.path)
    if f.tier:
        qs = qs.filter(tier=f.tier)
    if f.industry:
        qs = qs.filter(customer__industry=f.industry)
    if f.customer_type:
        qs = qs.filter(customer__customer_type=f.customer_type)
    return qs


MEASURES = (*MONEY_MEASURES, *COUNT_MEASURES)


def totals(qs: QuerySet[CustomerSnapshot]) -> dict[str, Decimal | int]:
    got = qs.aggregate(customers=Count("id", filter=Q(revenue__gt=0)), **{name: Sum(name) for name in MEASURES})
    return {k: (v if v is not None else 0) for k, v in got.items()}


@dataclass
class RegionFigures:
    """One region's sums for the month, with its targets where they apply."""

    region: Region
    sums: dict[str, Decimal | int]
    targets: dict[str, Decimal | None] = field(default_factory=dict)
    progress: float = 0.0

    def money(self, name: str) -> float:
        return float(self.sums.get(name) or 0)

    def completion(self, metric: str) -> float | None:
        target = self.targets.get(metric)
        return float(self.money(f"{metric}_ytd")) / float(target) if target else None

    def gap_pp(self, metric: str) -> float | None:
        """Completion minus time progress, in percentage points (negative = behind)."""
        done = self.completion(metric)
        return None if done is None else round((done - self.progress) * 100, 1)

    def yoy(self, metric: str) -> float | None:
        return ratio_change(self.money(f"{metric}_ytd"), self.money(f"{metric}_ytd_ly"))

    def mom(self, metric: str) -> float | None:
        return ratio_change(self.money(metric), self.money(f"{metric}_prev"))

    @property
    def idle_share(self) -> float | None:
        active = int(self.sums.get("members_active") or 0)
        return int(self.sums.get("members_idle") or 0) / active if active else None

    @property
    def clean_up_rate(self) -> float | None:
        before = int(self.sums.get("members_idle_prev") or 0)
        return int(self.sums.get("idle_cleaned") or 0) / before if before else None


def ratio_change(now: float, before: float) -> float | None:
    return now / before - 1 if before else None


def _sum_rows(rows: list[dict[str, Decimal | int]]) -> dict[str, Decimal | int]:
    out: dict[str, Decimal | int] = defaultdict(int)
    for row in rows:
        for k, v in row.items():
            out[k] += v or 0
    return dict(out)


def by_region(user: User, f: Filters, *, depth: int = 1) -> tuple[RegionFigures, list[RegionFigures]]:
    """The figures of the filters' region (or the user's root) and of its descendants ``depth``
    levels down, from one GROUP BY over the customers' districts rolled up in Python."""
    root = f.region or scope_root(user)
    if root is None:
        raise FilterError(_("您的账号没有所属区域，无法统计。"))
    rows = (
        snapshots(user, f)
        .values("customer__region__path")
        .annotate(customers=Count("id", filter=Q(revenue__gt=0)), **{name: Sum(name) for name in MEASURES})
    )
    leaf: dict[str, dict[str, Decimal | int]] = {}
    for row in rows:
        path = row.pop("customer__region__path")
        leaf[path] = {k: (v if v is not None else 0) for k, v in row.items()}
    nodes = list(Region.objects.filter(path__startswith=root.path).order_by("path"))
    root_level = root.path.count("/")
    wanted = [n for n in nodes if 0 < n.path.count("/") - root_level <= depth]
    targets = resolved_targets(f.month.year, nodes)
    progress = time_progress(f.month)
    # A region's target is for all its customers: not for a slice of them, nor for one manager's own.
    applies = not f.slices_customers and (sees_whole_province(user) or user.role != User.Role.ACCOUNT_MANAGER)

    def figures(node: Region) -> RegionFigures:
        sums = _sum_rows([v for p, v in leaf.items() if p.startswith(node.path)])
        own = {} if not applies else {m: targets.get((node.pk, m)) for m in Metric.values}
        return RegionFigures(node, sums, own, progress)

    return figures(root), [figures(n) for n in wanted]


def resolved_targets(year: int, nodes: list[Region]) -> dict[tuple[int, str], Decimal | None]:
    """Each node's target per metric: its own, else the sum of its children's (None if neither)."""
    own = {
        (t.region_id, t.metric): t.amount for t in Target.objects.filter(year=year, region__in=[n.pk for n in nodes])
    }
    children: dict[int | None, list[Region]] = defaultdict(list)
    for n in nodes:
        children[n.parent_id].append(n)
    memo: dict[tuple[int, str], Decimal | None] = {}

    def resolve(node: Region, metric: str) -> Decimal | None:
        key = (node.pk, metric)
        if key not in memo:
            if key in own:
                memo[key] = own[key]
            else:
                parts = [resolve(c, metric) for c in children.get(node.pk, [])]
                known = [p for p in parts if p is not None]
                memo[key] = sum(known, Decimal(0)) if known else None
        return memo[key]

    return {(n.pk, m): resolve(n, m) for n in nodes for m in Metric.values}


def tier_migration(qs: QuerySet[CustomerSnapshot]) -> dict[tuple[str, str], int]:
    """(last month's tier, this month's tier) → customers; '' = no tier (new or unrated)."""
    rows = qs.values("tier_prev", "tier").annotate(n=Count("id"))
    return {(r["tier_prev"] or "", r["tier"] or ""): r["n"] for r in rows}


def targets_visible_to(user: User, *, year: int | None = None) -> QuerySet[Target]:
    """The yearly revenue targets of the regions in the user's scope."""
    root = scope_root(user)
    qs = Target.objects.select_related("region").filter(region__path__startswith=root.path if root else "//none")
    return qs.filter(year=year) if year is not None else qs


@transaction.atomic
def target_save(*, by: User, region_code: str, year: int, metric: str, amount: Decimal) -> Target:
    """Set one region's yearly revenue target (the provincial admin's)."""
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from zhengqi.accounts.access import region_by_code

    if not sees_whole_province(by):
        raise PermissionDenied(_("只有省公司管理员可以设置收入目标。"))
    region = region_by_code(region_code)
    if region is None:
        raise Http404(_("区域“%(code)s”不存在。") % {"code": region_code})
    if not amount.is_finite() or not 0 <= amount < Decimal("1e14") or not 2000 <= year <= 2100:
        raise ValidationError(_("目标金额应为 0 至 100 万亿元之间的数，年度应在 2000–2100 之间。"))
    target, _created = Target.objects.update_or_create(
        region=region, year=year, metric=metric, defaults={"amount": amount.quantize(Decimal("0.01")), "updated_by": by}
    )
    return target
