"""导入“协议”（``contracts``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhengqi.customers.models import (
    Contract,
    Product,
)
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    boolean,
    code,
    date,
    existing_customer,
    money,
    product_list,
)
from zhengqi.imports.writing import Counts, customer_ids, import_source, upsert

KIND = Kind(
    name="contracts",
    label="协议",
    target="web",
    key=("number",),
    description="与客户签订的协议；按协议编号新增或更新。协议产品可填多个产品编码，用“;”分隔。",
    columns=(
        Column("number", "协议编号", code(50), required=True),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("start", "生效日期", date, required=True),
        Column("end", "到期日期", date, required=True),
        Column("amount", "协议金额", money, required=True),
        Column("auto_renew", "自动续约", boolean),
        Column("products", "协议产品", product_list),
    ),
)


def write(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, batch: Any = None, **_: Any
) -> Counts:
    ids = customer_ids(rows)
    products = dict(Product.objects.values_list("code", "pk"))
    wanted, lines = [], {}
    for r in rows:
        v = r.values
        if v["end"] < v["start"]:
            problems.append(Problem(r.line, "到期日期", str(v["end"]), "协议到期日期不能早于生效日期。"))
            continue
        values: dict[str, Any] = {
            "customer_id": ids[v["customer_code"]],
            "start": v["start"],
            "end": v["end"],
            "amount": v["amount"],
        }
        if "auto_renew" in v:
            values["auto_renew"] = v["auto_renew"]
        wanted.append(((v["number"],), values))
        lines[v["number"]] = r
    with transaction.atomic():
        counts, objects = upsert(Contract, ("number",), wanted, dry_run=dry_run, created=import_source(batch))
        listed = {number: r.values["products"] for number, r in lines.items() if "products" in r.values}
        if listed and not dry_run:
            through = Contract.products.through
            held: dict[int, set[int]] = {}
            for contract_id, product_id in through.objects.filter(
                contract_id__in=[objects[(n,)].pk for n in listed]
            ).values_list("contract_id", "product_id"):
                held.setdefault(contract_id, set()).add(product_id)
            for number, codes in listed.items():
                contract = objects[(number,)]
                want = {products[c] for c in codes}
                if want != held.get(contract.pk, set()):
                    contract.products.set(want)
                    if (number,) in counts["same"]:
                        counts["unchanged"] -= 1
                        counts["updated"] += 1
    return counts
