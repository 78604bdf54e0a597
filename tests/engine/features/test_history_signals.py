"""Features recomputed from generated raw facts, independently of the engine.

- History-relative signals (消费总额变异 P01, 服务人数突变 P02): a flat history followed by a large
  move fires the rule; noise alone, within the bounds the scale's floor allows, never does.
- Member counts reported per customer (customer_month's 在网成员数 …) are used where the member
  tables have nothing, and member-level data wins where both exist.
- Cancellations: the larger of billing's count and the subscriptions that ended, by month.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from zhengqi.engine.features import monthly
from zhengqi.engine.lake import Lake
from zhengqi.engine.rules.builtin import BUILTIN_RULES
from zhengqi.engine.rules.language import parse
from zhengqi.engine.sources import staged_sources
from zhengqi.engine.staging.months import month_idx, month_of

MONTH = dt.date(2026, 10, 1)
M = month_idx(MONTH)
RULES = {r.code: parse(r.expression) for r in BUILTIN_RULES if r.code in ("P01", "P02")}


def ago(k: int) -> dt.date:
    return month_of(M - k)


def _dates(rows: list[dict[str, Any]], *names: str) -> pa.Table:
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    return pa.table({k: pa.array(v, type=pa.date32()) if k in names else v for k, v in columns.items()})


def build(
    root: Path,
    revenue: dict[int, float],
    members: dict[int, int] | None = None,
    reported: dict[int, dict[str, int]] | None = None,
    cancellations: dict[int, int] | None = None,
    ended: list[int] | None = None,
) -> dict[str, Any]:
    """The feature row of customer C for MONTH, from its facts by months ago: revenue, members
    in the member tables (a count per month: that many member lines), member counts reported
    per customer, billing's cancellations and the months ago its subscriptions ended."""
    lake = Lake(root)
    months = sorted({*revenue, *(members or {}), *(reported or {}), 0}, reverse=True)
    for k in months:
        row = {
            "month": ago(k),
            "customer_code": "C",
            "revenue_total": revenue.get(k, 0.0),
            "revenue_info": 0.0,
            "revenue_data": 0.0,
            "revenue_line": 0.0,
            "arrears": 0.0,
            "complaints": 0,
            "cancellations": (cancellations or {}).get(k, 0),
            "competitor_calls": 0,
        }
        if reported is not None:
            for column in monthly_reported_columns():
                row[column] = (reported.get(k) or {}).get(column)
        lake.write_month("customer_month", ago(k), _dates([row], "month"))
        lines = (members or {}).get(k, 0)
        member_rows = [
            {"month": ago(k), "msisdn": n, "customer_code": "C", "voice_minutes": 10, "sms_count": 1, "vnet_calls": 1}
            for n in range(lines)
        ] or [{"month": ago(k), "msisdn": 0, "customer_code": "Z", "voice_minutes": 1, "sms_count": 1, "vnet_calls": 1}]
        lake.write_month("member_month", ago(k), _dates(member_rows, "month"))
    lake.write_table(
        "members",
        _dates(
            [
                {
                    "msisdn": 0,
                    "customer_code": "Z",
                    "join_month": ago(30),
                    "in_vnet": False,
                    "leave_month": None,
                    "return_month": None,
                    "end_month": None,
                }
            ],
            "join_month",
            "leave_month",
            "return_month",
            "end_month",
        ),
    )
    lake.write_table(
        "dim_customers",
        pa.table(
            {
                "customer_code": ["C", "Z"],
                "customer_type": ["enterprise"] * 2,
                "industry": ["C"] * 2,
                "scale": ["large"] * 2,
                "status": ["active"] * 2,
                "competitor_operator": [""] * 2,
                "region_code": ["D1"] * 2,
            }
        ),
    )
    lake.write_table("dim_hierarchy", pa.table({"ancestor_code": ["C", "Z"], "customer_code": ["C", "Z"]}))
    subscriptions = [{"customer_code": "Z", "product_code": "LINE", "start": ago(30), "end": None}]
    subscriptions += [
        {"customer_code": "C", "product_code": f"P{n}", "start": ago(30), "end": ago(k)}
        for n, k in enumerate(ended or [])
    ]
    lake.write_table("dim_subscriptions", _dates(subscriptions, "start", "end"))
    lake.write_table(
        "dim_contracts",
        _dates([{"customer_code": "Z", "start": dt.date(2024, 1, 1), "end": dt.date(2028, 1, 1)}], "start", "end"),
    )
    features = monthly.build(staged_sources(lake.connect("duckdb")), MONTH)
    fired = {code: rule.compile(features) for code, rule in RULES.items()}
    rows = features.mutate(**{f"fires_{c}": e for c, e in fired.items()}).to_pyarrow().to_pylist()
    return next(r for r in rows if r["customer_code"] == "C")


def monthly_reported_columns() -> tuple[str, ...]:
    return ("members_active", "members_joined", "members_left", "members_returned", "members_vnet", "members_idle")


run_settings = settings(max_examples=15, deadline=None)


@run_settings
@given(
    level=st.floats(min_value=100, max_value=1e7),
    history=st.integers(min_value=3, max_value=12),
    factor=st.one_of(st.floats(min_value=1.5, max_value=20), st.floats(min_value=0, max_value=0.5)),
)
def test_a_revenue_jump_after_a_flat_history_fires(
    tmp_path_factory: Any, level: float, history: int, factor: float
) -> None:
    revenue = {k: level for k in range(1, history + 1)} | {0: level * factor}
    row = build(tmp_path_factory.mktemp("lake"), revenue)
    assert row["revenue_anomaly_z"] >= 3 and row["fires_P01"]


