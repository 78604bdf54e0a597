"""导入“成员月度用量”（``member_month``）: the columns a file of it holds, and the writer that puts its rows
into the lake."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from zhengqi.engine.lake import Lake
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    count,
    existing_customer,
    month,
    msisdn,
    quantity,
)
from zhengqi.imports.writing import Counts, pause_for_tests

KIND = Kind(
    name="member_month",
    label="成员月度用量",
    target="lake",
    key=("msisdn", "month"),
    description="每个成员（手机号码）每月一行，写入数据湖；按（号码, 月份）新增或更新，每月分区原子替换。",
    columns=(
        Column("msisdn", "手机号码", msisdn, required=True, aliases=("号码", "MSISDN")),
        Column("month", "月份", month, required=True, aliases=("账期",)),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("voice_minutes", "语音分钟数", count),
        Column("sms_count", "短信条数", count),
        Column("data_mb", "流量(MB)", quantity, aliases=("流量MB",)),
        Column("vnet_calls", "V网内通话次数", count),
        Column("competitor_calls", "呼叫异网客服次数", count),
        Column("revenue", "收入", quantity, required=True),
        Column("revenue_info", "信息化收入", quantity),
    ),
)


MEMBER_COLUMNS = [
    "customer_code",
    "voice_minutes",
    "sms_count",
    "data_mb",
    "vnet_calls",
    "competitor_calls",
    "revenue",
    "revenue_info",
]


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, lake: Lake, **_: Any) -> Counts:
    by_month: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        by_month.setdefault(row.values["month"], []).append(row.values)
    inserted = updated = unchanged = 0
    for m in sorted(by_month):
        if dry_run:
            path = lake.partition_file("member_month", m)
            known = set(lake.read_month("member_month", m).column("msisdn").to_pylist()) if path.exists() else set()
            fresh = sum(1 for v in by_month[m] if v["msisdn"] not in known)
            inserted += fresh
            continue
        i, u, same = _merge_member_month(lake, m, by_month[m])
        inserted, updated, unchanged = inserted + i, updated + u, unchanged + same
    return {
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged,
        "months": [str(m)[:7] for m in sorted(by_month)],
    }


def _merge_member_month(lake: Lake, month: dt.date, values: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Member months are large: merged column-wise with Arrow rather than row by row."""
    import pyarrow.compute as pc

    columns: dict[str, list[Any]] = {"month": [month] * len(values), "msisdn": [v["msisdn"] for v in values]}
    for c in MEMBER_COLUMNS:
        columns[c] = [v.get(c, 0) for v in values]
    incoming = pa.table(columns)
    path = lake.partition_file("member_month", month)
    if not path.exists():
        lake.write_month("member_month", month, _member_schema_cast(incoming))
        pause_for_tests()
        return len(values), 0, 0
    old = lake.read_month("member_month", month)
    incoming = _member_schema_cast(incoming, old.schema)
    matched = pc.is_in(old.column("msisdn"), value_set=incoming.column("msisdn"))
    kept = old.filter(pc.invert(matched))
    replaced = old.filter(matched)
    joined = incoming.join(replaced, keys="msisdn", right_suffix="_old", join_type="left outer")
    fresh = joined.filter(pc.is_null(joined.column("customer_code_old"))).num_rows
    same_mask = None
    for c in MEMBER_COLUMNS:
        a = joined.column(c)
        b = joined.column(f"{c}_old")
        if c == "customer_code":
            a, b = pc.cast(a, pa.string()), pc.cast(b, pa.string())
        eq = pc.fill_null(pc.equal(a, b), False)
        same_mask = eq if same_mask is None else pc.and_(same_mask, eq)
    same = int(pc.sum(same_mask).as_py() or 0) if same_mask is not None else 0
    changed = joined.num_rows - fresh - same
    if fresh == 0 and changed == 0:
        return 0, 0, same
    merged = pa.concat_tables([kept, incoming]).combine_chunks()
    lake.write_month("member_month", month, merged)
    pause_for_tests()
    return fresh, changed, same


def _member_schema_cast(table: pa.Table, schema: pa.Schema | None = None) -> pa.Table:
    schema = schema or pa.schema(
        [
            ("month", pa.date32()),
            ("msisdn", pa.int64()),
            ("customer_code", pa.dictionary(pa.int32(), pa.string())),
            ("voice_minutes", pa.int32()),
            ("sms_count", pa.int32()),
            ("data_mb", pa.float64()),
            ("vnet_calls", pa.int32()),
            ("competitor_calls", pa.int32()),
            ("revenue", pa.float64()),
            ("revenue_info", pa.float64()),
        ]
    )
    return table.select(schema.names).cast(schema)
