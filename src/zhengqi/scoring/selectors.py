"""Reads of month-run results for the pages, limited by row-level access through the customer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Case, Count, F, FilteredRelation, FloatField, Max, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce, Greatest
from django.utils.translation import gettext_lazy

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.engine.catalogue import CATALOGUE
from zhengqi.engine.value.model import ValueModel

from .models import (
    CHURN_CODE,
    COMPETITOR_CODE,
    Alert,
    CustomerSnapshot,
    MonthRun,
    Rule,
    TaskPolicy,
    TierChange,
    ValueModelVersion,
    makes_task,
)

# An alert's priority for the work queue: value × risk × severity. Value is the customer's value
# score in the alert's latest month (a prospect's potential score where that is higher, 0–100, plus
# one so that a customer without a score still ranks by risk and severity); risk is the churn
# model's probability (customers it does not score, e.g. prospects, take NEUTRAL_RISK); severity
# weighs high 3, medium 2, low 1.
SEVERITY_WEIGHT = {"high": 3.0, "medium": 2.0, "low": 1.0}
NEUTRAL_RISK = 0.1


def priority_score(value: float | None, potential: float | None, risk: float | None, severity: str) -> float:
    """The priority of one alert, as ``with_priority`` computes it in the database."""
    worth = max(float(value or 0), float(potential or 0)) + 1
    return worth * (NEUTRAL_RISK if risk is None else float(risk)) * SEVERITY_WEIGHT.get(severity, 1.0)


def with_priority(alerts: QuerySet[Alert]) -> QuerySet[Alert]:
    """The alerts annotated with ``priority`` (see ``priority_score``), from the customer's snapshot
    of the alert's latest month (one join, no query per alert)."""
    snap = "snap"
    weight = Case(
        *(When(severity=k, then=Value(v)) for k, v in SEVERITY_WEIGHT.items()),
        default=Value(1.0),
        output_field=FloatField(),
    )
    worth = Greatest(
        Cast(Coalesce(F(f"{snap}__value_score"), Value(0)), FloatField()),
        Cast(Coalesce(F(f"{snap}__potential_score"), Value(0)), FloatField()),
    ) + Value(1.0)
    risk = Coalesce(F(f"{snap}__churn_risk"), Value(NEUTRAL_RISK), output_field=FloatField())
    return alerts.annotate(
        **{snap: FilteredRelation("customer__snapshots", condition=Q(customer__snapshots__month=F("last_month")))}
    ).annotate(priority=worth * risk * weight)


def task_rule_codes(codes: set[str] | None = None) -> dict[str, bool]:
    """Whether each rule's hits become tasks (its task policy, or its family's default); codes
    without a rule (the churn model's, downgrades, registration proofs) follow their family."""
    return {
        code: makes_task(family, policy)
        for code, family, policy in Rule.objects.values_list("code", "family", "task_policy")
        if codes is None or code in codes
    }


def alert_makes_task(alert_family: str, rule_code: str, policies: dict[str, bool]) -> bool:
    if rule_code == COMPETITOR_CODE:  # its task is made when the event is recorded (zhengqi.competition)
        return False
    return policies.get(rule_code, makes_task(alert_family, TaskPolicy.FAMILY))


def describe(name: str, value: Any) -> str:
    """One feature value in words: “协议剩余天数 45 天”."""
    feature = CATALOGUE.get(name)
    if feature is None:  # not a feature of the catalogue: its value alone, never its internal name
        return str(value)
    if value is None:
        return f"{feature.label} 无"
    if feature.kind == "ratio":
        return f"{feature.label} {float(value) * 100:.1f}%"
    if feature.kind == "money":
        return f"{feature.label} ¥{float(value):,.2f}"
    if feature.kind == "text":
        return f"{feature.label} {_text_value(name, value)}"
    number = f"{float(value):,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{feature.label} {number}{(' ' + feature.unit) if feature.unit else ''}"


# Text features that hold a customer field's code: shown by the field's choice label.
CODED_FIELDS = frozenset({"competitor_operator", "customer_type", "industry", "scale", "status"})


def _text_value(name: str, value: Any) -> str:
    """A coded value as its name: “中国电信”, not ``telecom``; “制造业”, not ``C``."""
    if not value:
        return "—"
    if name not in CODED_FIELDS:
        return str(value)
    choices = dict(getattr(Customer._meta.get_field(name), "choices", None) or [])
    return str(choices.get(value, value))


def _event_sentence(event: dict[str, Any]) -> str:
    """A competitor move behind a prevention alert, as the page says it: “2026-10-20 中国电信 上门拜访：…”."""
    parts = [event.get("date", ""), event.get("operator", ""), event.get("kind", "")]
    head = " ".join(str(p) for p in parts if p)
    return f"{head}：{event['summary']}" if event.get("summary") else head


@dataclass(frozen=True)
class AlertView:
    alert: Alert
    reasons: list[str]


