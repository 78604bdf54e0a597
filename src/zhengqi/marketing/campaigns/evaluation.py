"""Effect evaluation (F-16) and strategy ranking (F-17).

A campaign's target converts when it subscribes to one of the promoted products with a start date in
the campaign window (start … end + grace days), as the facts (imported subscriptions) say. For the
target and control groups: conversion rate and the monthly revenue those subscriptions bring. The
uplift is the difference in conversion rates, with a 95 % Wald interval (unpooled standard error)
and a two-sided two-proportion z-test (pooled); revenue per customer is compared with Welch's t
interval. The sample size a campaign would need per group to show its observed uplift (α = 0.05
two-sided, power 0.8) tells a planner whether "not significant" means "no effect" or "too small".

For alerts: of the customers flagged by each family at least ``horizon`` months before the latest
month run, how many are still in service (kept) and how many have left (lost)."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from scipy import stats

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Subscription
from zhengqi.engine.months import add_months
from zhengqi.marketing.models import Campaign, CampaignTarget, Task
from zhengqi.scoring.models import Alert, Family, MonthRun

ALPHA = 0.05
POWER = 0.8


@dataclass(frozen=True)
class Arm:
    n: int
    converted: int
    revenue: Decimal  # monthly fees of the converting subscriptions
    revenue_sq: float  # sum over customers of (their converting fees)², for the variance

    @property
    def rate(self) -> float | None:
        return self.converted / self.n if self.n else None

    @property
    def revenue_per_customer(self) -> float | None:
        return float(self.revenue) / self.n if self.n else None

    @property
    def revenue_variance(self) -> float | None:
        if self.n < 2:
            return None
        mean = float(self.revenue) / self.n
        return max(self.revenue_sq - self.n * mean * mean, 0.0) / (self.n - 1)


@dataclass(frozen=True)
class Effect:
    target: Arm
    control: Arm
    as_of: dt.date
    window_end: dt.date
    uplift: float | None = None
    ci: tuple[float, float] | None = None
    z: float | None = None
    p_value: float | None = None
    revenue_uplift: float | None = None
    revenue_ci: tuple[float, float] | None = None
    needed_per_group: int | None = None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def provisional(self) -> bool:
        """The conversion window is still open: more conversions may come."""
        return self.as_of < self.window_end


def two_proportions(x1: int, n1: int, x2: int, n2: int) -> tuple[float, tuple[float, float], float, float] | None:
    """Difference p1 − p2, its 95 % Wald interval, the pooled z statistic and its two-sided p-value."""
    if not n1 or not n2:
        return None
    p1, p2 = x1 / n1, x2 / n2
    diff = p1 - p2
    half = stats.norm.ppf(1 - ALPHA / 2) * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    pooled = (x1 + x2) / (n1 + n2)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    z = diff / se0 if se0 > 0 else 0.0
    p_value = float(2 * stats.norm.sf(abs(z))) if se0 > 0 else 1.0
    return diff, (diff - half, diff + half), z, p_value


def needed_per_group(p1: float, p2: float) -> int | None:
    """Customers per group for a two-sided test at α to detect p1 vs p2 with the given power."""
    diff = abs(p1 - p2)
    if diff == 0:
        return None
    za, zb = stats.norm.ppf(1 - ALPHA / 2), stats.norm.ppf(POWER)
    mean = (p1 + p2) / 2
    n = (za * math.sqrt(2 * mean * (1 - mean)) + zb * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / diff**2
    return math.ceil(n)


def welch_interval(a: Arm, b: Arm) -> tuple[float, float] | None:
    va, vb = a.revenue_variance, b.revenue_variance
    if va is None or vb is None or a.revenue_per_customer is None or b.revenue_per_customer is None:
        return None
    diff = a.revenue_per_customer - b.revenue_per_customer
    se2 = va / a.n + vb / b.n
    if se2 == 0:
        return (diff, diff)
    df = se2**2 / ((va / a.n) ** 2 / (a.n - 1) + (vb / b.n) ** 2 / (b.n - 1))
    half = stats.t.ppf(1 - ALPHA / 2, df) * math.sqrt(se2)
    return (diff - half, diff + half)


def conversions(campaign: Campaign, as_of: dt.date) -> dict[int, Decimal]:
    """Customer id → monthly fees of the promoted products they subscribed to in the window."""
    last = min(campaign.window_end, as_of)
    rows = (
        Subscription.objects.filter(
            customer__campaign_targets__campaign=campaign,
            product__in=campaign.products.all(),
            start__gte=campaign.start,
            start__lte=last,
        )
        .values("customer_id")
        .annotate(fee=Sum("monthly_fee"))
        .order_by()
    )
    return {r["customer_id"]: r["fee"] or Decimal(0) for r in rows}


def campaign_effect(campaign: Campaign, *, as_of: dt.date | None = None) -> Effect:
    """The campaign's effect on every target (the whole campaign, whoever reads it)."""
    as_of = as_of or dt.date.today()
    converted = conversions(campaign, as_of)
    arms: dict[str, Arm] = {}
    for group in CampaignTarget.Group:
        ids = list(campaign.targets.filter(group=group).values_list("customer_id", flat=True))
        fees = [converted[i] for i in ids if i in converted]
        arms[group] = Arm(
            n=len(ids),
            converted=len(fees),
            revenue=sum(fees, Decimal(0)),
            revenue_sq=sum(float(f) ** 2 for f in fees),
        )
    target, control = arms[CampaignTarget.Group.TARGET], arms[CampaignTarget.Group.CONTROL]
    effect = Effect(target=target, control=control, as_of=as_of, window_end=campaign.window_end)
    tested = two_proportions(target.converted, target.n, control.converted, control.n)
    if tested is None:
        return effect
    uplift, ci, z, p_value = tested
    assert target.rate is not None and control.rate is not None
    revenue_ci = welch_interval(target, control)
    return Effect(
        target=target,
        control=control,
        as_of=as_of,
        window_end=campaign.window_end,
        uplift=uplift,
        ci=ci,
        z=z,
        p_value=p_value,
        revenue_uplift=(target.revenue_per_customer or 0) - (control.revenue_per_customer or 0),
        revenue_ci=revenue_ci,
        needed_per_group=needed_per_group(target.rate, control.rate),
    )


