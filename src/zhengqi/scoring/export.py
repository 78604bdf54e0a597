"""Export the web database's dimensions to the lake for a month run (``dim_*`` tables).

The engine never reads the web database: it gets customers, subscriptions, contracts and the
hierarchy closure as Parquet, written atomically like every lake table.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from zhengqi.customers.models import Contract, Customer, Subscription
from zhengqi.engine.lake import Lake
from zhengqi.engine.staging.hierarchy import closure
from zhengqi.support.surveys import service_month


def export_dimensions(lake: Lake) -> dict[str, int]:
    rows = list(
        Customer.objects.values_list(
            "pk",
            "code",
            "customer_type",
            "industry",
            "scale",
            "status",
            "competitor_operator",
            "region__code",
            "parent_id",
        )
    )
    code_of = {r[0]: r[1] for r in rows}
    customers = pa.table(
        {
            "customer_code": [r[1] for r in rows],
            "customer_type": [r[2] for r in rows],
            "industry": [r[3] for r in rows],
            "scale": [r[4] for r in rows],
            "status": [r[5] for r in rows],
            "competitor_operator": [r[6] for r in rows],
            "region_code": [r[7] for r in rows],
        }
    )
    parent_code = {r[1]: code_of.get(r[8]) for r in rows}
    ancestors, descendants = closure(parent_code)
    hierarchy = pa.table({"ancestor_code": ancestors, "customer_code": descendants})

    # A subscription still pending (from a won opportunity, before BSS confirms it) is not a fact yet.
    subs = list(
        Subscription.objects.exclude(status=Subscription.Status.PENDING).values_list(
            "customer__code", "product__code", "start", "end"
        )
    )
    subscriptions = pa.table(
        {
            "customer_code": [s[0] for s in subs],
            "product_code": [s[1] for s in subs],
            "start": pa.array([s[2] for s in subs], type=pa.date32()),
            "end": pa.array([s[3] for s in subs], type=pa.date32()),
        }
    )
    cons = contract_spans()
    contracts = pa.table(
        {
            "customer_code": [c[0] for c in cons],
            "start": pa.array([c[1] for c in cons], type=pa.date32()),
            "end": pa.array([c[2] for c in cons], type=pa.date32()),
        }
    )
    tables = {
        "dim_customers": customers,
        "dim_hierarchy": hierarchy,
        "dim_subscriptions": subscriptions,
        "dim_contracts": contracts,
        # Complaints recorded by the service desk and survey answers, per customer-month.
        "dim_service_month": service_month(),
    }
    for name, table in tables.items():
        lake.write_table(name, table)
    return {name: t.num_rows for name, t in tables.items()}


def contract_spans() -> list[tuple[str, dt.date, dt.date]]:
    """Each agreement as the month run sees it: (customer code, start, end). A terminated agreement
    ends the day it was terminated; a renewed one lasts as long as its last renewal, so that the
    month after a renewal (recorded ahead of the new agreement's start) does not raise 协议即将到期
    again. Re-running a month from before the renewal sees the renewal too."""
    rows = list(Contract.objects.values_list("pk", "customer__code", "start", "end", "terminated_on", "replaces_id"))
    renewal_of = {replaces: pk for pk, _c, _s, _e, _t, replaces in rows if replaces is not None}
    own_end = {pk: (min(end, stopped) if stopped else end) for pk, _c, _s, end, stopped, _r in rows}
    out = []
    for pk, code, start, _end, _stopped, _replaces in rows:
        last, seen = pk, {pk}
        while (nxt := renewal_of.get(last)) is not None and nxt not in seen:
            last = nxt
            seen.add(last)
        out.append((code, start, own_end[last]))
    return out
