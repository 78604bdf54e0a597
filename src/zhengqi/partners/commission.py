"""Partners' commission (酬金) for one month, as a pure function of deals and rule versions.

No database here: :mod:`zhengqi.partners.settlement` loads the facts into :class:`Deal` and
:class:`Rule` and freezes what this module computes into statements. Money is ``Decimal`` yuan,
each line rounded to the fen (half up), so that a statement adds up to what its lines say.

How a month is paid (the rules of the product, written down in docs/partners.md):

- A deal (an attributed subscription or won opportunity) **pays in a month** when it started on or
  before the month's last day and is still active at its end (a subscription that ends during the
  month does not pay for that month), within the rule's ``pay_months`` counted from the start month
  (``1``: once, in the start month; ``None``: every month while active), and while the partner's
  contract runs.
- A **rate** rule pays ``base × rate`` (the subscription's monthly fee, or the opportunity's
  monthly revenue); a **fixed** rule pays its amount per deal.
- **Volume tiers**: the volume is the number of the partner's deals the rule pays in that month.
  ``all``: every deal gets the value of the tier the volume reached; ``marginal``: the n-th deal
  (by start date) gets the value of the tier n falls in.
- **Clawback**: a deal that ends within ``clawback_months`` of its start month (under the terms of
  the rule version in force when it started) gives back, in the month it ends, everything that rule
  paid for it.
- Where a product-specific rule and a rule for all products both fit a deal and role, the specific
  one applies; rules of the same specificity all apply (a rate plus a one-off bonus).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from zhengqi.engine.months import Month, add_months, month_end, month_start

FEN = Decimal("0.01")
Method = Literal["rate", "fixed"]
TierMode = Literal["all", "marginal"]
LineKind = Literal["commission", "clawback"]


def months_between(start: dt.date, later: dt.date) -> int:
    """Whole months from ``start``'s month to ``later``'s month (0 for the same month)."""
    return Month.of(later).since(Month.of(start))


def fen(x: Decimal) -> Decimal:
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Tier:
    start: int  # from this volume (1-based) on
    value: Decimal  # a rate (0.08) or an amount in yuan, as the rule's method says


@dataclass(frozen=True)
class Rule:
    """One version of a commission rule."""

    id: int
    code: str
    version: int
    effective_from: dt.date  # first day of a month
    role: str  # "sales" | "service"
    deal_type: str  # "subscription" | "opportunity"
    product_id: int | None  # None: every product
    method: Method
    value: Decimal  # the rate or the amount when there are no tiers
    pay_months: int | None = None
    tiers: tuple[Tier, ...] = ()
    tier_mode: TierMode = "all"
    clawback_months: int = 0
    retired: bool = False

    def value_for(self, n: int) -> tuple[Decimal, Tier | None]:
        """The rate or amount for volume (or rank) ``n``, and the tier that gave it."""
        reached = [t for t in self.tiers if t.start <= n]
        if not reached:
            return self.value, None
        tier = max(reached, key=lambda t: t.start)
        return tier.value, tier


@dataclass(frozen=True)
class Deal:
    attribution_id: int
    role: str
    deal_type: str
    product_ids: frozenset[int]
    start: dt.date
    end: dt.date | None  # the day it stopped (a cancelled subscription); None while active
    base: Decimal  # monthly fee or monthly revenue
    label: str = ""


@dataclass(frozen=True)
class Partner:
    id: int
    contract_start: dt.date | None = None
    contract_end: dt.date | None = None

    def contracted_in(self, month: dt.date) -> bool:
        first, last = month_start(month), month_end(month)
        return (self.contract_start is None or self.contract_start <= last) and (
            self.contract_end is None or self.contract_end >= first
        )


@dataclass(frozen=True)
class Line:
    attribution_id: int
    rule_id: int
    rule_code: str
    kind: LineKind
    base: Decimal
    value: Decimal  # rate or amount applied; for a clawback, the months it gives back
    volume: int  # the rule's paying deals this month (for a marginal tier: this deal's rank)
    tier_start: int | None
    amount: Decimal
    explanation: str = ""

    @property
    def key(self) -> tuple[int, str, str]:
        """What a later recomputation is compared on: one deal, one rule, one kind of line."""
        return (self.attribution_id, self.rule_code, self.kind)


@dataclass
class Book:
    """The rules (all versions) of the province, looked up by month."""

    rules: Sequence[Rule]
    _by_code: dict[str, list[Rule]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for r in sorted(self.rules, key=lambda r: (r.effective_from, r.version)):
            self._by_code.setdefault(r.code, []).append(r)

    def in_force(self, month: dt.date) -> list[Rule]:
        """Per rule code, the latest version in force in ``month`` (retired ones left out)."""
        out = []
        for versions in self._by_code.values():
            current = [r for r in versions if r.effective_from <= month]
            if current and not current[-1].retired:
                out.append(current[-1])
        return out

    def version_at(self, code: str, month: dt.date) -> Rule | None:
        current = [r for r in self._by_code.get(code, []) if r.effective_from <= month]
        return current[-1] if current and not current[-1].retired else None


def rules_for(deal: Deal, rules: Iterable[Rule]) -> list[Rule]:
    """The rules that apply to a deal: its role and type; product-specific ones before general."""
    fitting = [r for r in rules if r.role == deal.role and r.deal_type == deal.deal_type]
    specific = [r for r in fitting if r.product_id is not None and r.product_id in deal.product_ids]
    return specific or [r for r in fitting if r.product_id is None]


def pays_in(deal: Deal, rule: Rule, month: dt.date) -> bool:
    first, last = month_start(month), month_end(month)
    if deal.start > last or (deal.end is not None and deal.end <= last):
        return False
    k = months_between(deal.start, first)
    return k >= 0 and (rule.pay_months is None or k < rule.pay_months)


def _describe(deal: Deal, rule: Rule, value: Decimal, tier: Tier | None, volume: int) -> str:
    how = f"{deal.base:,.2f} × {value * 100:.2f}%" if rule.method == "rate" else f"{value:,.2f}"
    tiered = f"（第 {tier.start} 档起，量 {volume}）" if tier is not None else ""
    return f"{deal.label} · {rule.code} v{rule.version} · {how}{tiered}"


def month_lines(partner: Partner, deals: Sequence[Deal], book: Book, month: dt.date) -> list[Line]:
    """The commission and clawback lines of one partner in one month."""
    month = month_start(month)
    memo: dict[dt.date, list[Line]] = {}

    def commission(m: dt.date) -> list[Line]:
        if m not in memo:
            memo[m] = _commission(partner, deals, book, m)
        return memo[m]

    lines = list(commission(month))
    lines.extend(_clawbacks(deals, book, month, commission))
    return lines


def _commission(partner: Partner, deals: Sequence[Deal], book: Book, month: dt.date) -> list[Line]:
    if not partner.contracted_in(month):
        return []
    in_force = book.in_force(month)
    paying: dict[str, list[tuple[Deal, Rule]]] = {}
    for deal in deals:
        for rule in rules_for(deal, in_force):
            if pays_in(deal, rule, month):
                paying.setdefault(rule.code, []).append((deal, rule))
    lines = []
    for pairs in paying.values():
        pairs.sort(key=lambda p: (p[0].start, p[0].attribution_id))
        volume = len(pairs)
        for rank, (deal, rule) in enumerate(pairs, start=1):
            n = rank if rule.tier_mode == "marginal" else volume
            value, tier = rule.value_for(n)
            amount = fen(deal.base * value) if rule.method == "rate" else fen(value)
            lines.append(
                Line(
                    attribution_id=deal.attribution_id,
                    rule_id=rule.id,
                    rule_code=rule.code,
                    kind="commission",
                    base=deal.base,
                    value=value,
                    volume=n,
                    tier_start=tier.start if tier else None,
                    amount=amount,
                    explanation=_describe(deal, rule, value, tier, n),
                )
            )
    return lines


def _clawbacks(
    deals: Sequence[Deal], book: Book, month: dt.date, commission: Callable[[dt.date], list[Line]]
) -> list[Line]:
    first, last = month_start(month), month_end(month)
    out = []
    for deal in deals:
        if deal.end is None or not (first <= deal.end <= last):
            continue
        start_month = month_start(deal.start)
        for rule in rules_for(deal, book.in_force(start_month)):
            if rule.clawback_months <= 0 or months_between(deal.start, deal.end) >= rule.clawback_months:
                continue
            paid = Decimal(0)
            m = start_month
            while m < first:
                paid += sum(
                    (
                        line.amount
                        for line in commission(m)
                        if line.attribution_id == deal.attribution_id and line.rule_code == rule.code
                    ),
                    Decimal(0),
                )
                m = add_months(m, 1)
            if paid:
                months = months_between(deal.start, deal.end)
                out.append(
                    Line(
                        attribution_id=deal.attribution_id,
                        rule_id=rule.id,
                        rule_code=rule.code,
                        kind="clawback",
                        base=paid,
                        value=Decimal(months),
                        volume=0,
                        tier_start=None,
                        amount=-paid,
                        explanation=(
                            f"{deal.label} · {rule.code} v{rule.version} · "
                            f"开通后 {months} 个月内离网（{deal.end:%Y-%m-%d}），追回已付 {paid:,.2f}"
                        ),
                    )
                )
    return out


def totals_by_key(lines: Iterable[Line]) -> dict[tuple[int, str, str], Decimal]:
    out: dict[tuple[int, str, str], Decimal] = {}
    for line in lines:
        out[line.key] = out.get(line.key, Decimal(0)) + line.amount
    return out
