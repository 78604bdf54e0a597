"""导入“区域”（``regions``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from zhengqi.accounts.models import Region
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    choice,
    code,
    text,
)
from zhengqi.imports.writing import Counts

KIND = Kind(
    name="regions",
    label="区域",
    target="web",
    key=("code",),
    description="省、地市、区县三级区域；按区域编码新增或改名（已有区域的上级调整在后台进行）。上级须先于下级出现或已存在。",
    columns=(
        Column("code", "区域编码", code(20), required=True),
        Column("name", "区域名称", text(50), required=True),
        Column("level", "层级", choice([("province", "省"), ("city", "地市"), ("district", "区县")]), required=True),
        Column("parent_code", "上级区域编码", code(20)),
    ),
)


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    """Regions one by one, parents first (a few hundred rows): each keeps its materialised path."""

    order = {"province": 0, "city": 1, "district": 2}
    existing = {r.code: r for r in Region.objects.select_related("parent")}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: (order[r.values["level"]], r.line)):
            v = row.values
            parent = existing.get(v.get("parent_code") or "")
            if v.get("parent_code") and parent is None:
                problems.append(Problem(row.line, "上级区域编码", v["parent_code"], "上级区域不存在。"))
                continue
            region = existing.get(v["code"])
            if region is not None:
                if region.level != v["level"] or (region.parent.code if region.parent else None) != v.get(
                    "parent_code"
                ):
                    problems.append(
                        Problem(
                            row.line,
                            "上级区域编码",
                            v.get("parent_code") or "",
                            "已有区域的层级或上级不能通过导入调整，请在后台操作。",
                        )
                    )
                    continue
                if region.name == v["name"]:
                    counts["unchanged"] += 1
                    continue
                region.name = v["name"]
                counts["updated"] += 1
            else:
                region = Region(code=v["code"], name=v["name"], level=v["level"], parent=parent)
                try:
                    region.full_clean(exclude=["path"])
                except ValidationError as err:
                    problems.append(Problem(row.line, "层级", v["level"], " ".join(err.messages)))
                    continue
                counts["inserted"] += 1
            if not dry_run:
                region.save()
            existing[region.code] = region
    return counts
