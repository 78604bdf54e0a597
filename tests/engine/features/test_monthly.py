"""Every feature of the catalogue, checked on a hand-made lake of three customers.

Customer A (active, head of a group with B), B (its subsidiary, new this month) and P (a
competitor's prospect). The month under test is 2026-10; "k months ago" is written m-k.
"""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

import pyarrow as pa
import pytest

from zhengqi.engine.catalogue import FEATURES
from zhengqi.engine.features import monthly
from zhengqi.engine.lake import Lake
from zhengqi.engine.sources import staged_sources
from zhengqi.engine.staging.months import month_idx, month_of

MONTH = dt.date(2026, 10, 1)
M = month_idx(MONTH)


def ago(k: int) -> dt.date:
    return month_of(M - k)


# A's revenue k months ago
A_REVENUE = {12: 80.0, **{k: 100.0 for k in range(4, 12)}, 3: 120.0, 2: 110.0, 1: 100.0, 0: 90.0}
A_ARREARS = {0: 50.0, 2: 30.0, 7: 10.0}
A_COMPLAINTS = {0: 1, 1: 1, 4: 1}
A_CANCELLATIONS = {1: 1}
A_COMPETITOR = {0: 2, 2: 3, 3: 1}


def customer_month() -> list[dict[str, Any]]:
    rows = []
    for k, revenue in A_REVENUE.items():
        rows.append(
            {
                "month": ago(k),
                "customer_code": "A",
                "revenue_total": revenue,
                "revenue_info": 40.0 if k == 0 else 30.0,
                "revenue_data": 20.0 if k == 0 else 10.0,
                "revenue_line": 10.0 if k == 0 else 0.0,
                "arrears": A_ARREARS.get(k, 0.0),
                "complaints": A_COMPLAINTS.get(k, 0),
                "cancellations": A_CANCELLATIONS.get(k, 0),
                "competitor_calls": A_COMPETITOR.get(k, 0),
            }
        )
    rows.append(
        {
            "month": ago(0),
            "customer_code": "B",
            "revenue_total": 50.0,
            "revenue_info": 0.0,
            "revenue_data": 0.0,
            "revenue_line": 0.0,
            "arrears": 0.0,
            "complaints": 0,
            "cancellations": 0,
            "competitor_calls": 0,
        }
    )
    return rows


def member_month() -> list[dict[str, Any]]:
    active: dict[int, list[int]] = {}
    for k in range(13, 4, -1):
        active[k] = [1, 2, 4, 5, 6]
    for k in range(4, 0, -1):
        active[k] = [1, 2, 5]
    active[0] = [1, 2, 3, 4]
    rows = []
    for k, members in active.items():
        for msisdn in members:
            # "三无": 4 this month; 2 and 5 last month (5 has left the group since: cleaned up)
            idle = (msisdn == 4 and k == 0) or (msisdn in (2, 5) and k == 1)
            rows.append(
                {
                    "month": ago(k),
                    "msisdn": msisdn,
                    "customer_code": "A",
                    "voice_minutes": 0 if idle else 100,
                    "sms_count": 0 if idle else 3,
                    "vnet_calls": 0 if idle else 5,
                }
            )
    for msisdn in (7, 8):
        rows.append(
            {
                "month": ago(0),
                "msisdn": msisdn,
                "customer_code": "B",
                "voice_minutes": 10,
                "sms_count": 0,
                "vnet_calls": 0,
            }
        )
    return rows


def members() -> list[dict[str, Any]]:
    def m(
        msisdn: int, code: str, join: int, vnet: bool, leave: int | None = None, ret: int | None = None
    ) -> dict[str, Any]:
        return {
            "msisdn": msisdn,
            "customer_code": code,
            "join_month": ago(join),
            "in_vnet": vnet,
            "leave_month": ago(leave) if leave is not None else None,
            "return_month": ago(ret) if ret is not None else None,
            "end_month": None,
        }

    return [
        m(1, "A", 20, True),
        m(2, "A", 20, True),
        m(3, "A", 0, False),
        m(4, "A", 20, False, leave=4, ret=0),
        m(5, "A", 20, True, leave=0),
        m(6, "A", 20, False, leave=4),
        m(7, "B", 20, False),
        m(8, "B", 20, True),
    ]