# --- alerts: flagged customers kept or lost -------------------------------------------------------


@dataclass(frozen=True)
class AlertOutcome:
    family: str
    label: str
    flagged: int
    kept: int
    lost: int
    worked: int  # of the flagged, how many had their alert task done
    worked_kept: int

    @property
    def kept_rate(self) -> float | None:
        return self.kept / self.flagged if self.flagged else None

    @property
    def worked_kept_rate(self) -> float | None:
        return self.worked_kept / self.worked if self.worked else None

    @property
    def unworked_kept_rate(self) -> float | None:
        rest = self.flagged - self.worked
        return (self.kept - self.worked_kept) / rest if rest else None


def alert_outcomes(user: User, *, horizon: int = 3) -> tuple[dt.date | None, list[AlertOutcome]]:
    """Per alert family, the user's customers first flagged at least ``horizon`` months before the
    latest month run: how many are still in service and how many left since; and the same split for
    those whose alert task was done (an observational comparison, not a randomised one)."""
    run = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").first()
    if run is None:
        return None, []
    cutoff = add_months(run.month, -horizon)
    alerts = Alert.objects.filter(customer_scope(user, prefix="customer__")).filter(first_month__lte=cutoff)
    done = Task.objects.filter(source=Task.Source.ALERT, status=Task.Status.DONE)
    out = []
    for family in Family:
        mine = alerts.filter(family=family)
        customers = Customer.objects.filter(pk__in=mine.values("customer_id"))
        worked = customers.filter(pk__in=done.filter(rule_code__in=mine.values("rule_code")).values("customer_id"))
        lost = Q(status=Customer.Status.CHURNED)
        counts = customers.aggregate(n=Count("pk"), lost=Count("pk", filter=lost))
        worked_counts = worked.aggregate(n=Count("pk"), lost=Count("pk", filter=lost))
        out.append(
            AlertOutcome(
                family=family.value,
                label=str(family.label),
                flagged=counts["n"],
                kept=counts["n"] - counts["lost"],
                lost=counts["lost"],
                worked=worked_counts["n"],
                worked_kept=worked_counts["n"] - worked_counts["lost"],
            )
        )
    return run.month, out


