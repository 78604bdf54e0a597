"""Product subscriptions (``dim_subscriptions``). Grain: one row per subscription.

Columns: customer_code, product_code, start_idx, end_idx (null while in use).
"""

from __future__ import annotations

import ibis.expr.types as ir

from .months import idx_expr


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        customer_code=raw.customer_code.cast("string"),
        product_code=raw.product_code.cast("string"),
        start_idx=idx_expr(raw.start.cast("date")),
        end_idx=idx_expr(raw.end.cast("date")),
    )
