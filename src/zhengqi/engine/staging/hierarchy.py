"""The legal-entity hierarchy as a closure (``dim_hierarchy``): one row per (ancestor, customer)
pair, each customer also its own ancestor. Columns: ancestor_code, customer_code."""

from __future__ import annotations

import ibis.expr.types as ir


def stage(raw: ir.Table) -> ir.Table:
    return raw.select(ancestor_code=raw.ancestor_code.cast("string"), customer_code=raw.customer_code.cast("string"))


def closure(parent_of: dict[str, str | None]) -> tuple[list[str], list[str]]:
    """(ancestor_codes, customer_codes): every customer with itself and each of its ancestors.
    A cycle in the data stops the walk instead of looping."""
    ancestors: list[str] = []
    customers: list[str] = []
    for code in parent_of:
        node: str | None = code
        seen: set[str] = set()
        while node is not None and node not in seen:
            seen.add(node)
            ancestors.append(node)
            customers.append(code)
            node = parent_of.get(node)
    return ancestors, customers
