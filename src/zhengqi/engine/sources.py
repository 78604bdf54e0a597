"""Connect the staging layer to the lake: the staged sources of a month run."""

from __future__ import annotations

from functools import partial

import ibis

from .features.monthly import Sources
from .staging import contracts, customer_month, customers, hierarchy, member_month, members, subscriptions

DIMENSIONS = ("dim_customers", "dim_subscriptions", "dim_contracts", "dim_hierarchy")
SERVICE = "dim_service_month"


def staged_sources(con: ibis.BaseBackend) -> Sources:
    """Every source the features read, staged. The connection must hold the lake's tables
    (``Lake.connect``) including the ``dim_*`` tables exported for the run. The service records
    (``dim_service_month``) are optional: a lake written before they existed runs without them."""
    service = _optional(con, SERVICE)
    return Sources(
        customers=customers.stage(con.table("dim_customers")),
        customer_month=customer_month.stage(con.table("customer_month"), service),
        member_month=partial(member_month.stage, con.table("member_month")),
        member_counts=partial(member_month.counts, con.table("member_month")),
        members=members.stage(con.table("members")),
        subscriptions=subscriptions.stage(con.table("dim_subscriptions")),
        contracts=contracts.stage(con.table("dim_contracts")),
        hierarchy=hierarchy.stage(con.table("dim_hierarchy")),
    )


def _optional(con: ibis.BaseBackend, name: str) -> ibis.Table | None:
    try:
        return con.table(name)
    except Exception:  # TableNotFound on DuckDB; each engine says "no such table" its own way
        return None