def open_alerts(customer: Customer) -> list[AlertView]:
    """Open alerts, each with the values of the features its rule reads: as of the latest month
    (from the snapshot) where there is one, else as they were when it first fired."""
    alerts = alerts_of(customer, status=Alert.Status.OPEN).order_by("severity", "rule_code")
    latest = CustomerSnapshot.objects.filter(customer=customer).order_by("-month").first()
    now = latest.features if latest else {}
    out = []
    for alert in alerts:
        evidence = alert.evidence if isinstance(alert.evidence, dict) else json.loads(alert.evidence)
        if alert.rule_code == CHURN_CODE:
            # The model's own words: risk and the reasons of the latest scoring (else of the firing).
            risk = latest.churn_risk if latest and latest.churn_risk is not None else evidence.get("churn_risk")
            said = latest.churn_reasons if latest and latest.churn_reasons else evidence.get("reasons", [])
            out.append(AlertView(alert, [describe("churn_risk", risk), *said]))
            continue
        if alert.rule_code == COMPETITOR_CODE:
            out.append(AlertView(alert, [_event_sentence(e) for e in evidence.get("events", [])]))
            continue
        reasons = [describe(k, now.get(k, v)) for k, v in evidence.items() if k != "status"]
        out.append(AlertView(alert, reasons))
    return out


BAND_LABELS = {"high": "高", "medium": "中", "low": "低"}


@dataclass(frozen=True)
class ChurnView:
    month: Any
    risk: float
    band: str
    band_label: str
    reasons: list[str]
    expected_lost: float | None


def churn_view(snapshot: CustomerSnapshot | None) -> ChurnView | None:
    if snapshot is None or snapshot.churn_risk is None:
        return None
    return ChurnView(
        month=snapshot.month,
        risk=snapshot.churn_risk,
        band=snapshot.churn_band,
        band_label=BAND_LABELS.get(snapshot.churn_band, snapshot.churn_band),
        reasons=list(snapshot.churn_reasons or []),
        expected_lost=(snapshot.features or {}).get("members_expected_lost_3m"),
    )


def highest_churn_risks(customers: QuerySet[Customer], *, limit: int = 10) -> list[tuple[Customer, ChurnView]]:
    """The customers (of those given: the user's visible ones) most at risk in the latest scored
    month, highest first."""
    month = (
        CustomerSnapshot.objects.filter(churn_risk__isnull=False).order_by("-month").values_list("month", flat=True)
    ).first()
    if month is None:
        return []
    snapshots = (
        CustomerSnapshot.objects.filter(month=month, churn_risk__isnull=False, customer__in=customers)
        .select_related("customer")
        .order_by("-churn_risk")[:limit]
    )
    return [(s.customer, view) for s in snapshots if (view := churn_view(s)) is not None]


@dataclass(frozen=True)
class FactorView:
    label: str
    feature: str
    weight: float
    points: float


def latest_snapshot(customer: Customer) -> CustomerSnapshot | None:
    return CustomerSnapshot.objects.filter(customer=customer).order_by("-month").first()


def score_breakdown(snapshot: CustomerSnapshot) -> list[FactorView]:
    version = ValueModelVersion.objects.filter(active=True).first()
    model = ValueModel.from_dict(version.config) if version else None
    factors = {f.code: f for f in model.factors} if model else {}
    rows = []
    for code, points in snapshot.breakdown.items():
        f = factors.get(code)
        rows.append(FactorView(f.label if f else code, f.feature if f else "", f.weight if f else 0.0, float(points)))
    return sorted(rows, key=lambda r: -r.points)


def tier_history(customer: Customer) -> QuerySet[CustomerSnapshot]:
    return CustomerSnapshot.objects.filter(customer=customer).order_by("month").only("month", "tier", "value_score")


def tier_changes(customer: Customer) -> QuerySet[TierChange]:
    return TierChange.objects.filter(customer=customer).order_by("-month")


def workbench_alerts(customers: QuerySet[Customer]) -> QuerySet[Alert]:
    """The latest month run's new alerts on the given customers, and competitor alerts still open
    (raised the day a move is recorded, not by a month run: they would otherwise hide the run's
    month behind a later one); high severity first."""
    runs = Alert.objects.filter(customer__in=customers).exclude(rule_code=COMPETITOR_CODE)
    latest = runs.aggregate(m=Max("first_month"))["m"]
    competitor = Q(rule_code=COMPETITOR_CODE, status=Alert.Status.OPEN)
    severity_first = Case(
        *(When(severity=s, then=Value(i)) for i, s in enumerate(("high", "medium", "low"))), default=9
    )
    return (
        Alert.objects.filter(customer__in=customers)
        .filter(Q(first_month=latest, status=Alert.Status.OPEN) | competitor if latest else competitor)
        .select_related("customer")
        .order_by(severity_first, "customer__name")
    )


