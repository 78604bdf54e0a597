"""The insight dashboards (客户洞察, F-07): each a list of panels (a table with its chart), every
row linked to the list of customers behind it (:func:`drill`).

All figures start from :func:`figures.snapshots` (the user's scope and the page's filters)."""

from __future__ import annotations

import datetime as dt
import hashlib
import urllib.parse
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import combinations
from typing import Any

from django.core.cache import cache
from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.competition.tariffs import latest_competitor_fees, tariff_health
from zhengqi.customers.models import INDUSTRIES, Contract, Customer, KeyPerson, Product, Subscription
from zhengqi.engine.months import Month, month_end
from zhengqi.engine.value.tiers import TIERS, UNTIERED, VIP_TIERS
from zhengqi.scoring.models import CustomerSnapshot

from . import figures
from .figures import FilterError, Filters
from .report import Chart, Table, _idle_table, _idle_trend, _migration_table, _revenue_table, wan


@dataclass
class Dashboard:
    key: str
    title: str
    panels: list[Table]


def _link(f: Filters, **extra: str) -> str:
    """A number's drill-down: the customer list (issue 23), with the dashboard's filters and the
    number's own condition in its query (``drill`` reads them there)."""
    return reverse("customers:list") + "?" + urllib.parse.urlencode({**f.query(), **extra})


def performance(user: User, f: Filters) -> list[Table]:
    total, children = figures.by_region(user, f, depth=1)
    tables = [
        _revenue_table("info", _("信息化收入完成情况"), "revenue_info", children, total),
        _revenue_table("line", _("专线收入完成情况"), "revenue_line", children, total),
    ]
    for t in tables:
        # The figure first in each row is a year-to-date sum: the customers behind it, by that sum.
        t.links = [_link(f, region=c.region.code, measure="ytd") for c in children] + [_link(f, measure="ytd")]
    return tables


def revenue(user: User, f: Filters) -> list[Table]:
    months = sorted(m for m in figures.months_available() if m <= f.month)[-12:]
    trend_rows: list[list[Any]] = []
    for m in months:
        t = figures.totals(figures.snapshots(user, f, month=m))
        trend_rows.append(
            [f"{m:%Y-%m}", wan(float(t["revenue"])), wan(float(t["revenue_info"])), wan(float(t["revenue_line"]))]
        )
    trend = Table(
        "trend",
        _("收入逐月走势（万元）"),
        [_("月份"), _("总收入"), _("信息化收入"), _("专线收入")],
        ["text", "wan", "wan", "wan"],
        trend_rows,
        Chart(
            "line",
            [r[0] for r in trend_rows],
            [(c, [r[i + 1] for r in trend_rows]) for i, c in enumerate((_("总收入"), _("信息化收入"), _("专线收入")))],
            "wan",
        ),
    )
    trend.links = [
        _link(Filters(Month.parse(r[0]).first, f.region, f.tier, f.industry, f.customer_type)) for r in trend_rows
    ]
    qs = figures.snapshots(user, f)
    return [
        trend,
        _breakdown(qs, f, "tier", _("按价值等级"), {t: t for t in TIERS}, "tier"),
        _breakdown(qs, f, "customer__industry", _("按行业"), dict(INDUSTRIES), "industry"),
        _breakdown(qs, f, "customer__customer_type", _("按客户类型"), dict(Customer.Type.choices), "customer_type"),
    ]


