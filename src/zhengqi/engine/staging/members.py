"""Members (lake ``members``). Grain: one row per member (MSISDN).

Columns: msisdn, customer_code, in_vnet, join_idx, leave_idx, return_idx, end_idx (month
indices; null where the event did not happen).
"""

from __future__ import annotations

import ibis.expr.types as ir

from .months import idx_expr


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        msisdn=raw.msisdn.cast("int64"),
        customer_code=raw.customer_code.cast("string"),
        in_vnet=raw.in_vnet.cast("boolean").fill_null(False),
        join_idx=idx_expr(raw.join_month.cast("date")),
        leave_idx=idx_expr(raw.leave_month.cast("date")),
        return_idx=idx_expr(raw.return_month.cast("date")),
        end_idx=idx_expr(raw.end_month.cast("date")),
    )
