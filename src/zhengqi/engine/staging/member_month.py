"""Member-month usage (lake ``member_month``).

Grain: one row per member (MSISDN) per month. Columns: msisdn, customer_code, month_idx,
is_idle (no call, no SMS, no V网 call: a "三无" member that month).
"""

from __future__ import annotations

import ibis.expr.types as ir

from .months import idx_expr


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        msisdn=raw.msisdn.cast("int64"),
        customer_code=raw.customer_code.cast("string"),
        month_idx=idx_expr(raw.month.cast("date")),
        is_idle=(
            (raw.voice_minutes.fill_null(0) == 0)
            & (raw.sms_count.fill_null(0) == 0)
            & (raw.vnet_calls.fill_null(0) == 0)
        ),
    )
