"""The legal-entity hierarchy as a closure (``dim_hierarchy``): one row per (ancestor, customer)
pair, each customer also its own ancestor. Columns: ancestor_code, customer_code."""

from __future__ import annotations

import ibis.expr.types as ir


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(ancestor_code=raw.ancestor_code.cast("string"), customer_code=raw.customer_code.cast("string"))