@run_settings
@given(
    level=st.floats(min_value=100, max_value=1e7),
    spread=st.floats(min_value=0, max_value=0.1),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_revenue_noise_alone_does_not_fire(tmp_path_factory: Any, level: float, spread: float, seed: int) -> None:
    """Each month within ±spread (≤ 10 %) of the level: the move is at most 2·spread of the level,
    the scale at least 10 % of a mean ≥ 90 % of it, so the score stays under 2.3."""
    rng = random.Random(seed)
    revenue = {k: level * (1 + rng.uniform(-spread, spread)) for k in range(13)}
    row = build(tmp_path_factory.mktemp("lake"), revenue)
    assert row["revenue_anomaly_z"] < 3 and not row["fires_P01"]


@run_settings
@given(
    size=st.integers(min_value=13, max_value=400),  # so that the change is at least the rule's 10 members
    history=st.integers(min_value=4, max_value=12),
    factor=st.sampled_from([3, 0.2, 5]),
    per_customer=st.booleans(),
)
def test_a_member_jump_after_a_flat_history_fires(
    tmp_path_factory: Any, size: int, history: int, factor: float, per_customer: bool
) -> None:
    """Members flat for months, then ×3, ×5 or down to a fifth — counted member by member, or
    reported per customer: the same signal either way."""
    counts = {k: size for k in range(1, history + 1)} | {0: int(size * factor)}
    revenue = dict.fromkeys(counts, 1000.0)
    if per_customer:
        row = build(
            tmp_path_factory.mktemp("lake"), revenue, reported={k: {"members_active": n} for k, n in counts.items()}
        )
    else:
        row = build(tmp_path_factory.mktemp("lake"), revenue, members=counts)
    assert row["members_active"] == int(size * factor)
    assert row["member_jump_z"] >= 4 and row["fires_P02"]


@run_settings
@given(
    size=st.integers(min_value=300, max_value=3000),
    seed=st.integers(min_value=0, max_value=2**32),
    noise=st.floats(min_value=0, max_value=1),
)
def test_member_noise_alone_does_not_fire(tmp_path_factory: Any, size: int, seed: int, noise: float) -> None:
    """Members within ±c of the level, c < level / 51: a change is at most 4c from the mean change,
    the scale at least 2 % of last month's members, so the score stays under 4."""
    rng = random.Random(seed)
    c = int(noise * (size // 52))
    counts = {k: size + rng.randint(-c, c) for k in range(13)}
    row = build(
        tmp_path_factory.mktemp("lake"),
        dict.fromkeys(counts, 1000.0),
        reported={k: {"members_active": n} for k, n in counts.items()},
    )
    assert row["member_jump_z"] < 4 and not row["fires_P02"]


reported_counts = st.fixed_dictionaries(
    {column: st.integers(min_value=0, max_value=500) for column in monthly_reported_columns()}
)


@run_settings
@given(reported=st.dictionaries(st.integers(min_value=0, max_value=7), reported_counts, min_size=1))
def test_member_counts_reported_per_customer_are_used(
    tmp_path_factory: Any, reported: dict[int, dict[str, int]]
) -> None:
    row = build(tmp_path_factory.mktemp("lake"), dict.fromkeys(reported, 100.0), reported=reported)

    def at(k: int, column: str) -> int:
        return (reported.get(k) or {}).get(column, 0)

    def window(column: str, lo: int, hi: int) -> int:
        return sum(at(k, column) for k in range(lo, hi + 1))

    assert row["members_active"] == at(0, "members_active")
    assert row["members_idle"] == at(0, "members_idle")
    assert row["members_idle_prev"] == at(1, "members_idle")
    assert row["members_joined"] == at(0, "members_joined")
    assert row["members_left"] == at(0, "members_left")
    assert row["members_left_3m"] == window("members_left", 0, 2)
    assert row["members_left_prev_3m"] == window("members_left", 3, 5)
    assert row["members_returned"] == at(0, "members_returned")
    assert row["members_returned_3m"] == window("members_returned", 0, 2)
    assert row["members_returned_prev_3m"] == window("members_returned", 3, 5)
    active = at(0, "members_active")
    assert row["vnet_share"] == (round(at(0, "members_vnet") / active, 6) if active else None)
    if 0 in reported and 1 in reported:
        assert row["members_change"] == at(0, "members_active") - at(1, "members_active")


def test_member_rows_win_over_reported_counts(tmp_path_factory: Any) -> None:
    row = build(
        tmp_path_factory.mktemp("lake"),
        {0: 100.0, 1: 100.0},
        members={0: 7, 1: 5},
        reported={0: {"members_active": 900}, 1: {"members_active": 800}},
    )
    assert (row["members_active"], row["members_change"]) == (7, 2)


@run_settings
@given(
    billed=st.dictionaries(st.integers(min_value=0, max_value=7), st.integers(min_value=0, max_value=5)),
    ended=st.lists(st.integers(min_value=0, max_value=7), max_size=8),
)
def test_cancellations_are_the_larger_of_billing_and_ended_subscriptions(
    tmp_path_factory: Any, billed: dict[int, int], ended: list[int]
) -> None:
    row = build(tmp_path_factory.mktemp("lake"), dict.fromkeys(range(8), 100.0), cancellations=billed, ended=ended)

    def month(k: int) -> int:
        return max(billed.get(k, 0), ended.count(k))

    assert row["cancellations"] == month(0)
    assert row["cancellations_3m"] == sum(month(k) for k in range(3))
    assert row["cancellations_prev_3m"] == sum(month(k) for k in range(3, 6))
