"""终端与资费 (seed 004 攻: 终端 + 资费 + 行业应用; the five-dimension risk's tariff comparison).

The province keeps a catalogue of terminals and of our tariff plans (营销策划 or the admin); account
managers record a competitor's tariff plan from a competitor event, for the event's customers. A
**bundle** offered to a customer — terminals, our tariff for its lines, an industry application — is
priced per month (terminals spread over the contract) against the competitor's tariff for the same
lines: the latest one recorded for that customer, unless the account manager picks another.

The five-dimension risk's tariff dimension compares, for a customer with a competitor tariff on
record, that tariff's monthly fee per line with what the customer pays us per active member.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Product
from zhengqi.marketing.models import Opportunity, Stage
from zhengqi.marketing.pipeline.services import OPEN_STAGES, OpportunityInput, opportunity_create, opportunity_update
from zhengqi.web.forms import bound_of, parse_amount, parse_int

from .models import Bundle, CompetitorEvent, TariffPlan, Terminal

CENT = Decimal("0.01")
# What the columns hold: a typed amount beyond them is refused in Chinese, never overflowed.
PRICE_BOUND = bound_of(Terminal._meta.get_field("price"))
FEE_BOUND = bound_of(TariffPlan._meta.get_field("monthly_fee"))
DATA_BOUND = bound_of(TariffPlan._meta.get_field("data_gb"))
T = TypeVar("T")


@dataclass(frozen=True)
class Price:
    ours: Decimal  # per month, the whole bundle
    theirs: Decimal | None  # the competitor's tariff for the same lines, per month

    @property
    def gap(self) -> Decimal | None:
        """How much dearer (+) or cheaper (−) ours is than theirs, as a share of theirs."""
        if self.theirs is None or self.theirs == 0:
            return None
        return ((self.ours - self.theirs) / self.theirs).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def gap_percent(self) -> str:
        """The gap's size as people read it: "12.5%" (dearer or cheaper is said beside it)."""
        gap = self.gap
        return "" if gap is None else f"{abs(gap) * 100:.1f}%"


def bundle_price(
    *,
    fee: Decimal,
    lines: int,
    terminal_price: Decimal = Decimal(0),
    terminals: int = 0,
    months: int = 24,
    application_fee: Decimal = Decimal(0),
    their_fee: Decimal | None = None,
) -> Price:
    """Ours: the tariff for every line, the application, the terminals spread over the contract's
    months. Theirs: their tariff for the same lines (their terminals and applications unknown)."""
    ours = fee * lines + application_fee + terminal_price * terminals / max(1, months)
    theirs = their_fee * lines if their_fee is not None else None
    return Price(
        ours.quantize(CENT, rounding=ROUND_HALF_UP), theirs.quantize(CENT, rounding=ROUND_HALF_UP) if theirs else theirs
    )


def price_of(b: Bundle) -> Price:
    return bundle_price(
        fee=b.tariff.monthly_fee,
        lines=b.lines,
        terminal_price=b.terminal.price if b.terminal else Decimal(0),
        terminals=b.terminals if b.terminal else 0,
        months=b.months,
        application_fee=b.application_fee,
        their_fee=b.competitor_tariff.monthly_fee if b.competitor_tariff else None,
    )


def tariff_health(their_fee: Decimal, our_per_line: Decimal) -> float:
    """The five-dimension risk's tariff health: 1 when theirs is no cheaper than what the customer
    pays us per line, their ÷ ours when it is (a competitor at 80 % of our price: 0.8)."""
    if our_per_line <= 0:
        return 1.0
    return float(min(Decimal(1), max(Decimal(0), their_fee / our_per_line)))


# --- input ------------------------------------------------------------------------------------------


def _count(raw: object, field: str, label: str, low: int, high: int) -> int:
    number = parse_int(raw)
    if number is None or not low <= number <= high:
        raise ValidationError(
            {field: _("%(label)s应为 %(a)s 至 %(b)s 的整数。") % {"label": label, "a": low, "b": high}}
        )
    return number


