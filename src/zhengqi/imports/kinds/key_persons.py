"""导入“关键人”（``key_persons``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhengqi.customers.models import (
    KeyPerson,
    KeyPersonRole,
)
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    buying_roles,
    closeness,
    existing_customer,
    past_date,
    phone,
    text,
)
from zhengqi.imports.writing import Counts, customer_ids, import_source, upsert

KIND = Kind(
    name="key_persons",
    label="关键人",
    target="web",
    key=("customer_code", "name"),
    description="客户的关键人；按（客户编码, 姓名）新增或更新。购买角色可填多个，用“、”或“;”分隔。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("name", "姓名", text(50), required=True),
        Column("title", "职务", text(100)),
        Column("department", "部门", text(100)),
        Column("phone", "电话", phone, aliases=("手机",)),
        Column("birthday", "生日", past_date),
        Column("closeness", "关系亲密度", closeness, aliases=("亲密度",)),
        Column("roles", "购买角色", buying_roles),
    ),
)


def write(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, batch: Any = None, **_: Any
) -> Counts:
    ids = customer_ids(rows)
    wanted = [
        ((ids[r.values["customer_code"]], r.values["name"]),
         {k: v for k, v in r.values.items() if k not in ("customer_code", "name", "roles")})
        for r in rows
    ]  # fmt: skip
    with transaction.atomic():
        counts, objects = upsert(
            KeyPerson, ("customer_id", "name"), wanted, dry_run=dry_run, created=import_source(batch)
        )
        roles = {
            (ids[r.values["customer_code"]], r.values["name"]): r.values["roles"] for r in rows if "roles" in r.values
        }
        if roles:
            people = {key: objects[key] for key in roles}
            held = {
                (p.customer_id, p.name): {x.role for x in p.roles.all()}
                for p in KeyPerson.objects.filter(pk__in=[p.pk for p in people.values() if p.pk]).prefetch_related(
                    "roles"
                )
            }
            for key, wanted_roles in roles.items():
                if set(wanted_roles) != held.get(key, set()):
                    if key in counts["same"]:  # only its roles changed: an update after all
                        counts["unchanged"] -= 1
                        counts["updated"] += 1
                    if not dry_run:
                        person = people[key]
                        KeyPersonRole.objects.filter(key_person=person).delete()
                        KeyPersonRole.objects.bulk_create(
                            [KeyPersonRole(key_person=person, role=role) for role in dict.fromkeys(wanted_roles)]
                        )
    return counts
