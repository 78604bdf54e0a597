"""导入“员工”（``staff``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from zhengqi.accounts.models import User
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    boolean,
    choice,
    phone,
    region,
    text,
    username,
)
from zhengqi.imports.writing import Counts

# Staff may be imported in every role but the provincial admin's (made in the back office).
STAFF_ROLES = [(v, label) for v, label in User.Role.choices if v != User.Role.PROVINCIAL_ADMIN]
GRADES = User.Grade.choices

KIND = Kind(
    name="staff",
    label="员工",
    target="web",
    key=("username",),
    description="员工与客户经理（工号、角色、区域、等级）；按工号新增或更新。新账号没有密码，由管理员在后台设置；"
    "省公司管理员账号不能通过导入创建。",
    columns=(
        Column("username", "工号", username, required=True, aliases=("用户名",)),
        Column("display_name", "姓名", text(50), required=True),
        Column("role", "角色", choice([(v, str(label)) for v, label in STAFF_ROLES]), required=True),
        Column("region", "区域", region, required=True, aliases=("区域编码", "所属区域")),
        Column("grade", "客户经理等级", choice([(str(v), str(label)) for v, label in GRADES]), aliases=("等级",)),
        Column("phone", "手机", phone),
        Column("is_active", "在职", boolean),
    ),
)


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:

    existing = {u.username: u for u in User.objects.filter(username__in=[r.values["username"] for r in rows])}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    with transaction.atomic():
        for row in rows:
            v = row.values
            user = existing.get(v["username"])
            if user is not None and (user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN):
                problems.append(Problem(row.line, "工号", v["username"], "管理员账号不能通过导入修改。"))
                continue
            target: dict[str, Any] = {k: v[k] for k in ("display_name", "role", "phone", "is_active") if k in v}
            target["region_id"] = v["region"]
            target["grade"] = int(v["grade"]) if v.get("grade") else None
            if user is None:
                user = User(username=v["username"], **target)
                user.set_unusable_password()
                fresh = True
            elif all(getattr(user, k) == value for k, value in target.items()):
                counts["unchanged"] += 1
                continue
            else:
                for k, value in target.items():
                    setattr(user, k, value)
                fresh = False
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as err:
                problems.append(Problem(row.line, "", v["username"], " ".join(err.messages)))
                continue
            counts["inserted" if fresh else "updated"] += 1
            if not dry_run:
                user.save()
    return counts
