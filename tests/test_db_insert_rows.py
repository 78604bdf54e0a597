"""``zhengqi.db.insert_rows`` (issue 25): the bulk writers' COPY on PostgreSQL stores exactly what
``bulk_create`` stores, for any text (tabs, new lines, backslashes, quotes, Chinese), any JSON, money
to the cent, dates, empty values and the fields that stamp themselves."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengqi.customers.models import Customer
from zhengqi.db import insert_rows
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import Alert, CustomerSnapshot

pytestmark = pytest.mark.django_db

text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=30)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False, allow_infinity=False)
    | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=8,
)
months = st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 1)).map(lambda d: d.replace(day=1))


def _rows(model: type[Any], keys: list[str]) -> list[tuple[Any, ...]]:
    return list(model.objects.order_by("pk").values_list(*keys))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(text, text, st.dictionaries(text, json_values, max_size=4), months, st.sampled_from(["high", "low"])),
        min_size=1,
        max_size=6,
        unique_by=lambda r: r[3],
    )
)
def test_alerts_by_copy_are_alerts_by_bulk_create(cast: Any, rows: list[tuple[str, str, dict, dt.date, str]]) -> None:
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None

    def made(code: str) -> list[Alert]:
        return [
            Alert(
                customer=customer,
                rule_code=code,
                rule_name=name[:100],
                family="retain",
                severity=severity,
                first_month=month,
                last_month=month,
                evidence={"note": note, **evidence},
            )
            for note, name, evidence, month, severity in rows
        ]

    Alert.objects.filter(rule_code__in=["COPY", "BULK"]).delete()
    assert insert_rows(Alert, made("COPY")) == len(rows)
    Alert.objects.bulk_create(made("BULK"))
    keys = ["rule_name", "family", "severity", "first_month", "last_month", "status", "resolved_month", "evidence"]
    by_copy = list(Alert.objects.filter(rule_code="COPY").order_by("first_month").values_list(*keys))
    by_bulk = list(Alert.objects.filter(rule_code="BULK").order_by("first_month").values_list(*keys))
    assert by_copy == by_bulk


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    score=st.decimals(Decimal("0"), Decimal("9999.99"), places=2),
    reasons=st.lists(text, max_size=3),
    risk=st.none() | st.floats(0, 1),
    title=text,
)
def test_snapshots_and_tasks_by_copy(
    cast: Any, score: Decimal, reasons: list[str], risk: float | None, title: str
) -> None:
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None
    month = dt.date(1999, 1, 1)
    CustomerSnapshot.objects.filter(month=month).delete()
    insert_rows(
        CustomerSnapshot,
        [
            CustomerSnapshot(
                customer=customer,
                month=month,
                value_score=score,
                tier="A",
                churn_risk=risk,
                churn_reasons=reasons,
                features={"t": title},
            )
        ],
    )
    saved = CustomerSnapshot.objects.get(month=month)
    assert (saved.value_score, saved.churn_risk, saved.churn_reasons, saved.features) == (
        score,
        risk,
        reasons,
        {"t": title},
    )
    before = timezone.now()
    insert_rows(Task, [Task(customer=customer, assignee=cast.am, title=title[:200], due=month)])
    task = Task.objects.filter(due=month).latest("pk")
    assert task.title == title[:200] and task.status == Task.Status.OPEN
    assert task.created_at >= before - dt.timedelta(seconds=1)  # stamped as on any save
    Task.objects.filter(due=month).delete()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.none() | st.decimals(Decimal("0"), Decimal("9999.99"), places=2),
            st.sampled_from(["", "A+", "A", "C"]),
            text,
            st.booleans(),
            st.dictionaries(text, json_values, max_size=4),
            st.none() | st.floats(0, 1),
            st.lists(text, max_size=3),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_snapshots_from_an_arrow_table_are_snapshots_by_bulk_create(cast: Any, rows: list[tuple[Any, ...]]) -> None:
    """``insert_table`` (COPY of Arrow's CSV on PostgreSQL): empty text stays empty, null stays
    null, quotes, commas, new lines and Chinese in text and JSON come back as they went in."""
    import json

    import pyarrow as pa

    from zhengqi.db import insert_table

    customers = list(Customer.objects.order_by("pk").values_list("pk", flat=True)[: len(rows)])
    rows = rows[: len(customers)]
    month_copy, month_bulk = dt.date(1999, 1, 1), dt.date(1999, 2, 1)
    CustomerSnapshot.objects.filter(month__in=[month_copy, month_bulk]).delete()
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            "customer_id": pa.array(customers, pa.int64()),
            "month": pa.array([month_copy] * len(rows), pa.date32()),
            "value_score": pa.array(columns[0], pa.decimal128(18, 2)),
            "tier": pa.array(columns[1], pa.string()),
            "tier_reason": pa.array([t[:30] for t in columns[2]], pa.string()),
            "retention_flag": pa.array(columns[3], pa.bool_()),
            "features": pa.array([json.dumps(f, ensure_ascii=False) for f in columns[4]], pa.string()),
            "churn_risk": pa.array(columns[5], pa.float64()),
            "churn_reasons": pa.array([json.dumps(r, ensure_ascii=False) for r in columns[6]], pa.string()),
        }
    )
    assert insert_table(CustomerSnapshot, table) == len(rows)
    CustomerSnapshot.objects.bulk_create(
        CustomerSnapshot(
            customer_id=pk, month=month_bulk, value_score=score, tier=tier, tier_reason=reason[:30],
            retention_flag=flag, features=features, churn_risk=risk, churn_reasons=reasons,
        )
        for pk, (score, tier, reason, flag, features, risk, reasons) in zip(customers, rows, strict=True)
    )  # fmt: skip
    keys = [f.attname for f in CustomerSnapshot._meta.concrete_fields if f.attname not in ("id", "month")]
    by_table = list(CustomerSnapshot.objects.filter(month=month_copy).order_by("customer_id").values_list(*keys))
    by_bulk = list(CustomerSnapshot.objects.filter(month=month_bulk).order_by("customer_id").values_list(*keys))
    assert by_table == by_bulk
