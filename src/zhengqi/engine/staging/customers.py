"""Customers (``dim_customers``, exported by the web side at the start of a run).

Grain: one row per customer. Columns: customer_code, customer_type, industry, scale, status,
competitor_operator, region_code.
"""

from __future__ import annotations

import ibis.expr.types as ir


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(
        customer_code=raw.customer_code.cast("string"),
        customer_type=raw.customer_type.cast("string"),
        industry=raw.industry.cast("string"),
        scale=raw.scale.cast("string"),
        status=raw.status.cast("string"),
        competitor_operator=raw.competitor_operator.cast("string").fill_null(""),
        region_code=raw.region_code.cast("string"),
    )