class Errors:
    """Every field's message at once: each parse is tried, the first message of a field kept."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def take(self, parse: Callable[[], T]) -> T | None:
        try:
            return parse()
        except ValidationError as err:
            for k, v in err.message_dict.items():
                self.found.setdefault(k, v[0])
            return None

    def add(self, field: str, message: str) -> None:
        self.found.setdefault(field, message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def may_keep_catalogue(user: User) -> bool:
    return matrix.role_of(user) in matrix.CONFIGURERS


def terminal_add(*, by: User, name: str, kind: str, price: object) -> Terminal:
    if not may_keep_catalogue(by):
        raise PermissionDenied(_("终端与我方资费目录由营销策划或省公司管理员维护。"))
    text = name.strip()[:100]
    errors = Errors()
    if not text:
        errors.add("name", _("请填写终端型号。"))
    elif Terminal.objects.filter(name=text).exists():
        errors.add("name", _("终端“%(n)s”已在目录中。") % {"n": text})
    if kind not in Terminal.Kind.values:
        errors.add("kind", _("请选择终端类别。"))
    value = errors.take(lambda: parse_amount(price, "price", _("单价"), high=PRICE_BOUND))
    errors.raise_any()
    assert value is not None
    return Terminal.objects.create(name=text, kind=kind, price=value)


@dataclass
class PlanValues:
    name: str
    monthly_fee: Decimal
    data_gb: Decimal | None
    minutes: int | None


def _plan_values(name: str, monthly_fee: object, data_gb: object, minutes: object) -> PlanValues:
    text = name.strip()[:100]
    errors = Errors()
    if not text:
        errors.add("name", _("请填写资费名称。"))
    fee = errors.take(lambda: parse_amount(monthly_fee, "monthly_fee", _("月费"), high=FEE_BOUND))
    gb = errors.take(
        lambda: parse_amount(
            data_gb, "data_gb", _("流量"), required=False, high=DATA_BOUND, unit="GB", places=Decimal("0.1")
        )
    )
    typed = str(minutes or "").strip()
    count = errors.take(lambda: _count(minutes, "minutes", _("通话分钟数"), 0, 100000)) if typed else None
    errors.raise_any()
    assert fee is not None
    return PlanValues(text, fee, gb, count)


def tariff_add(*, by: User, name: str, monthly_fee: object, data_gb: object = "", minutes: object = "") -> TariffPlan:
    """One of our tariff plans, for the catalogue."""
    if not may_keep_catalogue(by):
        raise PermissionDenied(_("终端与我方资费目录由营销策划或省公司管理员维护。"))
    v = _plan_values(name, monthly_fee, data_gb, minutes)
    return TariffPlan.objects.create(
        name=v.name, monthly_fee=v.monthly_fee, data_gb=v.data_gb, minutes=v.minutes, created_by=by
    )


def competitor_tariff_add(
    *, by: User, event: CompetitorEvent, name: str, monthly_fee: object, data_gb: object = "", minutes: object = ""
) -> TariffPlan:
    """A competitor's tariff plan as collected from an event (the event's operator; its customers)."""
    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("对手资费由客户经理或区域经理在竞争动向中登记。"))
    v = _plan_values(name, monthly_fee, data_gb, minutes)
    return TariffPlan.objects.create(
        name=v.name, monthly_fee=v.monthly_fee, data_gb=v.data_gb, minutes=v.minutes, operator=event.operator,
        event=event, created_by=by,
    )  # fmt: skip


# --- bundles --------------------------------------------------------------------------------------------


def ours() -> QuerySet[TariffPlan]:
    return TariffPlan.objects.filter(operator="", active=True)


def terminals() -> QuerySet[Terminal]:
    return Terminal.objects.filter(active=True)


def competitor_tariffs() -> QuerySet[TariffPlan]:
    return TariffPlan.objects.exclude(operator="").select_related("event").order_by("-event__date", "-id")


def competitor_tariffs_for(customer: Customer) -> QuerySet[TariffPlan]:
    """Competitors' tariffs recorded from the events that named the customer, the latest first."""
    return competitor_tariffs().filter(event__customers=customer)


def latest_competitor_fees(customer_ids: QuerySet[Any] | list[int]) -> dict[int, Decimal]:
    """Per customer, the monthly fee of the latest competitor tariff recorded for it (by event date)."""
    through = CompetitorEvent.customers.through
    rows = (
        through.objects.filter(customer_id__in=customer_ids, competitorevent__tariffs__isnull=False)
        .exclude(competitorevent__tariffs__operator="")
        .values_list("customer_id", "competitorevent__date", "competitorevent__tariffs__monthly_fee")
        .order_by("customer_id", "-competitorevent__date", "-competitorevent__tariffs__id")
    )
    fees: dict[int, Decimal] = {}
    for customer_id, _date, fee in rows:
        fees.setdefault(customer_id, fee)
    return fees