def _breakdown(
    qs: QuerySet[CustomerSnapshot], f: Filters, field: str, title: str, labels: dict[str, Any], param: str
) -> Table:
    rows = (
        qs.values(field)
        .annotate(
            customers=Count("id", filter=Q(revenue__gt=0)),
            revenue=Sum("revenue"),
            revenue_info=Sum("revenue_info"),
            revenue_line=Sum("revenue_line"),
            revenue_prev=Sum("revenue_prev"),
        )
        .order_by("-revenue")
    )
    total = sum(float(r["revenue"] or 0) for r in rows) or 1.0
    body: list[list[Any]] = []
    links: list[str | None] = []
    for r in rows:
        key = r[field] or ""
        if not key:
            continue
        now, before = float(r["revenue"] or 0), float(r["revenue_prev"] or 0)
        body.append(
            [
                str(labels.get(key, key)),
                r["customers"],
                wan(now),
                now / total,
                wan(float(r["revenue_info"] or 0)),
                wan(float(r["revenue_line"] or 0)),
                figures.ratio_change(now, before),
            ]
        )
        links.append(_link(f, billed="1", **{param: key}))
    return Table(
        f"by_{param}",
        _("收入%(by)s") % {"by": title},
        [
            title.removeprefix("按"),
            _("计费客户"),
            _("总收入（万元）"),
            _("占比"),
            _("信息化收入（万元）"),
            _("专线收入（万元）"),
            _("环比"),
        ],
        ["text", "int", "wan", "pct", "wan", "wan", "pct"],
        body,
        Chart("bar", [r[0] for r in body], [(_("总收入（万元）"), [r[2] for r in body])], "wan"),
        links=links,
    )


def _in_use(month: dt.date) -> Q:
    end = month_end(month)
    return Q(start__lte=end) & (Q(end__isnull=True) | Q(end__gt=end))


def portfolio(user: User, f: Filters) -> list[Table]:
    qs = figures.snapshots(user, f).filter(revenue__gt=0)
    base = qs.count() or 1
    subs = Subscription.objects.filter(_in_use(f.month), customer__in=qs.values("customer"))
    per_product = dict(
        subs.values_list("product").annotate(n=Count("customer", distinct=True)).values_list("product", "n")
    )
    products = list(Product.objects.order_by("code"))
    rows = [
        [p.name, p.get_complexity_display(), per_product.get(p.pk, 0), per_product.get(p.pk, 0) / base]
        for p in products
    ]
    rows.sort(key=lambda r: -r[2])
    order = sorted(products, key=lambda p: -per_product.get(p.pk, 0))
    penetration = Table(
        "penetration",
        _("产品渗透率（使用该产品的计费客户 ÷ 计费客户 %(n)d 户）") % {"n": base},
        [_("产品"), _("复杂度"), _("使用客户"), _("渗透率")],
        ["text", "text", "int", "pct"],
        rows,
        Chart("bar", [r[0] for r in rows], [(_("渗透率"), [r[3] for r in rows])], "pct"),
        links=[_link(f, product=p.code, billed="1") for p in order],
    )
    # Penetration by industry: the top products across the industries present.
    pairs = subs.values_list("customer__industry", "product").annotate(n=Count("customer", distinct=True))
    by_industry: dict[str, dict[int, int]] = defaultdict(dict)
    for industry, product, n in pairs:
        by_industry[industry][product] = n
    counts = dict(qs.values_list("customer__industry").annotate(n=Count("id")).values_list("customer__industry", "n"))
    top = order[:6]
    names = dict(INDUSTRIES)
    ind_rows: list[list[Any]] = []
    for code in sorted(counts, key=lambda c: -counts[c]):
        ind_rows.append(
            [str(names.get(code, code)), counts[code], *[by_industry[code].get(p.pk, 0) / counts[code] for p in top]]
        )
    by_ind = Table(
        "penetration_industry",
        _("分行业产品渗透率（渗透率最高的 6 个产品）"),
        [_("行业"), _("计费客户"), *[p.name for p in top]],
        ["text", "int", *(["pct"] * len(top))],  # type: ignore[list-item]  # Format literals built by repetition
        ind_rows,
        Chart(
            "bar",
            [r[0] for r in ind_rows],
            [(p.name, [r[2 + i] for r in ind_rows]) for i, p in enumerate(top[:3])],
            "pct",
        ),
        links=[_link(f, industry=c, billed="1") for c in sorted(counts, key=lambda c: -counts[c])],
    )
    # Common bundles: pairs of products held together.
    held: dict[int, set[int]] = defaultdict(set)
    for customer, product in subs.values_list("customer", "product"):
        held[customer].add(product)
    together: Counter[tuple[int, int]] = Counter()
    for items in held.values():
        together.update(combinations(sorted(items), 2))
    by_pk = {p.pk: p for p in products}
    bundle_rows = [[f"{by_pk[a].name} + {by_pk[b].name}", n, n / base] for (a, b), n in together.most_common(10)]
    bundles = Table(
        "bundles",
        _("常见产品组合（同时使用的两个产品）"),
        [_("产品组合"), _("客户数"), _("占计费客户")],
        ["text", "int", "pct"],
        bundle_rows,
        links=[
            _link(f, product=by_pk[a].code, product2=by_pk[b].code, billed="1")
            for (a, b), _n in together.most_common(10)
        ],
    )
    return [penetration, by_ind, bundles]


