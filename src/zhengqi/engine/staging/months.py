"""Month arithmetic of the staging modules, as lake integers and Ibis expressions (the Python side
is ``zhengqi.engine.months``)."""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from zhengqi.engine.months import Month, month_end

__all__ = ["idx_expr", "month_end", "month_idx", "month_of"]


def month_idx(month: dt.date) -> int:
    return Month.of(month).index


def month_of(idx: int) -> dt.date:
    return Month.from_index(idx).first


def idx_expr(date: ir.DateValue) -> ir.IntegerValue:
    return (date.year() * 12 + date.month() - 1).cast("int32")