def customer_scoring(customer: Customer) -> dict[str, Any]:
    """What the customer's page shows of scoring: open alerts with their reasons, the latest
    snapshot with its churn risk and score breakdown, the tier history and its chart."""
    snapshot = latest_snapshot(customer)
    history = list(tier_history(customer))
    return {
        "alerts": open_alerts(customer),
        "snapshot": snapshot,
        "churn": churn_view(snapshot),
        "breakdown": score_breakdown(snapshot) if snapshot else [],
        "tier_history": history,
        "tier_chart": {
            "months": [f"{h.month:%Y-%m}" for h in history],
            "scores": [float(h.value_score) if h.value_score is not None else None for h in history],
            "tiers": [h.tier for h in history],
        },
        "tier_changes": tier_changes(customer),
    }


def rules_all() -> QuerySet[Rule]:
    """Every rule, built-in ones included (seeded after each migration), by code."""
    return Rule.objects.order_by("code")


def rule_by_code(code: str | None) -> Rule | None:
    return Rule.objects.filter(code=code).first() if code else None


def alerts_visible_to(user: User) -> QuerySet[Alert]:
    """Alerts on the customers the user may see (row-level access through the customer)."""
    return Alert.objects.filter(customer_scope(user, prefix="customer__"))


def alerts_of(customer: Customer, *, status: str = "open") -> QuerySet[Alert]:
    """The customer's alerts in one status ("" for all), as the API lists them."""
    alerts = Alert.objects.filter(customer=customer)
    return alerts.filter(status=status) if status else alerts


def snapshots_of(customer: Customer) -> QuerySet[CustomerSnapshot]:
    """The customer's monthly scores and tiers, oldest first, without the feature vectors."""
    return CustomerSnapshot.objects.filter(customer=customer).order_by("month").defer("features")


def latest_churn_snapshot(customer: Customer) -> CustomerSnapshot | None:
    return CustomerSnapshot.objects.filter(customer=customer, churn_risk__isnull=False).order_by("-month").first()


def month_runs(limit: int = 100) -> QuerySet[MonthRun]:
    """The latest month runs, newest first, with who started them."""
    return MonthRun.objects.select_related("started_by")[:limit]


def value_model_versions(limit: int = 20) -> QuerySet[ValueModelVersion]:
    return ValueModelVersion.objects.select_related("created_by")[:limit]


# Customers by signal (the customer list's filters, issue 23): each returns a subquery of customer
# ids that the list intersects with the user's own scope.


# Alerts raised without a rule of the rule language, by code (the customer list's rule picker).
ALERTS_WITHOUT_RULE = {
    CHURN_CODE: gettext_lazy("流失风险（模型预测）"),
    "TIER_DOWN": gettext_lazy("高价值客户降级"),
    "GROUP_PROOF": gettext_lazy("集团认定未落实"),
    COMPETITOR_CODE: gettext_lazy("竞争对手动向"),
}


def latest_run_month() -> Any:
    """The month of the latest successful month run (None before any)."""
    return (
        MonthRun.objects.filter(status=MonthRun.Status.SUCCEEDED).order_by("-month").values_list("month", flat=True)
    ).first()


def customers_alerted(*, rule: str = "", family: str = "", status: str = "open") -> QuerySet[Any, Any]:
    """Customers with an alert of the rule (whatever its version) or the family, in that status
    ("open", "resolved", or "" for either)."""
    alerts = Alert.objects.all()
    if rule:
        alerts = alerts.filter(rule_code=rule)
    if family:
        alerts = alerts.filter(family=family)
    if status:
        alerts = alerts.filter(status=status)
    return alerts.values("customer_id")


def customers_in_churn_band(band: str) -> QuerySet[Any, Any]:
    """Customers in the churn risk band in the latest month scored."""
    month = (
        CustomerSnapshot.objects.filter(churn_risk__isnull=False)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if month is None:
        return CustomerSnapshot.objects.none().values("customer_id")
    return CustomerSnapshot.objects.filter(month=month, churn_band=band).values("customer_id")


def customers_tier_moved(*, from_tier: str = "", to_tier: str = "", month: Any = None) -> QuerySet[Any, Any]:
    """Customers whose tier moved in the month (the latest month run's by default): from one tier,
    to one, or both (e.g. A → B)."""
    changes = TierChange.objects.filter(month=month or latest_run_month())
    if from_tier:
        changes = changes.filter(from_tier=from_tier)
    if to_tier:
        changes = changes.filter(to_tier=to_tier)
    return changes.values("customer_id")


def family_counts(customer_ids: Any, *, rule: str = "", status: str = "open") -> dict[str, int]:
    """Customers among ``customer_ids`` (a subquery) with an alert in that status ("" for any), of
    the rule if one is given, per family: the list's tabs."""
    alerts = Alert.objects.filter(customer_id__in=customer_ids)
    if status:
        alerts = alerts.filter(status=status)
    if rule:
        alerts = alerts.filter(rule_code=rule)
    rows = alerts.values("family").annotate(n=Count("customer_id", distinct=True)).values_list("family", "n")
    return dict(rows)