EXPIRY_BUCKETS = (
    (0, 1, gettext_lazy("1 个月内")),
    (1, 3, gettext_lazy("1–3 个月")),
    (3, 6, gettext_lazy("3–6 个月")),
    (6, 12, gettext_lazy("6–12 个月")),
)


def _add_months(day: dt.date, months: int) -> dt.date:
    return (Month.of(day) + months).last


def _expiry_window(f: Filters, bucket: int) -> tuple[dt.date, dt.date]:
    start = month_end(f.month)
    lo, hi, _label = EXPIRY_BUCKETS[bucket]
    return (_add_months(start, lo) if lo else start), _add_months(start, hi)


def expiry(user: User, f: Filters) -> list[Table]:
    qs = figures.snapshots(user, f)
    tier_of = dict(qs.values_list("customer", "tier"))
    rows: list[list[Any]] = []
    links: list[str | None] = []
    for i, (_lo, _hi, label) in enumerate(EXPIRY_BUCKETS):
        after, until = _expiry_window(f, i)
        found = Contract.objects.filter(customer__in=qs.values("customer"), end__gt=after, end__lte=until)
        customers: set[int] = set()
        amount = 0.0
        for customer, value in found.values_list("customer", "amount"):
            customers.add(customer)
            amount += float(value)
        per_tier = Counter(tier_of.get(c) or "" for c in customers)
        rows.append([str(label), *[per_tier[t] for t in (*TIERS, "")], len(customers), wan(amount)])
        links.append(_link(f, expiry=str(i)))
    return [
        Table(
            "expiry",
            _("协议到期（自 %(d)s 起）") % {"d": f"{month_end(f.month):%Y-%m-%d}"},
            [_("到期时间"), *TIERS, _("未定级"), _("到期客户合计"), _("协议金额（万元）")],
            ["text", "int", "int", "int", "int", "int", "int", "wan"],
            rows,
            Chart(
                "bar",
                [r[0] for r in rows],
                [(t, [float(r[1 + i]) for r in rows]) for i, t in enumerate(TIERS)],
                "int",
                stacked=True,
            ),
            _("按客户统计（一户有多份协议在同一时段到期只计一次），等级为客户本月价值等级；点击行查看客户名单。"),
            links,
        )
    ]


IDLE_BUCKETS = ((0.0, 0.2, "< 20%"), (0.2, 0.5, "20–50%"), (0.5, 0.8, "50–80%"), (0.8, 2.0, "≥ 80%"))


def _idle_share_in(bucket: int) -> Q:
    """Customers whose "三无" share lies in the bucket, compared in the database."""
    lo, hi, _label = IDLE_BUCKETS[bucket]
    return Q(members_idle__gte=F("members_active") * lo) & Q(members_idle__lt=F("members_active") * hi)


def quality(user: User, f: Filters) -> list[Table]:
    total, children = figures.by_region(user, f, depth=1)
    idle = _idle_table(children, total)
    idle.links = [_link(f, region=c.region.code, idle="1") for c in children] + [_link(f, idle="1")]
    trend = _idle_trend(user, f)
    qs = figures.snapshots(user, f).filter(members_active__gt=0)
    got = qs.aggregate(**{f"b{i}": Count("id", filter=_idle_share_in(i)) for i in range(len(IDLE_BUCKETS))})
    rows: list[list[Any]] = [[label, got[f"b{i}"]] for i, (_lo, _hi, label) in enumerate(IDLE_BUCKETS)]
    spread = Table(
        "idle_spread",
        _("客户按“三无”成员占比分布（占比高于 50% 的可能是“假集团”）"),
        [_("“三无”占比"), _("客户数")],
        ["text", "int"],
        rows,
        Chart("bar", [r[0] for r in rows], [(_("客户数"), [float(r[1]) for r in rows])], "int"),
        links=[_link(f, idle_share=str(i)) for i in range(len(IDLE_BUCKETS))],
    )
    return [idle, trend, spread]