@dataclass
class BundleInput:
    tariff_id: int | None
    lines: object
    terminal_id: int | None = None
    terminals: object = 0
    application_id: int | None = None
    application_fee: object = 0
    months: object = 24
    competitor_tariff_id: int | None = None


def bundle_create(*, by: User, customer: Customer, data: BundleInput, now: dt.datetime | None = None) -> Bundle:
    """Offer a bundle to a customer the user may see (the caller has checked the scope)."""
    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("终端资费组合由客户经理或区域经理为客户配置。"))
    tariff = ours().filter(pk=data.tariff_id or 0).first()
    terminal = terminals().filter(pk=data.terminal_id or 0).first() if data.terminal_id else None
    application = Product.objects.filter(pk=data.application_id).first() if data.application_id else None
    theirs = competitor_tariffs().filter(pk=data.competitor_tariff_id).first() if data.competitor_tariff_id else None
    errors = Errors()
    if tariff is None:
        errors.add("tariff", _("请选择我方资费。"))
    lines = errors.take(lambda: _count(data.lines, "lines", _("线路数"), 1, 100000))
    count = errors.take(lambda: _count(data.terminals or 0, "terminals", _("终端数量"), 0, 100000))
    months = errors.take(lambda: _count(data.months, "months", _("合约期"), 1, 120))
    fee = errors.take(lambda: parse_amount(data.application_fee or 0, "application_fee", _("应用月费"), high=FEE_BOUND))
    if data.terminal_id and terminal is None:
        errors.add("terminal", _("请选择在售的终端。"))
    if terminal is not None and not count:
        errors.add("terminals", _("选了终端，请填写终端数量。"))
    if data.competitor_tariff_id and theirs is None:
        errors.add("competitor_tariff", _("没有这条对手资费。"))
    errors.raise_any()
    assert tariff is not None and lines is not None and months is not None and fee is not None
    if theirs is None:
        theirs = competitor_tariffs_for(customer).first()  # the latest recorded for the customer
    return Bundle.objects.create(
        customer=customer,
        tariff=tariff,
        lines=lines,
        terminal=terminal,
        terminals=(count or 0) if terminal else 0,
        application=application,
        application_fee=fee,
        months=months,
        competitor_tariff=theirs,
        created_by=by,
        created_at=now or timezone.now(),
    )


def bundles_of(customer: Customer) -> list[tuple[Bundle, Price]]:
    rows = Bundle.objects.filter(customer=customer).select_related(
        "tariff", "terminal", "application", "competitor_tariff", "created_by", "decided_by", "opportunity"
    )
    return [(b, price_of(b)) for b in rows]


# --- what the customer answered ----------------------------------------------------------------------


def bundle_get(*, user: User, pk: int) -> Bundle:
    """A bundle of a customer the user may see (404 otherwise, revealing nothing)."""
    found = (
        Bundle.objects.filter(customer_scope(user, prefix="customer__"), pk=pk)
        .select_related("customer", "tariff", "terminal", "application", "competitor_tariff", "decided_by")
        .first()
    )
    if found is None:
        raise Http404(_("组合不存在或不在您的范围内。"))
    return found


OUTCOMES = (Bundle.Status.WON, Bundle.Status.LOST)


NEW_DEAL, NO_DEAL = "new", "none"


def open_deals(customer: Customer) -> QuerySet[Opportunity]:
    """The customer's opportunities still in play: a signed bundle may close one of them."""
    return Opportunity.objects.filter(customer=customer, stage__in=OPEN_STAGES).order_by("close_date", "pk")


