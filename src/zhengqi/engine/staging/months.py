"""Month arithmetic shared by the staging modules."""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir


def month_idx(month: dt.date) -> int:
    return month.year * 12 + month.month - 1


def month_of(idx: int) -> dt.date:
    return dt.date(idx // 12, idx % 12 + 1, 1)


def month_end(month: dt.date) -> dt.date:
    return month_of(month_idx(month) + 1) - dt.timedelta(days=1)


def idx_expr(date: ir.DateValue) -> ir.IntegerValue:
    return (date.year() * 12 + date.month() - 1).cast("int32")