ARREARS_BUCKETS = ((1, 1, "1 个月"), (2, 3, "2–3 个月"), (4, 6, "4–6 个月"), (7, 12, "7 个月以上"))


def arrears(user: User, f: Filters) -> list[Table]:
    qs = figures.snapshots(user, f).filter(arrears__gt=0)
    rows: list[list[Any]] = []
    links: list[str | None] = []
    for i, (lo, hi, label) in enumerate(ARREARS_BUCKETS):
        part = qs.filter(arrears_streak__gte=lo, arrears_streak__lte=hi)
        got = part.aggregate(n=Count("id"), amount=Sum("arrears"))
        per_tier = dict(part.values_list("tier").annotate(a=Sum("arrears")).values_list("tier", "a"))
        rows.append([label, got["n"], float(got["amount"] or 0), *[float(per_tier.get(t) or 0) for t in TIERS]])
        links.append(_link(f, arrears=str(i)))
    total = sum(r[2] for r in rows) or 1.0
    for r in rows:
        r.insert(3, r[2] / total)
    return [
        Table(
            "arrears",
            _("欠费账龄（按连续欠费月数）"),
            [
                _("账龄"),
                _("欠费客户"),
                _("欠费金额（元）"),
                _("金额占比"),
                *[_("%(t)s 级（元）") % {"t": t} for t in TIERS],
            ],
            ["text", "int", "yuan", "pct", "yuan", "yuan", "yuan", "yuan"],
            rows,
            Chart(
                "bar",
                [r[0] for r in rows],
                [(_("%(t)s 级") % {"t": t}, [r[4 + i] for r in rows]) for i, t in enumerate(TIERS)],
                "yuan",
                stacked=True,
            ),
            _("账龄 = 截至本月月末连续欠费的月数（本月无欠费的客户不计入）。"),
            links,
        )
    ]


DEPTHS = ((0, 0, "0"), (1, 1, "1"), (2, 2, "2"), (3, 3, "3"), (4, 4, "4"), (5, 999, "5+"))


def lock_in(user: User, f: Filters) -> list[Table]:
    qs = figures.snapshots(user, f).filter(revenue__gt=0)
    total = float(qs.aggregate(r=Sum("revenue"))["r"] or 0) or 1.0
    rows: list[list[Any]] = []
    links: list[str | None] = []
    for i, (lo, hi, label) in enumerate(DEPTHS):
        got = qs.filter(product_count__gte=lo, product_count__lte=hi).aggregate(n=Count("id"), r=Sum("revenue"))
        rows.append([label, got["n"], float(got["r"] or 0) / total])
        links.append(_link(f, depth=str(i)))
    depth = Table(
        "depth",
        _("捆绑深度（在用集团产品数）分布"),
        [_("在用产品数"), _("客户数"), _("收入占比")],
        ["text", "int", "pct"],
        rows,
        Chart("bar", [r[0] for r in rows], [(_("客户数"), [float(r[1]) for r in rows])], "int"),
        _("在用产品越多，客户越难被竞争对手整体搬走（客户锁定）。"),
        links,
    )
    per_tier = qs.values("tier").annotate(
        avg=Avg("product_count"), n=Count("id"), single=Count("id", filter=Q(product_count__lte=1))
    )
    got = {r["tier"]: r for r in per_tier}
    tier_rows = [[t, got[t]["n"], float(got[t]["avg"] or 0), got[t]["single"] / got[t]["n"]] for t in TIERS if t in got]
    tiers = Table(
        "depth_tier",
        _("各等级平均捆绑深度"),
        [_("等级"), _("客户数"), _("平均在用产品数"), _("仅 0–1 个产品的占比")],
        ["text", "int", "wan", "pct"],
        [[r[0], r[1], round(r[2], 2), r[3]] for r in tier_rows],
        Chart("bar", [r[0] for r in tier_rows], [(_("平均在用产品数"), [round(r[2], 2) for r in tier_rows])], "int"),
        links=[_link(f, tier=r[0], billed="1") for r in tier_rows],
    )
    return [depth, tiers]