# --- strategy ranking -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    campaign: Campaign
    effect: Effect


def campaign_ranking(campaigns: QuerySet[Campaign], *, as_of: dt.date | None = None) -> list[Ranked]:
    """Launched and closed campaigns, best measured uplift first; those without a control group or
    without any target at the end."""
    ranked = [Ranked(c, campaign_effect(c, as_of=as_of)) for c in campaigns.exclude(status=Campaign.Status.DRAFT)]
    return sorted(ranked, key=lambda r: (r.effect.uplift is None, -(r.effect.uplift or 0), r.campaign.pk))


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's alerts: of its flagged customers, the kept rate of those whose alert task was done
    against those whose task was not — an observational uplift."""

    rule_code: str
    rule_name: str
    family: str
    worked: int
    worked_kept: int
    unworked: int
    unworked_kept: int
    uplift: float | None
    p_value: float | None
    needed_per_group: int | None

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    @property
    def family_label(self) -> str:
        from zhengqi.scoring.models import Family

        return str(Family(self.family).label) if self.family in Family.values else self.family


def rule_outcomes(user: User, *, horizon: int = 3) -> list[RuleOutcome]:
    """Per rule, over the user's customers first flagged at least ``horizon`` months before the latest
    month run: kept rate with the alert task done minus kept rate without, best first."""
    run = MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").first()
    if run is None:
        return []
    cutoff = add_months(run.month, -horizon)
    alerts = Alert.objects.filter(customer_scope(user, prefix="customer__")).filter(first_month__lte=cutoff)
    done = set(
        Task.objects.filter(source=Task.Source.ALERT, status=Task.Status.DONE).values_list("customer_id", "rule_code")
    )
    names: dict[str, tuple[str, str]] = {}
    seen: dict[str, set[int]] = {}
    counts: dict[str, list[int]] = {}  # worked, worked kept, not worked, not worked kept
    for customer_id, code, name, family, status in alerts.values_list(
        "customer_id", "rule_code", "rule_name", "family", "customer__status"
    ).distinct():
        names.setdefault(code, (name, family))
        if customer_id in seen.setdefault(code, set()):
            continue
        seen[code].add(customer_id)
        tally = counts.setdefault(code, [0, 0, 0, 0])
        kept = int(status != Customer.Status.CHURNED)
        at = 0 if (customer_id, code) in done else 2
        tally[at] += 1
        tally[at + 1] += kept
    out = []
    for code in sorted(counts):
        worked, worked_kept, unworked, unworked_kept = counts[code]
        tested = two_proportions(worked_kept, worked, unworked_kept, unworked)
        out.append(
            RuleOutcome(
                rule_code=code,
                rule_name=names[code][0],
                family=names[code][1],
                worked=worked,
                worked_kept=worked_kept,
                unworked=unworked,
                unworked_kept=unworked_kept,
                uplift=tested[0] if tested else None,
                p_value=tested[3] if tested else None,
                needed_per_group=needed_per_group(worked_kept / worked, unworked_kept / unworked) if tested else None,
            )
        )
    return sorted(out, key=lambda r: (r.uplift is None, -(r.uplift or 0), r.rule_code))
