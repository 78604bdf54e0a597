"""Customer-month facts from billing (lake ``customer_month``).

Grain: one row per customer per month. Columns: customer_code, month_idx, revenue, revenue_info,
revenue_data, revenue_line, arrears, complaints, cancellations, competitor_calls.
"""

from __future__ import annotations

import ibis.expr.types as ir

from .months import idx_expr


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        customer_code=raw.customer_code.cast("string"),
        month_idx=idx_expr(raw.month.cast("date")),
        revenue=raw.revenue_total.cast("float64").fill_null(0),
        revenue_info=raw.revenue_info.cast("float64").fill_null(0),
        revenue_data=raw.revenue_data.cast("float64").fill_null(0),
        revenue_line=raw.revenue_line.cast("float64").fill_null(0),
        arrears=raw.arrears.cast("float64").fill_null(0),
        complaints=raw.complaints.cast("int64").fill_null(0),
        cancellations=raw.cancellations.cast("int64").fill_null(0),
        competitor_calls=raw.competitor_calls.cast("int64").fill_null(0),
    )