def migration(user: User, f: Filters) -> list[Table]:
    table, _up, _down = _migration_table(user, f)
    counts = figures.tier_migration(figures.snapshots(user, f).exclude(tier=""))
    flows = [(f"{a or _('新定级')}（上月）", f"{b}（本月）", n) for (a, b), n in counts.items() if b and n]
    table.chart = Chart("sankey", [], [], "int", links=flows)
    order = [*TIERS, UNTIERED]
    table.links = [
        _link(f, tier_prev=row_tier or "new") for row_tier in order if any(counts.get((row_tier, t), 0) for t in TIERS)
    ]
    return [table]


RISK_DIMENSIONS = (
    ("penetration", gettext_lazy("集团产品渗透度")),
    ("depth", gettext_lazy("行业应用深入度")),
    ("satisfaction", gettext_lazy("客户服务满意度")),
    ("tariff", gettext_lazy("市场资费对比度")),
    ("relationship", gettext_lazy("客户关系紧密度")),
)


@dataclass
class RiskRow:
    snapshot: CustomerSnapshot
    scores: dict[str, float]  # dimension → health 0–1 (1 = safe)

    @property
    def risk(self) -> float:
        return 1 - sum(self.scores.values()) / len(self.scores)


def risk_scores(user: User, f: Filters) -> list[RiskRow]:
    """Seed 004's five-dimension risk assessment of the large customers (A+ and A), riskiest first:
    each dimension a health score 0–1, the risk = 1 − their mean (the measures: ``RISK_NOTE``)."""
    qs = figures.snapshots(user, f).filter(tier__in=VIP_TIERS)
    ids = qs.values("customer")
    snaps = list(
        qs.select_related("customer__region")
        .defer("features", "breakdown", "churn_reasons")
        .annotate(
            complaints_3m=KT("features__complaints_3m"),
            calls_3m=KT("features__competitor_calls_3m"),
            satisfaction_12m=KT("features__satisfaction_12m"),
        )
    )
    solutions = dict(
        Subscription.objects.filter(_in_use(f.month), customer__in=ids, product__complexity=Product.Complexity.HIGH)
        .values_list("customer")
        .annotate(n=Count("product", distinct=True))
        .values_list("customer", "n")
    )
    closeness = {
        r["customer"]: r
        for r in KeyPerson.objects.filter(customer__in=ids)
        .values("customer")
        .annotate(avg=Avg("closeness"), deciders=Count("id", filter=Q(roles__role="decider")))
    }
    theirs = latest_competitor_fees(ids)  # 终端与资费: the competitors' tariffs recorded for these customers
    out = []
    for s in snaps:
        complaints = float(s.complaints_3m or 0)  # type: ignore[attr-defined]  # annotated by the queryset (Django adds the attribute at run time)
        calls = float(s.calls_3m or 0) / max(1, s.members_active) * 100  # type: ignore[attr-defined]  # annotated by the queryset (Django adds the attribute at run time)
        rel = closeness.get(s.customer_id)
        relationship = 0.0
        if rel and rel["avg"]:
            relationship = (float(rel["avg"]) - 1) / 4 * (1.0 if rel["deciders"] else 0.7)
        scores = {
            "penetration": min(1.0, s.product_count / 5),
            "depth": min(1.0, solutions.get(s.customer_id, 0) / 3),
            "satisfaction": _satisfaction(s.satisfaction_12m, complaints),  # type: ignore[attr-defined]  # annotated by the queryset (Django adds the attribute at run time)
            "tariff": _tariff(theirs.get(s.customer_id), s, calls),
            "relationship": relationship,
        }
        out.append(RiskRow(s, scores))
    out.sort(key=lambda r: -r.risk)
    return out


def _tariff(their_fee: Decimal | None, s: CustomerSnapshot, calls: float) -> float:
    """A competitor's tariff on record for the customer against what it pays us per active member;
    without one, the estimate from calls to competitors' service lines."""
    if their_fee is not None and s.members_active:
        return tariff_health(their_fee, Decimal(s.revenue) / s.members_active)
    return max(0.0, 1 - calls / 5)


