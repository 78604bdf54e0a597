"""Service by tier (分层服务, seed 000 A+/A/B/C 分级服务管理; seed 002 §1): what a customer of each value
tier is promised — a visit every so many days, its own deadlines for some types of request, how
early an open request is escalated, a dedicated service line, a yearly service review, benefits —
and which tier's promises a customer is entitled to on a given day.

A customer's tier is set by the month run (the value model). The entitlements of a new tier count
from **the next day** (``TierHistory.effective_from``; a customer's first tier at once): a request
accepted today keeps today's terms, and its terms never change afterwards (the request records the
tier it was accepted under).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypedDict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.engine.value.tiers import TIER_ORDER, TIERS

from .models import RequestType, TierDeadline, TierHistory, TierService


# The catalogue a new province starts from (the admin edits it on the page 分层服务). Deadlines in
# hours for the types a tier answers faster than the general deadline (处理时限).
class _DefaultTerms(TypedDict):
    visit_days: int
    escalate_percent: int
    dedicated_line: bool
    annual_review: bool
    benefits: str
    deadlines: dict[str, int]


DEFAULT_CATALOGUE: dict[str, _DefaultTerms] = {
    "A+": {
        "visit_days": 30,
        "escalate_percent": 75,
        "dedicated_line": True,
        "annual_review": True,
        "benefits": "专属客户经理与 7×24 专席服务热线\n优先装机、优先排障\n每季度一次免费网络健康检查\n年度服务回顾会",
        "deadlines": {"fault": 4, "complaint": 12, "billing": 24, "change": 24, "delivery": 72},
    },
    "A": {
        "visit_days": 60,
        "escalate_percent": 80,
        "dedicated_line": True,
        "annual_review": True,
        "benefits": "专席服务热线\n优先装机\n每半年一次免费网络健康检查\n年度服务回顾会",
        "deadlines": {"fault": 8, "complaint": 24, "billing": 48},
    },
    "B": {
        "visit_days": 90,
        "escalate_percent": 100,
        "dedicated_line": False,
        "annual_review": False,
        "benefits": "每年一次免费网络健康检查",
        "deadlines": {"fault": 12},
    },
    "C": {
        "visit_days": 180,
        "escalate_percent": 100,
        "dedicated_line": False,
        "annual_review": False,
        "benefits": "客服热线标准服务",
        "deadlines": {},
    },
}


def install_defaults() -> int:
    """Write the default catalogue for the tiers that have none (a province's own rows are kept)."""
    made = 0
    for tier, terms in DEFAULT_CATALOGUE.items():
        deadlines = terms["deadlines"]
        fields = {k: v for k, v in terms.items() if k != "deadlines"}
        service, created = TierService.objects.get_or_create(tier=tier, defaults=fields)
        if created:
            made += 1
            TierDeadline.objects.bulk_create(
                [TierDeadline(service=service, request_type=t, hours=h) for t, h in deadlines.items()]
            )
    return made


def catalogue() -> list[TierService]:
    """The catalogue, A+ first, each with its deadlines."""
    rows = TierService.objects.prefetch_related(Prefetch("deadlines", TierDeadline.objects.order_by("request_type")))
    return sorted(rows, key=lambda s: TIER_ORDER.get(s.tier, len(TIER_ORDER)))


# --- editing the catalogue (the provincial admin) -------------------------------------------------


@dataclass
class TierTerms:
    visit_days: str | int
    escalate_percent: str | int = 100
    dedicated_line: bool = False
    annual_review: bool = False
    benefits: str = ""
    deadlines: dict[str, str | int | None] = field(default_factory=dict)  # request type → hours; blank = general


def _whole(raw: str | int | None, low: int, high: int) -> int | None:
    text = str(raw if raw is not None else "").strip().removesuffix("%").removesuffix("天").removesuffix("小时")
    try:
        value = int(text)
    except ValueError:
        return None
    return value if low <= value <= high else None


def tier_service_set(*, by: User, tier: str, terms: TierTerms) -> TierService:
    """Set one tier's promises. Only the provincial admin; bad values change nothing."""
    if matrix.role_of(by) != "admin":
        raise PermissionDenied(_("分层服务标准由省公司管理员设定。"))
    if tier not in TIERS:
        raise ValidationError({"tier": _("服务等级应为 A+、A、B 或 C。")})
    errors: dict[str, str] = {}
    visit_days = _whole(terms.visit_days, 1, 366)
    if visit_days is None:
        errors["visit_days"] = _("拜访周期应为 1 至 366 天的整数。")
    percent = _whole(terms.escalate_percent, 10, 100)
    if percent is None:
        errors["escalate_percent"] = _("升级时点应为处理时限的 10% 至 100%。")
    benefits = "\n".join(line.strip() for line in terms.benefits.splitlines() if line.strip())
    if len(benefits) > 2000:
        errors["benefits"] = _("服务权益不能超过 2000 字。")
    hours: dict[str, int] = {}
    for request_type, raw in terms.deadlines.items():
        if request_type not in RequestType.values:
            errors["deadlines"] = _("未知的请求类型。")
            continue
        if raw is None or str(raw).strip() == "":
            continue
        value = _whole(raw, 1, 24 * 90)
        if value is None:
            label = RequestType(request_type).label
            errors[f"deadline_{request_type}"] = _(
                "“%(type)s”的处理时限应为 1 至 2160 小时的整数，留空按通用时限。"
            ) % {"type": label}
        else:
            hours[request_type] = value
    if errors:
        raise ValidationError(errors)
    assert visit_days is not None and percent is not None
    with transaction.atomic():
        service, _created = TierService.objects.update_or_create(
            tier=tier,
            defaults={
                "visit_days": visit_days,
                "escalate_percent": percent,
                "dedicated_line": bool(terms.dedicated_line),
                "annual_review": bool(terms.annual_review),
                "benefits": benefits,
            },
        )
        service.deadlines.exclude(request_type__in=hours).delete()
        for request_type, value in hours.items():
            TierDeadline.objects.update_or_create(service=service, request_type=request_type, defaults={"hours": value})
    return service


# --- which tier a customer is entitled to on a day ------------------------------------------------


def in_force(rows: list[TierHistory], current: str, day: dt.date) -> str:
    """The tier in force on ``day`` from one customer's history (sorted by effective date, then as
    recorded): the latest change effective by then; before the first change, the tier it changed
    from; with no history, the customer's current tier."""
    chosen: str | None = None
    for row in rows:
        if row.effective_from <= day:
            chosen = row.to_tier
        else:
            break
    if chosen is not None:
        return chosen
    return rows[0].from_tier if rows else current


@dataclass
class TierBook:
    """The tier history of a set of customers, read at once (an import routes thousands of tickets)."""

    rows: dict[int, list[TierHistory]]

    @classmethod
    def of(cls, customer_ids: Iterable[int] | None = None) -> TierBook:
        qs = TierHistory.objects.order_by("customer_id", "effective_from", "id")
        if customer_ids is not None:
            qs = qs.filter(customer_id__in=list(customer_ids))
        rows: dict[int, list[TierHistory]] = {}
        for row in qs:
            rows.setdefault(row.customer_id, []).append(row)
        return cls(rows)

    @classmethod
    def of_customers(cls, customers: QuerySet[Customer]) -> TierBook:
        """The history of the customers of a queryset (a subquery: a province has tens of thousands)."""
        rows: dict[int, list[TierHistory]] = {}
        qs = TierHistory.objects.filter(customer__in=customers.values("pk")).order_by(
            "customer_id", "effective_from", "id"
        )
        for row in qs.iterator(chunk_size=5000):
            rows.setdefault(row.customer_id, []).append(row)
        return cls(rows)

    def tier_on(self, customer_id: int, current: str, day: dt.date) -> str:
        return in_force(self.rows.get(customer_id, []), current, day)


def tier_on(customer: Customer, day: dt.date | None = None) -> str:
    """The tier whose entitlements the customer has on ``day`` (default today)."""
    return TierBook.of([customer.pk]).tier_on(customer.pk, customer.tier, day or timezone.localdate())


def record_tier_moves(moves: Iterable[tuple[int, str, str]], *, today: dt.date | None = None) -> int:
    """Record that customers' tiers moved (customer id, from, to) today: effective tomorrow — except a
    customer's first tier, which takes effect at once (there were no promises to keep until then)."""
    today = today or timezone.localdate()
    now = timezone.now()
    tomorrow = today + dt.timedelta(days=1)
    rows = [
        TierHistory(
            customer_id=pk, from_tier=old, to_tier=new, effective_from=tomorrow if old else today, recorded_at=now
        )
        for pk, old, new in moves
        if old != new
    ]
    TierHistory.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def tier_history(customer: Customer) -> list[TierHistory]:
    return list(TierHistory.objects.filter(customer=customer).order_by("-effective_from", "-id"))