@transaction.atomic
def bundle_decide(
    *,
    by: User,
    bundle: Bundle,
    outcome: str,
    reason: str = "",
    deal: object = NEW_DEAL,
    now: dt.datetime | None = None,
) -> Bundle:
    """Record the customer's answer to an offered bundle: signed, or not signed with the reason
    (price, terminal, network …). An answer, once recorded, stays; of two at once the second is
    refused (the row is locked).

    A signed bundle is a signed deal in the pipeline: ``deal`` is "new" (a signed opportunity is
    registered: the bundle's monthly price, its application as the product), the id of one of the
    customer's open opportunities (moved to 签约, the application added), or "none"."""
    if matrix.role_of(by) not in matrix.WORKERS:
        raise PermissionDenied(_("终端资费组合由客户经理或区域经理为客户配置。"))
    locked = (  # the bundle row only: PostgreSQL locks no outer join (the application may be none)
        Bundle.objects.select_for_update(of=("self",))
        .select_related("customer", "tariff", "application")
        .get(pk=bundle.pk)
    )
    reason = (reason or "").strip()
    errors = Errors()
    if locked.status != Bundle.Status.OFFERED:
        errors.add("outcome", _("该组合已登记为“%(s)s”，结果不能再改。") % {"s": locked.get_status_display()})
    elif outcome not in OUTCOMES:
        errors.add("outcome", _("结果应为“已签约”或“未成交”。"))
    if outcome == Bundle.Status.LOST and not reason:
        errors.add("reason", _("请填写未成交的原因，例如价格、终端或网络。"))
    if len(reason) > 200:
        errors.add("reason", _("原因不能超过 200 个字。"))
    existing = None
    if outcome == Bundle.Status.WON and str(deal or NO_DEAL) not in (NEW_DEAL, NO_DEAL):
        existing = open_deals(locked.customer).filter(pk=parse_int(deal) or 0).first()
        if existing is None:
            errors.add("deal", _("请选择该客户进行中的商机，或新建一条。"))
    errors.raise_any()
    locked.status = outcome
    locked.lost_reason = reason if outcome == Bundle.Status.LOST else ""
    locked.decided_by = by
    locked.decided_at = now or timezone.now()
    if outcome == Bundle.Status.WON and str(deal or NO_DEAL) != NO_DEAL:
        locked.opportunity = _sign(by, locked, existing, locked.decided_at)
    locked.save(update_fields=["status", "lost_reason", "decided_by", "decided_at", "opportunity"])
    return locked


def _sign(by: User, bundle: Bundle, deal: Opportunity | None, when: dt.datetime) -> Opportunity:
    """The pipeline's side of a signed bundle (a new signed opportunity, or an open one signed)."""
    day = timezone.localtime(when).date()
    codes = [bundle.application.code] if bundle.application else []
    if deal is None:
        name = _("终端资费组合：%(t)s × %(n)s 线") % {"t": bundle.tariff.name, "n": bundle.lines}
        data = OpportunityInput(
            name=name[:100], close_date=day, expected_revenue=price_of(bundle).ours, stage=Stage.SIGNED,
            product_codes=codes,
        )  # fmt: skip
        return opportunity_create(by=by, customer=bundle.customer, data=data)
    data = OpportunityInput(
        name=deal.name, close_date=day, expected_revenue=deal.expected_revenue or price_of(bundle).ours,
        stage=Stage.SIGNED, product_codes=sorted({*deal.products.values_list("code", flat=True), *codes}),
        version=deal.version,
    )  # fmt: skip
    return opportunity_update(by=by, opportunity=deal, data=data)


@dataclass(frozen=True)
class OutcomeRow:
    """Bundles whose price stood one way against the competitor's, and how they ended."""

    position: str  # "cheaper", "dearer" or "unknown"
    label: str
    offered: int
    won: int
    lost: int

    @property
    def open(self) -> int:
        return self.offered - self.won - self.lost

    @property
    def win_rate(self) -> float | None:
        """Signed among those answered (open offers are not yet a loss)."""
        answered = self.won + self.lost
        return self.won / answered if answered else None


def position_of(price: Price) -> str:
    gap = price.gap
    if gap is None:
        return "unknown"
    return "cheaper" if gap <= 0 else "dearer"


def bundle_outcomes(user: User) -> list[OutcomeRow]:
    """The bundles offered to the customers the user sees, by whether ours was the cheaper or the
    dearer offer (or had no competitor's to compare), with how many were signed and lost: do we
    win on price?"""
    rows = Bundle.objects.filter(customer_scope(user, prefix="customer__")).select_related(
        "tariff", "terminal", "competitor_tariff"
    )
    counts = {p: [0, 0, 0] for p in ("cheaper", "dearer", "unknown")}
    for b in rows:
        tally = counts[position_of(price_of(b))]
        tally[0] += 1
        tally[1] += b.status == Bundle.Status.WON
        tally[2] += b.status == Bundle.Status.LOST
    labels = {"cheaper": _("不高于对手"), "dearer": _("高于对手"), "unknown": _("无对手资费")}
    return [OutcomeRow(p, str(labels[p]), *counts[p]) for p in ("cheaper", "dearer", "unknown")]
