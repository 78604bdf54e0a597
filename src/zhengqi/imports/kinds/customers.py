"""导入“集团客户”（``customers``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.change_requests import held_values
from zhengqi.customers.models import (
    INDUSTRIES,
    AccountAssignment,
    ChangeRequest,
    Customer,
    customer_field,
)
from zhengqi.customers.services import QUALIFIED_GRADE, QUALIFIED_TIERS
from zhengqi.db import refresh_statistics
from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    choice,
    code,
    credit_code,
    manager,
    region,
    text,
)
from zhengqi.imports.writing import Counts

KIND = Kind(
    name="customers",
    label="集团客户",
    target="web",
    key=("code",),
    description="集团客户档案；按客户编码新增或更新。",
    columns=(
        Column("code", "客户编码", code(30), required=True, aliases=("集团编码",)),
        Column("name", "客户名称", text(200), required=True, aliases=("集团名称",)),
        Column("credit_code", "统一社会信用代码", credit_code, aliases=("信用代码",)),
        Column("customer_type", "客户类型", choice(Customer.Type.choices), required=True),
        Column("industry", "行业", choice(INDUSTRIES), required=True, aliases=("行业门类",)),
        Column("scale", "规模", choice(Customer.Scale.choices), required=True),
        Column("region", "区域", region, required=True, aliases=("区域编码", "所属区域")),
        Column("address", "地址", text(255)),
        Column("status", "状态", choice(Customer.Status.choices)),
        Column("competitor_operator", "现服务运营商", choice(Customer.Operator.choices)),
        Column("parent_code", "上级客户编码", code(30), aliases=("上级单位编码",)),
        Column("account_manager", "客户经理工号", manager, aliases=("客户经理",)),
    ),
)


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    plain = [c.key for c in kind.columns if c.key not in ("code", "parent_code", "region", "account_manager")]
    codes = [r.values["code"] for r in rows]
    existing = {c.code: c for c in Customer.objects.filter(code__in=codes).select_related("parent")}
    credit_owner = dict(
        Customer.objects.filter(credit_code__in=[r.values["credit_code"] for r in rows if "credit_code" in r.values])
        .exclude(credit_code=None)
        .values_list("credit_code", "code")
    )
    grades = dict(User.objects.filter(role=User.Role.ACCOUNT_MANAGER).values_list("pk", "grade"))
    # code → parent code, as it will be once the file is in: to refuse unknown parents and cycles.
    parent_of: dict[str, str | None] = dict(Customer.objects.values_list("code", "parent__code"))
    for row in rows:
        if "parent_code" in row.values:
            parent_of[row.values["code"]] = row.values["parent_code"]
        else:
            parent_of.setdefault(row.values["code"], None)
    accepted: list[ParsedRow] = []
    credit_in_file: dict[str, int] = {}
    for row in rows:
        v = row.values
        cc = v.get("credit_code")
        if cc and credit_owner.get(cc, v["code"]) != v["code"]:
            problems.append(Problem(row.line, "统一社会信用代码", cc, f"该信用代码已属于客户 {credit_owner[cc]}。"))
            continue
        if cc and cc in credit_in_file:
            problems.append(Problem(row.line, "统一社会信用代码", cc, f"与第 {credit_in_file[cc]} 行的信用代码重复。"))
            continue
        parent = v.get("parent_code")
        if parent is not None and parent not in parent_of:
            problems.append(Problem(row.line, "上级客户编码", parent, "上级客户不存在。"))
            continue
        if parent is not None and _makes_cycle(v["code"], parent_of):
            problems.append(Problem(row.line, "上级客户编码", parent, "上级单位关系形成循环。"))
            before = existing.get(v["code"])
            parent_of[v["code"]] = before.parent.code if before is not None and before.parent is not None else None
            continue
        before = existing.get(v["code"])
        if (
            "account_manager" in v
            and before is not None
            and before.tier in QUALIFIED_TIERS
            and (grades.get(v["account_manager"]) or 0) < QUALIFIED_GRADE
        ):
            problems.append(
                Problem(row.line, "客户经理工号", str(v["account_manager"]),
                        f"{before.tier} 级客户只能由高级及以上客户经理负责（任职资格制度）。")
            )  # fmt: skip
            continue
        if cc:
            credit_in_file[cc] = row.line
        accepted.append(row)

    new: list[Customer] = []
    handovers: list[tuple[str, int]] = []  # (customer code, new account manager)
    changed: list[Customer] = []
    unchanged = 0
    held = held_values([c.pk for c in existing.values()])
    conflicts: list[dict[str, Any]] = []
    agreed: dict[int, set[str]] = {}  # change request → fields the file now agrees with
    disputed: set[int] = set()
    for row in accepted:
        v = row.values
        target: dict[str, Any] = {name: v[name] for name in plain if name in v}
        before = existing.get(v["code"])
        for name, (value, request) in (held.get(before.pk, {}) if before is not None else {}).items():
            incoming = v.get("parent_code") if name == "parent" else target.get(name)
            if (name == "parent" and "parent_code" not in v) or (name != "parent" and name not in target):
                continue
            if str(incoming or "") == value:
                agreed.setdefault(request.pk, set()).add(name)
                continue
            disputed.add(request.pk)
            conflicts.append(_conflict(row.line, v["code"], name, incoming, value, request))
            if name == "parent":
                del v["parent_code"]
            else:
                del target[name]
        target["region_id"] = v["region"]
        if "account_manager" in v:
            target["account_manager_id"] = v["account_manager"]
        customer = existing.get(v["code"])
        if "account_manager" in v and (customer is None or customer.account_manager_id != v["account_manager"]):
            handovers.append((v["code"], v["account_manager"]))
        old_parent = customer.parent.code if customer is not None and customer.parent else None
        parent_moves = "parent_code" in v and v["parent_code"] != old_parent
        if customer is None:
            new.append(Customer(code=v["code"], source=Customer.Source.IMPORT, **target))
        elif parent_moves or any(getattr(customer, name) != value for name, value in target.items()):
            for name, value in target.items():
                setattr(customer, name, value)
            changed.append(customer)
        else:
            unchanged += 1
    if not dry_run:
        with transaction.atomic():
            Customer.objects.bulk_create(new, batch_size=2000)
            update = sorted({*plain, "region_id", "account_manager_id"} - {"region"})
            Customer.objects.bulk_update(changed, [f.removesuffix("_id") for f in update], batch_size=2000)
            _set_parents([r for r in accepted if "parent_code" in r.values])
            _record_handovers(handovers)
            _settle(agreed, disputed)
            refresh_statistics(Customer)
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged, "conflicts": conflicts}


def _conflict(line: int, code: str, name: str, incoming: Any, kept: str, request: ChangeRequest) -> dict[str, Any]:
    """One cell of the file that would undo an approved change: kept as approved, and reported."""
    label = "上级客户编码" if name == "parent" else str(customer_field(name).verbose_name)
    return {
        "line": line,
        "customer_code": code,
        "column": label,
        "value": str(incoming or ""),
        "kept": kept,
        "message": f"与 {request.decided_at:%Y-%m-%d} 批准的变更申请（{request.child_side_by}）不一致，保留已批准的值。"
        if request.decided_at
        else "与已批准的变更申请不一致，保留已批准的值。",
    }


def _settle(agreed: dict[int, set[str]], disputed: set[int]) -> None:
    """An approved change the operator's file now agrees with, cell for cell, is confirmed: later
    imports may change those fields again."""
    done = []
    for request in ChangeRequest.objects.filter(pk__in=[pk for pk in agreed if pk not in disputed]):
        fields = {"parent"} if request.kind == ChangeRequest.Kind.PARENT else set(request.changes)
        if fields <= agreed[request.pk]:
            done.append(request.pk)
    ChangeRequest.objects.filter(pk__in=done).update(settled_at=timezone.now())


def _record_handovers(handovers: list[tuple[str, int]]) -> None:
    """A manager set by an import has its assignment history like one set on the page."""
    if not handovers:
        return
    ids = dict(Customer.objects.filter(code__in=[c for c, _m in handovers]).values_list("code", "pk"))
    today = timezone.localdate()
    AccountAssignment.objects.filter(customer_id__in=ids.values(), end__isnull=True).update(end=today)
    AccountAssignment.objects.bulk_create(
        [AccountAssignment(customer_id=ids[c], manager_id=m, start=today, reason="数据导入") for c, m in handovers],
        batch_size=2000,
    )


def _makes_cycle(code: str, parent_of: dict[str, str | None]) -> bool:
    seen = {code}
    node = parent_of.get(code)
    while node is not None:
        if node in seen:
            return True
        seen.add(node)
        node = parent_of.get(node)
    return False


def _set_parents(rows: list[ParsedRow]) -> None:
    codes = {r.values["code"] for r in rows} | {r.values["parent_code"] for r in rows}
    found = list(Customer.objects.filter(code__in=codes).values_list("code", "pk", "parent_id"))
    ids = {code: pk for code, pk, _parent in found}
    current = {code: parent for code, _pk, parent in found}
    moved = [
        Customer(pk=ids[r.values["code"]], parent_id=ids[r.values["parent_code"]])
        for r in rows
        if current.get(r.values["code"]) != ids[r.values["parent_code"]]
    ]
    Customer.objects.bulk_update(moved, ["parent"], batch_size=2000)
