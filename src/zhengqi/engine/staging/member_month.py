"""Member-month usage (lake ``member_month``).

Grain: one row per member (MSISDN) per month. Columns: msisdn, customer_code, month_idx,
is_idle (no call, no SMS, no V网 call: a "三无" member that month).

The table is by far the lake's largest (a province: 1.6 million rows a month), and each step reads
a few of its months. ``stage`` therefore takes the months wanted and filters on the stored ``month``
column before anything is derived from it: a comparison of a column with constants is what an
engine can check against each Parquet file's statistics, so the other months' files are skipped
instead of read and dropped (a filter on the derived ``month_idx`` would read them all).
"""

from __future__ import annotations

import ibis.expr.types as ir

from .months import idx_expr, month_of


def months(raw: ir.Table, first: int, last: int) -> ir.Table:
    """The raw rows of months ``first``..``last`` (month indices), filtered on the stored column."""
    month = raw.month.cast("date")
    return raw.filter((month >= month_of(first)) & (month <= month_of(last)))


def is_idle(raw: ir.Table) -> ir.BooleanValue:
    """A "三无" member that month: no call, no SMS, no V网 call."""
    return (
        (raw.voice_minutes.fill_null(0) == 0) & (raw.sms_count.fill_null(0) == 0) & (raw.vnet_calls.fill_null(0) == 0)
    )


def stage(raw: ir.Table, first: int, last: int) -> ir.Table:
    """The member rows of months ``first``..``last``."""
    raw = months(raw, first, last)
    return raw.select(
        msisdn=raw.msisdn.cast("int64"),
        customer_code=raw.customer_code.cast("string"),
        month_idx=idx_expr(raw.month.cast("date")),
        is_idle=is_idle(raw),
    )


def counts(raw: ir.Table, first: int, last: int) -> ir.Table:
    """Members per customer and month, months ``first``..``last``: customer_code, month_idx,
    members_active (member rows), members_idle ("三无" among them). Grouped on the stored month
    before the month index is derived: once per customer-month instead of once per member row."""
    rows = months(raw, first, last)
    idle = is_idle(rows)
    grouped = rows.group_by(customer_code=rows.customer_code.cast("string"), month=rows.month.cast("date")).aggregate(
        members_active=rows.count(), members_idle=idle.cast("int64").sum()
    )
    return grouped.select(
        "customer_code",
        month_idx=idx_expr(grouped.month),
        members_active=grouped.members_active,
        members_idle=grouped.members_idle,
    )
