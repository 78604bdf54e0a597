"""Agreements (``dim_contracts``). Grain: one row per contract. Columns: customer_code, start, end."""

from __future__ import annotations

import ibis.expr.types as ir


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        customer_code=raw.customer_code.cast("string"),
        start=raw.start.cast("date"),
        end=raw.end.cast("date"),
    )
