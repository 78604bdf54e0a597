"""导入“集团成员”（``members``）: the columns a file of it holds, and the writer that puts its rows
into the lake."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pyarrow as pa

from zhengqi.engine.lake import Lake
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    boolean,
    existing_customer,
    month,
    msisdn,
)
from zhengqi.imports.writing import Counts

KIND = Kind(
    name="members",
    label="集团成员",
    target="lake",
    key=("msisdn",),
    description="集团成员（手机号码）及其入网、离网、回归月份，写入数据湖；按号码新增或更新，整表原子替换。",
    columns=(
        Column("msisdn", "手机号码", msisdn, required=True, aliases=("号码", "MSISDN")),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("join_month", "入网月份", month, required=True),
        Column("leave_month", "离网月份", month),
        Column("return_month", "回归月份", month),
        Column("end_month", "再次离网月份", month),
        Column("in_vnet", "V网成员", boolean, aliases=("是否V网",)),
    ),
)


MEMBER_EVENTS = ("join_month", "leave_month", "return_month", "end_month")


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, lake: Lake, **_: Any) -> Counts:
    """The lake's member table, merged by MSISDN and written back whole, atomically."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    labels = {c.key: c.label for c in kind.columns}
    good: list[dict[str, Any]] = []
    for row in rows:
        v = row.values
        events: list[tuple[str, dt.date]] = [(name, v[name]) for name in MEMBER_EVENTS if v.get(name) is not None]
        wrong = next(((a, b) for a, b in itertools.pairwise(events) if b[1] < a[1]), None)
        if wrong:
            problems.append(
                Problem(row.line, labels[wrong[1][0]], str(wrong[1][1])[:7], f"不能早于{labels[wrong[0][0]]}。")
            )
            continue
        good.append({"msisdn": v["msisdn"], "customer_code": v["customer_code"], "in_vnet": v.get("in_vnet", False),
                     **{name: v.get(name) for name in MEMBER_EVENTS}})  # fmt: skip
    path = lake.root / "members" / "data.parquet"
    old = pq.read_table(path) if path.exists() else None
    schema = old.schema if old is not None else pa.schema(
        [("msisdn", pa.int64()), ("customer_code", pa.dictionary(pa.int32(), pa.string())),
         ("join_month", pa.date32()), ("leave_month", pa.date32()), ("return_month", pa.date32()),
         ("end_month", pa.date32()), ("in_vnet", pa.bool_())]
    )  # fmt: skip
    incoming = pa.Table.from_pylist(good).select(schema.names).cast(schema) if good else schema.empty_table()
    if old is None:
        if not dry_run and good:
            lake.write_table("members", incoming)
        return {"inserted": len(good), "updated": 0, "unchanged": 0}
    matched = pc.is_in(old.column("msisdn"), value_set=incoming.column("msisdn"))
    before = {r["msisdn"]: r for r in old.filter(matched).to_pylist()}
    now = {r["msisdn"]: r for r in incoming.to_pylist()}
    inserted = sum(1 for k in now if k not in before)
    unchanged = sum(1 for k, r in now.items() if before.get(k) == r)
    updated = len(now) - inserted - unchanged
    if not dry_run and (inserted or updated):
        lake.write_table("members", pa.concat_tables([old.filter(pc.invert(matched)), incoming]).combine_chunks())
    return {"inserted": inserted, "updated": updated, "unchanged": unchanged}
