"""Each built-in rule fires on crafted features that show its signal, and stays silent on a
near miss and on a quiet customer."""

from __future__ import annotations

from typing import Any

import ibis
import pytest

from zhengqi.engine.catalogue import CATALOGUE
from zhengqi.engine.rules.builtin import BUILTIN_RULES
from zhengqi.engine.rules.language import parse

TEXT_DEFAULTS = {
    "customer_type": "enterprise",
    "industry": "C",
    "scale": "small",
    "status": "active",
    "competitor_operator": "",
    "region_code": "YHXC01",
    "tier": "C",
    "tier_prev": "C",
}
QUIET: dict[str, Any] = {
    **{name: (TEXT_DEFAULTS[name] if f.kind == "text" else 0) for name, f in CATALOGUE.items()},
    "tenure_months": 6,
    "members_active": 20,
    "revenue": 100.0,
    "revenue_avg_3": 100.0,
    "revenue_avg_12": 100.0,
    "contract_days_left": 365,
    "product_count": 2,
}

# code: (overrides that make it fire, overrides of a near miss)
CASES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "D01": ({"status": "prospect", "competitor_operator": "telecom"}, {"status": "prospect"}),
    "D02": ({"status": "prospect", "product_count": 0}, {"status": "prospect", "product_count": 1}),
    "M01": ({"tier": "A"}, {"tier": "B"}),
    "M02": ({"tenure_months": 24}, {"tenure_months": 24, "complaints_3m": 1}),
    "M03": (
        {"members_returned_3m": 4, "members_returned_prev_3m": 2},
        {"members_returned_3m": 4, "members_returned_prev_3m": 3},
    ),
    "R01": ({"contract_days_left": 90}, {"contract_days_left": 91}),
    "R02": ({"members_left_3m": 4, "members_left_prev_3m": 2}, {"members_left_3m": 4, "members_left_prev_3m": 3}),
    "R03": ({"cancellations_3m": 2, "cancellations_prev_3m": 1}, {"cancellations_3m": 1, "cancellations_prev_3m": 1}),
    "R04": ({"decline_streak": 3}, {"decline_streak": 2}),
    "R05": ({"competitor_calls_3m": 4, "competitor_calls_prev_3m": 2}, {"competitor_calls_3m": 2}),
    "U01": ({"new_products_3m": 2, "new_products_prev_3m": 1}, {"new_products_3m": 2, "new_products_prev_3m": 2}),
    "U02": ({"members_growth_6m": 0.2}, {"members_growth_6m": 0.19}),
    "P01": ({"revenue_anomaly_z": 3.0}, {"revenue_anomaly_z": 2.99}),
    "P02": ({"member_jump_z": 4.5, "members_change": -12}, {"member_jump_z": 4.5, "members_change": 9}),
    "P03": ({"idle_share": 0.6}, {"idle_share": 0.6, "members_active": 9}),
    "P04": ({"product_changes_6m": 4}, {"product_changes_6m": 3}),
    "P05": ({"complaints_3m": 3, "complaints_prev_3m": 2}, {"complaints_3m": 3, "complaints_prev_3m": 3}),
    "P06": ({"arrears_months_6": 3}, {"arrears_months_6": 2}),
}


def fires(expression: str, **overrides: Any) -> bool:
    row = {**QUIET, **overrides}
    table = ibis.memtable({k: [v] for k, v in row.items()})
    rule = parse(expression)
    return bool(table.select(hit=rule.compile(table)).to_pyarrow()["hit"][0].as_py())


def test_every_builtin_rule_has_cases() -> None:
    assert {r.code for r in BUILTIN_RULES} == set(CASES)


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: f"{r.code}-{r.name}")
def test_rule_fires_on_its_signal(rule: Any) -> None:
    assert fires(rule.expression, **CASES[rule.code][0])


@pytest.mark.parametrize("rule", BUILTIN_RULES, ids=lambda r: f"{r.code}-{r.name}")
def test_rule_is_silent_on_a_near_miss_and_a_quiet_customer(rule: Any) -> None:
    assert not fires(rule.expression, **CASES[rule.code][1])
    assert not fires(rule.expression)


@pytest.mark.parametrize("rule", [r for r in BUILTIN_RULES if r.family != "develop"], ids=lambda r: r.code)
def test_rules_about_customers_in_service_ignore_churned_ones(rule: Any) -> None:
    assert not fires(rule.expression, **{**CASES[rule.code][0], "status": "churned"})


def test_unknown_values_never_fire() -> None:
    # a customer with no agreement has no contract_days_left: "about to expire" must not fire
    assert not fires("status = 'active' and contract_days_left between 0 and 90", contract_days_left=None)