def _satisfaction(rate: object, complaints: float) -> float:
    """The surveys' satisfied share where the customer answered any in 12 months, less a third per
    complaint of the last 3 months; without surveys, the complaints alone."""
    base = 1.0
    if rate not in (None, "", "null"):
        try:
            base = float(rate)  # type: ignore[arg-type]  # a number once the None case is handled above
        except (TypeError, ValueError):
            base = 1.0
    return max(0.0, base - complaints / 3)


RISK_NOTE = gettext_lazy(
    "各维度为健康度（100% = 无风险）：渗透度 = 在用产品数 ÷ 5；行业应用深入度 = 在用高复杂度（行业解决方案）"
    "产品数 ÷ 3；满意度 = 近 12 月满意度调查的满意率（无调查按 100%）减去近 3 月每次投诉 1/3；"
    "资费对比度：登记了对手资费的客户，按最近一条对手资费月费与该客户每在网成员月收入之比"
    "（对手不比我方便宜为 100%）；未登记的，以每百名成员近 3 月呼叫异网客服次数估计（5 次及以上为 0）；"
    "关系紧密度 = 关键人平均亲密度，无决策者时打七折。"
)


def risk(user: User, f: Filters) -> list[Table]:
    every = risk_scores(user, f)
    top = every[:30]
    keys = [k for k, _label in RISK_DIMENSIONS]
    names = [str(label) for _k, label in RISK_DIMENSIONS]
    mean = [sum(r.scores[k] for r in every) / len(every) if every else 0.0 for k in keys]
    radar: list[tuple[str, list[float | None]]] = [(_("A+/A 客户平均"), list(mean))]
    if top:
        radar.append((top[0].snapshot.customer.name, [top[0].scores[k] for k in keys]))
    rows: list[list[Any]] = [
        [
            r.snapshot.customer.name,
            r.snapshot.customer.region.name,
            r.snapshot.tier,
            r.risk,
            *[r.scores[k] for k in keys],
        ]
        for r in top
    ]
    return [
        Table(
            "risk",
            _("大客户五维风险评估（A+/A 级，风险最高的 30 户）"),
            [_("客户"), _("区域"), _("等级"), _("综合风险"), *names],
            ["text", "text", "text", "pct", "pct", "pct", "pct", "pct", "pct"],
            rows,
            Chart("radar", names, radar, "pct"),
            str(RISK_NOTE),
            [reverse("customers:detail", args=[r.snapshot.customer_id]) for r in top],
        )
    ]


DASHBOARDS: dict[str, tuple[Any, Callable[[User, Filters], list[Table]]]] = {
    "performance": (gettext_lazy("绩效考核"), performance),
    "revenue": (gettext_lazy("收入分析"), revenue),
    "portfolio": (gettext_lazy("业务组合"), portfolio),
    "expiry": (gettext_lazy("协议到期"), expiry),
    "quality": (gettext_lazy("客户质量"), quality),
    "arrears": (gettext_lazy("欠费分析"), arrears),
    "lock_in": (gettext_lazy("客户锁定"), lock_in),
    "migration": (gettext_lazy("等级迁移"), migration),
    "risk": (gettext_lazy("五维风险"), risk),
}


CACHE_SECONDS = 600


def dashboard(user: User, key: str, f: Filters) -> Dashboard:
    """A dashboard's panels. The figures of a month change only when a month run or a target does,
    so they are cached per scope, filters and language, and keyed by :func:`figures.data_version`;
    subscriptions, agreements and key persons edited on the pages show within ``CACHE_SECONDS``."""
    if key not in DASHBOARDS:
        raise FilterError(_("没有名为“%(k)s”的看板。") % {"k": key})
    title, build = DASHBOARDS[key]
    board: Dashboard | None = cache.get(cache_key(user, key, f))
    if board is None:
        board = Dashboard(key, str(title), build(user, f))
        cache.set(cache_key(user, key, f), board, CACHE_SECONDS)
    return board