def service_month() -> list[dict[str, Any]]:
    """The service desk's records of A: complaints (m-1: 2, more than billing's 1; m-0: none, fewer
    than billing's 1) and survey answers (two this month, one of them satisfied; one at m-12, out
    of the 12-month window)."""
    return [
        {"customer_code": "A", "month": ago(0), "complaints": 0, "surveys": 2, "surveys_satisfied": 1},
        {"customer_code": "A", "month": ago(1), "complaints": 2, "surveys": 0, "surveys_satisfied": 0},
        {"customer_code": "A", "month": ago(12), "complaints": 0, "surveys": 1, "surveys_satisfied": 0},
    ]


def table(rows: list[dict[str, Any]], dates: tuple[str, ...] = ()) -> pa.Table:
    columns = {k: [r[k] for r in rows] for k in rows[0]}
    return pa.table({k: pa.array(v, type=pa.date32()) if k in dates else v for k, v in columns.items()})


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    lake = Lake(tmp_path_factory.mktemp("lake"))
    cm = table(customer_month(), ("month",))
    mm = table(member_month(), ("month",))
    for k in range(14):
        month = ago(k)
        lake.write_month("customer_month", month, cm.filter(pa.compute.equal(cm["month"], pa.scalar(month))))
        lake.write_month("member_month", month, mm.filter(pa.compute.equal(mm["month"], pa.scalar(month))))
    lake.write_table("members", table(members(), ("join_month", "leave_month", "return_month", "end_month")))
    lake.write_table(
        "dim_customers",
        pa.table(
            {
                "customer_code": ["A", "B", "P"],
                "customer_type": ["enterprise", "enterprise", "government"],
                "industry": ["C", "C", "S"],
                "scale": ["large", "small", "medium"],
                "status": ["active", "active", "prospect"],
                "competitor_operator": ["", "", "telecom"],
                "region_code": ["D1", "D1", "D2"],
            }
        ),
    )
    lake.write_table(
        "dim_hierarchy", pa.table({"ancestor_code": ["A", "B", "A", "P"], "customer_code": ["A", "B", "B", "P"]})
    )
    lake.write_table(
        "dim_subscriptions",
        table(
            [
                {"customer_code": "A", "product_code": "LINE", "start": ago(30), "end": None},
                {"customer_code": "A", "product_code": "MOA", "start": ago(1), "end": None},
                {"customer_code": "A", "product_code": "GSMS", "start": ago(8), "end": ago(1)},
                {"customer_code": "A", "product_code": "IOT", "start": ago(4), "end": None},
            ],
            ("start", "end"),
        ),
    )
    lake.write_table(
        "dim_contracts",
        table(
            [
                {"customer_code": "A", "start": dt.date(2024, 1, 1), "end": dt.date(2026, 12, 31)},
                {"customer_code": "A", "start": dt.date(2027, 1, 1), "end": dt.date(2028, 12, 31)},
            ],
            ("start", "end"),
        ),
    )
    lake.write_table("dim_service_month", table(service_month(), ("month",)))
    result = monthly.build(staged_sources(lake.connect("duckdb")), MONTH).to_pyarrow().to_pylist()
    return {row["customer_code"]: row for row in result}


