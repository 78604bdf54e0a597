"""The commission engine on crafted deals: every rule type, volume tiers and clawback, to the fen.

Each expected figure is worked out by hand in the comment beside it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from zhengqi.partners.commission import Book, Deal, Partner, Rule, Tier, month_lines, pays_in

SEP, OCT, NOV, DEC = dt.date(2025, 9, 1), dt.date(2025, 10, 1), dt.date(2025, 11, 1), dt.date(2025, 12, 1)
P = Partner(id=1, contract_start=dt.date(2025, 1, 1), contract_end=dt.date(2026, 12, 31))
CLOUD, LINE = 10, 20  # product ids


def rule(code: str = "S1", **kw: object) -> Rule:
    base: dict[str, object] = {
        "id": hash(code) % 1000,
        "code": code,
        "version": 1,
        "effective_from": dt.date(2025, 1, 1),
        "role": "sales",
        "deal_type": "subscription",
        "product_id": None,
        "method": "rate",
        "value": D("0.08"),
    }
    base.update(kw)
    return Rule(**base)


def deal(k: int, fee: str, start: dt.date, end: dt.date | None = None, **kw: object) -> Deal:
    base: dict[str, object] = {
        "attribution_id": k,
        "role": "sales",
        "deal_type": "subscription",
        "product_ids": frozenset({CLOUD}),
        "start": start,
        "end": end,
        "base": D(fee),
        "label": f"订购#{k}",
    }
    base.update(kw)
    return Deal(**base)


def amounts(lines: list) -> dict[tuple[int, str], D]:
    return {(line.attribution_id, line.kind): line.amount for line in lines}


def test_a_rate_pays_the_fee_times_the_rate_rounded_half_up_to_the_fen() -> None:
    book = Book([rule(value=D("0.0835"))])
    # 1,234.57 × 8.35 % = 103.0865… → 103.09;  99.99 × 8.35 % = 8.349165 → 8.35
    lines = month_lines(P, [deal(1, "1234.57", dt.date(2025, 9, 14)), deal(2, "99.99", SEP)], book, SEP)
    assert amounts(lines) == {(1, "commission"): D("103.09"), (2, "commission"): D("8.35")}


def test_a_fixed_amount_is_paid_per_deal_whatever_the_fee() -> None:
    book = Book([rule(method="fixed", value=D("350.00"))])
    lines = month_lines(P, [deal(1, "10.00", SEP), deal(2, "9999.00", SEP)], book, SEP)
    assert [line.amount for line in lines] == [D("350.00"), D("350.00")]


def test_once_pays_in_the_start_month_only_and_every_month_pays_while_active() -> None:
    once = rule("ONCE", method="fixed", value=D("200"), pay_months=1)
    monthly = rule("SVC", role="service", value=D("0.05"))  # service: 5 % of the fee every month
    book = Book([once, monthly])
    deals = [deal(1, "800", dt.date(2025, 9, 30)), deal(2, "800", SEP, role="service")]
    assert amounts(month_lines(P, deals, book, SEP)) == {(1, "commission"): D("200.00"), (2, "commission"): D("40.00")}
    assert amounts(month_lines(P, deals, book, OCT)) == {(2, "commission"): D("40.00")}


def test_three_paid_months_then_nothing() -> None:
    book = Book([rule(pay_months=3, value=D("0.10"))])
    d = [deal(1, "333.33", SEP)]
    paid = [sum(line.amount for line in month_lines(P, d, book, m)) for m in (SEP, OCT, NOV, DEC)]
    assert paid == [D("33.33"), D("33.33"), D("33.33"), 0]


def test_a_deal_that_ends_in_the_month_does_not_pay_for_it_and_one_not_started_does_not_either() -> None:
    book = Book([rule(role="service", value=D("0.05"))])
    d = [deal(1, "1000", SEP, end=dt.date(2025, 10, 20), role="service"), deal(2, "1000", NOV, role="service")]
    assert amounts(month_lines(P, d, book, SEP)) == {(1, "commission"): D("50.00")}
    assert month_lines(P, d, book, OCT) == []


def test_a_product_specific_rule_overrides_the_general_one_and_other_roles_are_untouched() -> None:
    general = rule("ALL", value=D("0.05"))
    cloud = rule("CLOUD", product_id=CLOUD, value=D("0.12"))
    bonus = rule("BONUS", product_id=CLOUD, method="fixed", value=D("100"), pay_months=1)
    book = Book([general, cloud, bonus])
    deals = [deal(1, "1000", SEP), deal(2, "1000", SEP, product_ids=frozenset({LINE}))]
    lines = month_lines(P, deals, book, SEP)
    # deal 1 (cloud): 12 % = 120.00 and the 100.00 bonus; deal 2 (line): the general 5 % = 50.00
    assert sorted((line.attribution_id, line.rule_code, line.amount) for line in lines) == [
        (1, "BONUS", D("100.00")),
        (1, "CLOUD", D("120.00")),
        (2, "ALL", D("50.00")),
    ]


def test_an_opportunity_rule_pays_on_the_won_revenue_and_not_on_subscriptions() -> None:
    book = Book([rule("OPP", deal_type="opportunity", value=D("0.15"), pay_months=1)])
    won = deal(7, "20000.00", dt.date(2025, 9, 5), deal_type="opportunity")
    lines = month_lines(P, [won, deal(8, "5000", SEP)], book, SEP)
    assert amounts(lines) == {(7, "commission"): D("3000.00")}


TIERS = (Tier(1, D("100")), Tier(3, D("150")), Tier(5, D("200")))


def test_tiers_for_all_give_every_deal_the_tier_the_volume_reached() -> None:
    book = Book([rule(method="fixed", value=D("100"), tiers=TIERS, pay_months=1)])
    two = [deal(k, "500", SEP) for k in (1, 2)]
    four = [deal(k, "500", SEP) for k in (1, 2, 3, 4)]
    five = [deal(k, "500", SEP) for k in (1, 2, 3, 4, 5)]
    assert sum(line.amount for line in month_lines(P, two, book, SEP)) == D("200.00")  # 2 × 100
    assert sum(line.amount for line in month_lines(P, four, book, SEP)) == D("600.00")  # 4 × 150
    assert sum(line.amount for line in month_lines(P, five, book, SEP)) == D("1000.00")  # 5 × 200


def test_marginal_tiers_pay_each_deal_by_its_rank_in_start_order() -> None:
    book = Book([rule(method="fixed", value=D("100"), tiers=TIERS, tier_mode="marginal", pay_months=1)])
    five = [deal(k, "500", dt.date(2025, 9, 10 - k)) for k in (1, 2, 3, 4, 5)]  # deal 5 started first
    lines = month_lines(P, five, book, SEP)
    # ranks by start: 5, 4, 3, 2, 1 → 100, 100, 150, 150, 200 = 700.00
    assert {line.attribution_id: line.amount for line in lines} == {
        5: D("100.00"),
        4: D("100.00"),
        3: D("150.00"),
        2: D("150.00"),
        1: D("200.00"),
    }


def test_rate_tiers_by_volume() -> None:
    tiers = (Tier(1, D("0.05")), Tier(3, D("0.07")))
    book = Book([rule(tiers=tiers)])
    three = [deal(1, "100.10", SEP), deal(2, "200.20", SEP), deal(3, "300.30", SEP)]
    # volume 3 → 7 %: 7.007 → 7.01; 14.014 → 14.01; 21.021 → 21.02
    assert [line.amount for line in month_lines(P, three, book, SEP)] == [D("7.01"), D("14.01"), D("21.02")]


def test_a_customer_leaving_within_the_clawback_period_gives_back_what_the_rule_paid() -> None:
    book = Book([rule(value=D("0.10"), clawback_months=6)])  # 10 % a month, clawed back within 6 months
    d = [deal(1, "1000.00", SEP, end=dt.date(2025, 11, 15))]
    assert amounts(month_lines(P, d, book, SEP)) == {(1, "commission"): D("100.00")}
    assert amounts(month_lines(P, d, book, OCT)) == {(1, "commission"): D("100.00")}
    # it ends in November: no commission for November, and the 200.00 paid for Sep and Oct comes back
    (back,) = month_lines(P, d, book, NOV)
    assert (back.kind, back.amount, back.base) == ("clawback", D("-200.00"), D("200.00"))
    assert month_lines(P, d, book, DEC) == []


def test_no_clawback_after_the_period_or_without_one() -> None:
    late = [deal(1, "1000.00", SEP, end=dt.date(2026, 3, 2))]  # 6 months after Sep: outside a 6-month period
    assert month_lines(P, late, Book([rule(value=D("0.10"), clawback_months=6)]), dt.date(2026, 3, 1)) == []
    early = [deal(1, "1000.00", SEP, end=dt.date(2025, 10, 2))]
    assert month_lines(P, early, Book([rule(value=D("0.10"))]), OCT) == []


def test_clawback_follows_the_terms_in_force_when_the_deal_started() -> None:
    v1 = rule(value=D("0.10"), clawback_months=6)
    v2 = rule(version=2, effective_from=OCT, value=D("0.20"), clawback_months=0)  # from October: 20 %, no clawback
    d = [deal(1, "1000.00", SEP, end=dt.date(2025, 11, 3))]
    (back,) = month_lines(P, d, Book([v1, v2]), NOV)
    assert back.amount == D("-300.00")  # Sep 100.00 (v1) + Oct 200.00 (v2), sold under v1's clawback


def test_rule_versions_apply_from_their_month_and_a_retired_rule_stops() -> None:
    v1 = rule(value=D("0.10"))
    v2 = rule(version=2, effective_from=OCT, value=D("0.12"))
    v3 = rule(version=3, effective_from=NOV, retired=True)
    d = [deal(1, "500.00", SEP)]
    book = Book([v3, v1, v2])
    assert [sum(line.amount for line in month_lines(P, d, book, m)) for m in (SEP, OCT, NOV)] == [
        D("50.00"),
        D("60.00"),
        0,
    ]


def test_nothing_is_paid_outside_the_partners_contract() -> None:
    ended = Partner(id=2, contract_start=dt.date(2025, 1, 1), contract_end=dt.date(2025, 9, 30))
    d = [deal(1, "500.00", SEP)]
    book = Book([rule()])
    assert len(month_lines(ended, d, book, SEP)) == 1
    assert month_lines(ended, d, book, OCT) == []


def test_pays_in_counts_months_from_the_start_month() -> None:
    r = rule(pay_months=2)
    d = deal(1, "1", dt.date(2025, 9, 30))
    assert [pays_in(d, r, m) for m in (dt.date(2025, 8, 1), SEP, OCT, NOV)] == [False, True, True, False]
