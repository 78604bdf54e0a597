"""导入“产品订购”（``subscriptions``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhengqi.customers.models import (
    Product,
    Subscription,
)
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    choice,
    date,
    existing_customer,
    existing_product,
    money,
)
from zhengqi.imports.writing import Counts, customer_ids, import_source, upsert

KIND = Kind(
    name="subscriptions",
    label="产品订购",
    target="web",
    key=("customer_code", "product_code", "start"),
    description="客户订购的产品；按（客户编码, 产品编码, 开通日期）新增或更新。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("product_code", "产品编码", existing_product, required=True),
        Column("start", "开通日期", date, required=True),
        Column("end", "结束日期", date),
        Column("monthly_fee", "月费", money, required=True),
        Column("status", "状态", choice(Subscription.Status.choices)),
    ),
)


def write(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, batch: Any = None, **_: Any
) -> Counts:
    ids = customer_ids(rows)
    products = dict(Product.objects.values_list("code", "pk"))
    wanted = []
    for r in rows:
        v = r.values
        if v.get("end") and v["end"] < v["start"]:
            problems.append(Problem(r.line, "结束日期", str(v["end"]), "结束日期不能早于开通日期。"))
            continue
        values: dict[str, Any] = {k: v[k] for k in ("end", "monthly_fee", "status") if k in v}
        wanted.append(((ids[v["customer_code"]], products[v["product_code"]], v["start"]), values))
    with transaction.atomic():
        counts, _objects = upsert(
            Subscription, ("customer_id", "product_id", "start"), wanted, dry_run=dry_run, created=import_source(batch)
        )
        if not dry_run:
            _confirm_pending({(customer, product) for (customer, product, _start), _v in wanted})
    return counts


def _confirm_pending(pairs: set[tuple[int, int]]) -> int:
    """A product won by an opportunity waited as a pending subscription; once BSS's file has the
    customer's subscription to that product, the pending one has served its purpose."""
    pending = Subscription.objects.filter(
        status=Subscription.Status.PENDING, customer_id__in={c for c, _p in pairs}
    ).values_list("pk", "customer_id", "product_id")
    done = [pk for pk, customer, product in pending if (customer, product) in pairs]
    Subscription.objects.filter(pk__in=done).delete()
    return len(done)