def cache_key(user: User, key: str, f: Filters) -> str:
    """The same for users who see the same customers, for the same filters, language and data."""
    query = "&".join(f"{k}={v}" for k, v in sorted(f.query().items()))
    parts = f"{key}|{figures.scope_key(user)}|{query}|{get_language()}|{figures.data_version()}"
    return "dash:" + hashlib.sha256(parts.encode()).hexdigest()


DRILL_KEYS = (
    "billed",
    "product",
    "product2",
    "expiry",
    "idle",
    "idle_share",
    "arrears",
    "depth",
    "tier_prev",
    "measure",
)
# What the list behind a number shows and sorts by: the month's revenue, or the year to date when
# the number clicked was a year-to-date sum (the performance tables).
MEASURES_SHOWN = {"": ("-revenue",), "ytd": ("-revenue_info_ytd", "-revenue_line_ytd")}


def drill(user: User, f: Filters, params: dict[str, str]) -> QuerySet[CustomerSnapshot]:
    """The snapshots (customers) behind a number: the filters plus the dashboard's own condition."""
    qs = figures.snapshots(user, f)
    try:
        if params.get("billed"):
            qs = qs.filter(revenue__gt=0)
        for name in ("product", "product2"):
            if params.get(name):
                holders = Subscription.objects.filter(_in_use(f.month), product__code=params[name]).values("customer")
                qs = qs.filter(customer__in=holders)
        if params.get("expiry"):
            after, until = _expiry_window(f, int(params["expiry"]))
            qs = qs.filter(customer__in=Contract.objects.filter(end__gt=after, end__lte=until).values("customer"))
        if params.get("idle"):
            qs = qs.filter(members_idle__gt=0)
        if params.get("idle_share"):
            qs = qs.filter(members_active__gt=0).filter(_idle_share_in(int(params["idle_share"])))
        if params.get("arrears"):
            lo, hi, _label = ARREARS_BUCKETS[int(params["arrears"])]
            qs = qs.filter(arrears__gt=0, arrears_streak__gte=lo, arrears_streak__lte=hi)
        if params.get("depth"):
            lo, hi, _label = DEPTHS[int(params["depth"])]
            qs = qs.filter(revenue__gt=0, product_count__gte=lo, product_count__lte=hi)
        if params.get("tier_prev"):
            qs = qs.exclude(tier="").filter(tier_prev="" if params["tier_prev"] == "new" else params["tier_prev"])
        if params.get("measure", "") not in MEASURES_SHOWN:
            raise ValueError(params["measure"])
    except (ValueError, IndexError):
        raise FilterError(_("筛选条件无效。")) from None
    return qs


def drill_description(f: Filters, params: dict[str, str]) -> list[str]:
    """The dashboard's conditions of a drill-down in words, for the list it lands on."""
    from zhengqi.customers.models import Product

    out = [_("看板月份 %(m)s") % {"m": f"{f.month:%Y-%m}"}]
    try:
        if params.get("billed"):
            out.append(_("当月有收入"))
        for name in ("product", "product2"):
            if params.get(name):
                product = Product.objects.filter(code=params[name]).first()
                out.append(_("在用产品：%(p)s") % {"p": product.name if product else params[name]})
        if params.get("expiry"):
            after, until = _expiry_window(f, int(params["expiry"]))
            out.append(_("协议在 %(a)s 之后、%(u)s 之前到期") % {"a": after, "u": until})
        if params.get("idle"):
            out.append(_("有“三无”成员"))
        if params.get("idle_share"):
            out.append(_("“三无”成员占比 %(b)s") % {"b": IDLE_BUCKETS[int(params["idle_share"])][2]})
        if params.get("arrears"):
            out.append(_("连续欠费 %(b)s") % {"b": ARREARS_BUCKETS[int(params["arrears"])][2]})
        if params.get("depth"):
            out.append(_("在用产品数 %(b)s") % {"b": DEPTHS[int(params["depth"])][2]})
        if params.get("tier_prev"):
            prev = params["tier_prev"]
            out.append(_("本月新进入等级") if prev == "new" else _("上月等级 %(t)s") % {"t": prev})
        if params.get("measure") == "ytd":
            out.append(_("按本年累计收入"))
    except (ValueError, IndexError):
        raise FilterError(_("筛选条件无效。")) from None
    return out