prior = [A_REVENUE[k] for k in range(1, 13)]
changes = [0] * 8 + [-2, 0, 0, 0]
EXPECTED_A: dict[str, Any] = {
    "customer_type": "enterprise",
    "industry": "C",
    "scale": "large",
    "status": "active",
    "competitor_operator": "",
    "region_code": "D1",
    "tenure_months": 30,
    "revenue": 90.0,
    "revenue_avg_3": 100.0,
    "revenue_avg_6": round(620 / 6, 2),
    "revenue_avg_12": round(1220 / 12, 2),
    "revenue_mom": -0.1,
    "revenue_yoy": 0.125,
    "decline_streak": 3,
    # the spread has a floor: 10 % of the mean revenue (here above the standard deviation)
    "revenue_anomaly_z": round(
        abs(90 - statistics.mean(prior)) / max(statistics.stdev(prior), 0.1 * statistics.mean(prior)), 4
    ),
    "revenue_info": 40.0,
    "info_share": round(40 / 90, 6),
    "revenue_data": 20.0,
    "data_share": round(20 / 90, 6),
    "revenue_line": 10.0,
    "line_share": round(10 / 90, 6),
    "revenue_prev": 100.0,
    "revenue_info_prev": 30.0,
    "revenue_line_prev": 0.0,
    "revenue_info_ytd": 40.0 + 9 * 30.0,  # January (m-9) to October
    "revenue_line_ytd": 10.0,
    "revenue_info_ytd_ly": 30.0,  # of last year's January–October only m-12 is in the lake
    "revenue_line_ytd_ly": 0.0,
    "members_active": 4,
    "members_change": 1,
    "member_jump_z": round(abs(1 - statistics.mean(changes)) / max(statistics.stdev(changes), 1), 4),  # floor: 1
    "members_joined": 1,
    "members_left": 1,
    "members_returned": 1,
    "members_left_3m": 1,
    "members_left_prev_3m": 2,
    "members_returned_3m": 1,
    "members_returned_prev_3m": 0,
    "members_growth_6m": -0.2,
    "members_idle": 1,
    "idle_share": 0.25,
    "members_idle_prev": 2,
    "idle_cleaned": 1,
    "vnet_share": 0.5,
    "product_count": 3,
    "new_products_3m": 1,
    "new_products_prev_3m": 1,
    "cancellations": 0,
    "cancellations_3m": 1,
    "cancellations_prev_3m": 0,
    "product_changes_6m": 3,
    "complaints": 1,  # the larger of billing's 1 and the desk's 0
    "complaints_3m": 3,  # m-1: the desk's 2, not billing's 1 (nor their sum)
    "complaints_prev_3m": 1,
    "surveys_12m": 2,
    "satisfaction_12m": 0.5,
    "dissatisfied_3m": 1,
    "arrears": 50.0,
    "arrears_months_6": 2,
    "arrears_streak": 1,
    "competitor_calls": 2,
    "competitor_calls_3m": 5,
    "competitor_calls_prev_3m": 1,
    "contract_days_left": 61,
    "group_revenue": 140.0,
    "group_members": 6,
}


def test_every_feature_is_checked() -> None:
    assert set(EXPECTED_A) == {f.name for f in FEATURES}


@pytest.mark.parametrize("name", sorted(EXPECTED_A))
def test_feature_value_for_customer_a(features: dict[str, dict[str, Any]], name: str) -> None:
    got, want = features["A"][name], EXPECTED_A[name]
    if isinstance(want, float):
        assert got == pytest.approx(want, abs=1e-4), name
    else:
        assert got == want, name


def test_subsidiary_new_this_month(features: dict[str, dict[str, Any]]) -> None:
    b = features["B"]
    assert b["revenue"] == 50.0 and b["revenue_avg_3"] == round(50 / 3, 2)
    assert b["revenue_mom"] is None and b["revenue_yoy"] is None  # nothing to compare with
    assert b["decline_streak"] == 0 and b["group_revenue"] == 50.0 and b["group_members"] == 2
    assert b["members_active"] == 2 and b["vnet_share"] == 0.5 and b["contract_days_left"] is None


def test_prospect_without_facts(features: dict[str, dict[str, Any]]) -> None:
    p = features["P"]
    assert p["status"] == "prospect" and p["competitor_operator"] == "telecom"
    assert p["revenue"] == 0 and p["members_active"] == 0 and p["product_count"] == 0
    assert p["idle_share"] is None and p["contract_days_left"] is None and p["tenure_months"] == 0
