"""导入“客户月度收入与用量”（``customer_month``）: the columns a file of it holds, and the writer that puts its rows
into the web database and the lake."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.utils import timezone

from zhengqi.customers.models import (
    Customer,
    CustomerMonth,
)
from zhengqi.db import refresh_statistics
from zhengqi.engine.lake import Lake
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    count,
    existing_customer,
    money,
    month,
)
from zhengqi.imports.writing import Counts, pause_for_tests

KIND = Kind(
    name="customer_month",
    label="客户月度收入与用量",
    target="both",
    key=("customer_code", "month"),
    description="每个客户每月一行；按（客户编码, 月份）新增或更新，同时写入网页数据库和数据湖。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("month", "月份", month, required=True, aliases=("账期",)),
        Column("revenue_total", "总收入", money, required=True),
        Column("revenue_info", "信息化收入", money),
        Column("revenue_data", "数据业务收入", money),
        Column("revenue_line", "专线收入", money),
        Column("arrears", "欠费金额", money),
        Column("voice_minutes", "语音分钟数", count),
        Column("sms_count", "短信条数", count),
        Column("data_gb", "流量(GB)", money, aliases=("流量GB",)),
        Column("vnet_calls", "V网内通话次数", count),
        Column("complaints", "投诉次数", count),
        Column("cancellations", "业务取消数", count),
        Column("competitor_calls", "呼叫异网客服次数", count),
        Column("members_active", "在网成员数", count),
        Column("members_joined", "新入网成员", count),
        Column("members_left", "离网成员", count),
        Column("members_returned", "回归成员", count),
        Column("members_vnet", "V网成员数", count),
        Column("members_idle", "三无成员数", count),
    ),
)


FACT_DEFAULTS = {
    "revenue_info": Decimal(0),
    "revenue_data": Decimal(0),
    "revenue_line": Decimal(0),
    "arrears": Decimal(0),
    "data_gb": Decimal(0),
}


def write(
    kind: Kind,
    rows: list[ParsedRow],
    problems: list[Problem],
    *,
    dry_run: bool,
    lake: Lake,
    batch: Any = None,
    **_: Any,
) -> Counts:
    ids = dict(Customer.objects.values_list("code", "pk"))
    loaded = {"source_ref": str(batch.pk) if batch is not None else "", "loaded_at": timezone.now()}
    months = sorted({r.values["month"] for r in rows})
    existing = {
        (m.customer_id, m.month): m
        for m in CustomerMonth.objects.filter(
            month__in=months, customer_id__in={ids[r.values["customer_code"]] for r in rows}
        )
    }
    value_fields = [c.key for c in kind.columns if c.key not in kind.key]
    web_fields = [f for f in value_fields if hasattr(CustomerMonth, f)]
    new: list[CustomerMonth] = []
    changed: list[CustomerMonth] = []
    unchanged = 0
    for row in rows:
        v = row.values
        key = (ids[v["customer_code"]], v["month"])
        record = existing.get(key)
        target = {f: v[f] for f in web_fields if f in v}
        if record is None:
            new.append(CustomerMonth(customer_id=key[0], month=key[1], **{**FACT_DEFAULTS, **target}, **loaded))
        elif any(getattr(record, f) != value for f, value in target.items()):
            for f, value in {**target, **loaded}.items():
                setattr(record, f, value)
            changed.append(record)
        else:
            unchanged += 1
    if not dry_run:
        with transaction.atomic():
            CustomerMonth.objects.bulk_create(new, batch_size=2000)
            CustomerMonth.objects.bulk_update(changed, [*web_fields, *loaded], batch_size=2000)
        touched = {r.values["month"] for r in rows}
        if new or changed:
            for m in sorted(touched):
                _merge_lake_month(
                    lake,
                    "customer_month",
                    m,
                    [r.values for r in rows if r.values["month"] == m],
                    key="customer_code",
                    columns=value_fields,
                )
            refresh_statistics(CustomerMonth)
    return {
        "inserted": len(new),
        "updated": len(changed),
        "unchanged": unchanged,
        "months": [str(m)[:7] for m in months],
    }


def _merge_lake_month(
    lake: Lake, table: str, month: dt.date, values: list[dict[str, Any]], *, key: str, columns: list[str]
) -> tuple[int, int, int]:
    """Replace the rows of ``values`` in one month of a lake table (by ``key``), keep the others,
    and write the month back atomically. Columns absent from the file keep their stored values.
    Returns (inserted, updated, unchanged); an unchanged month is not rewritten."""
    path = lake.partition_file(table, month)
    old = lake.read_month(table, month) if path.exists() else None
    schema = old.schema if old is not None else None
    stored: dict[Any, dict[str, Any]] = {}
    if old is not None:
        for row in old.to_pylist():
            stored[row[key]] = row
    inserted = updated = unchanged = 0
    for v in values:
        k = v[key]
        before = stored.get(k)
        row = dict(before) if before else {"month": month, key: k}
        for c in columns:
            if c in v:
                row[c] = float(v[c]) if isinstance(v[c], Decimal) else v[c]
            elif before is None:
                row[c] = 0
        if before is None:
            inserted += 1
        elif row != before:
            updated += 1
        else:
            unchanged += 1
            continue
        stored[k] = row
    if inserted or updated:
        new_table = pa.Table.from_pylist(list(stored.values()))
        if schema is not None:
            new_table = new_table.select(schema.names).cast(schema)
        lake.write_month(table, month, new_table)
        pause_for_tests()
    return inserted, updated, unchanged
