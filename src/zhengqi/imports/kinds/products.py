"""导入“集团产品”（``products``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhengqi.customers.models import (
    Product,
)
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    boolean,
    choice,
    code,
    money,
    text,
)
from zhengqi.imports.writing import Counts, upsert

KIND = Kind(
    name="products",
    label="集团产品",
    target="web",
    key=("code",),
    description="产品目录；按产品编码新增或更新。",
    columns=(
        Column("code", "产品编码", code(30), required=True),
        Column("name", "产品名称", text(100), required=True),
        Column("category", "类别", text(50), required=True),
        Column("complexity", "复杂度", choice([("high", "高"), ("low", "低")]), required=True),
        Column("is_informatization", "信息化产品", boolean),
        Column("list_price", "标准月费", money),
    ),
)


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    wanted = [((r.values["code"],), {k: v for k, v in r.values.items() if k != "code"}) for r in rows]
    with transaction.atomic():
        counts, _objects = upsert(Product, ("code",), wanted, dry_run=dry_run)
    return counts
