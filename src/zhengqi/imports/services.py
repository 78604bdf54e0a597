"""Importing a file: read, check every row, keep the good ones, refuse the bad ones with their line,
column and reason, and record the batch. Safe to re-run: rows are matched on their natural key,
an unchanged row is counted as unchanged and not written, and lake months are replaced atomically.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import time
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import (
    AccountAssignment,
    Contract,
    Customer,
    CustomerMonth,
    KeyPerson,
    KeyPersonRole,
    Product,
    Subscription,
)
from zhengqi.customers.services import QUALIFIED_GRADE, QUALIFIED_TIERS
from zhengqi.db import refresh_statistics
from zhengqi.engine.lake import Lake
from zhengqi.support.requests import Ticket, import_tickets

from .models import ImportBatch, ImportRejection
from .readers import SPARK_PREFIX, FileRefused, open_source
from .schemas import KINDS, Kind, Lookups, ParsedRow, Problem, map_header, parse_row

Progress = Callable[[int], None]  # rows read so far


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def load_lookups(kind: Kind) -> Lookups:
    lookups = Lookups()
    keys = {c.key for c in kind.columns}
    if "region" in keys:
        for pk, code, name in Region.objects.values_list("pk", "code", "name"):
            lookups.regions[code] = pk
            lookups.regions.setdefault(name, pk)
    if {"customer_code"} & keys:
        lookups.customers = set(Customer.objects.values_list("code", flat=True))
    if {"product_code", "products"} & keys:
        lookups.products = dict(Product.objects.values_list("code", "pk"))
    if "account_manager" in keys:
        lookups.managers = dict(
            User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True).values_list("username", "pk")
        )
    return lookups


def import_file(
    kind_name: str,
    path: Path,
    *,
    by: User | None = None,
    dry_run: bool = False,
    lake: Lake | None = None,
    progress: Progress | None = None,
    filename: str | None = None,
    batch: ImportBatch | None = None,
) -> ImportBatch:
    """Import one file and return its batch record (counts, rejections, status). A batch made
    beforehand (by the upload page, which runs the import in the background) may be passed in."""
    kind = KINDS.get(kind_name)
    if kind is None:
        raise FileRefused(f"未知的导入类型“{kind_name}”，可选：{'、'.join(KINDS)}。")
    if batch is None:
        spark = str(path).startswith(SPARK_PREFIX)
        batch = ImportBatch.objects.create(
            kind=kind.name,
            filename=filename or (str(path) if spark else path.name),
            sha256=hashlib.sha256(str(path).encode()).hexdigest() if spark else file_sha256(path),
            size=0 if spark else path.stat().st_size,
            by=by,
            dry_run=dry_run,
        )
    try:
        rows, problems, total = _read(kind, path, batch, progress)
        writer = WRITERS[kind.name]
        counts = writer(kind, rows, problems, dry_run=dry_run, lake=lake or Lake(settings.ZHENGQI_LAKE))
    except FileRefused as err:
        batch.status, batch.message = ImportBatch.Status.FAILED, str(err)
        batch.finished_at = timezone.now()
        batch.save()
        return batch
    except Exception as err:  # recorded on the batch so that the page shows it, then re-raised
        batch.status, batch.message = ImportBatch.Status.FAILED, f"导入出错：{err}"
        batch.finished_at = timezone.now()
        batch.save()
        raise
    ImportRejection.objects.bulk_create(
        [
            ImportRejection(batch=batch, line=p.line, column=p.column, value=p.value[:200], reason=p.reason[:300])
            for p in sorted(problems, key=lambda p: p.line)
        ],
        batch_size=2000,
    )
    batch.rows_total = total
    batch.rejected = len(problems)
    batch.inserted = counts.get("inserted", 0)
    batch.updated = counts.get("updated", 0)
    batch.unchanged = counts.get("unchanged", 0)
    batch.months = counts.get("months", [])
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.finished_at = timezone.now()
    batch.save()
    return batch


def _read(
    kind: Kind, path: Path, batch: ImportBatch, progress: Progress | None
) -> tuple[list[ParsedRow], list[Problem], int]:
    source = open_source(path, [name for c in kind.columns for name in c.names()])
    batch.encoding = source.encoding
    positions = map_header(kind, source.header)
    missing = [c.label for c in kind.columns if c.required and c.key not in positions]
    if missing:
        raise FileRefused("文件缺少必填列：" + "、".join(missing) + "。没有导入任何一行。")
    lookups = load_lookups(kind)
    rows: list[ParsedRow] = []
    problems = [Problem(line, "", "", reason) for line, reason in source.bad_lines]
    seen: dict[tuple[Any, ...], int] = {}
    total = len(source.bad_lines)
    for line, cells in source.rows:
        if not any(c.strip() for c in cells):
            continue
        total += 1
        if progress and total % 10000 == 0:
            progress(total)
        parsed = parse_row(kind, positions, line, cells, lookups)
        if isinstance(parsed, Problem):
            problems.append(parsed)
            continue
        key = tuple(parsed.values[k] for k in kind.key)
        if key in seen:
            label = "、".join(kind.column(k).label for k in kind.key)
            problems.append(Problem(line, label, " ".join(map(str, key))[:200], f"与第 {seen[key]} 行的{label}重复。"))
            continue
        seen[key] = line
        rows.append(parsed)
    if progress:
        progress(total)
    return rows, problems, total


# --- writers: one per kind --------------------------------------------------------------------

Counts = dict[str, Any]


def _write_customers(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
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
    for row in accepted:
        v = row.values
        target: dict[str, Any] = {name: v[name] for name in plain if name in v}
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
            refresh_statistics(Customer)
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged}


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


FACT_DEFAULTS = {
    "revenue_info": Decimal(0),
    "revenue_data": Decimal(0),
    "revenue_line": Decimal(0),
    "arrears": Decimal(0),
    "data_gb": Decimal(0),
}


def _write_customer_month(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, lake: Lake, **_: Any
) -> Counts:
    ids = dict(Customer.objects.values_list("code", "pk"))
    months = sorted({r.values["month"] for r in rows})
    existing = {
        (m.customer_id, m.month): m
        for m in CustomerMonth.objects.filter(
            month__in=months, customer_id__in={ids[r.values["customer_code"]] for r in rows}
        )
    }
    value_fields = [c.key for c in kind.columns if c.key not in kind.key]
    web_fields = [f for f in value_fields if hasattr(CustomerMonth, f)]
    new: list[CustomerMonth] = []
    changed: list[CustomerMonth] = []
    unchanged = 0
    for row in rows:
        v = row.values
        key = (ids[v["customer_code"]], v["month"])
        record = existing.get(key)
        target = {f: v[f] for f in web_fields if f in v}
        if record is None:
            new.append(CustomerMonth(customer_id=key[0], month=key[1], **{**FACT_DEFAULTS, **target}))
        elif any(getattr(record, f) != value for f, value in target.items()):
            for f, value in target.items():
                setattr(record, f, value)
            changed.append(record)
        else:
            unchanged += 1
    if not dry_run:
        with transaction.atomic():
            CustomerMonth.objects.bulk_create(new, batch_size=2000)
            CustomerMonth.objects.bulk_update(changed, web_fields, batch_size=2000)
        touched = {r.values["month"] for r in rows}
        if new or changed:
            for m in sorted(touched):
                _merge_lake_month(
                    lake,
                    "customer_month",
                    m,
                    [r.values for r in rows if r.values["month"] == m],
                    key="customer_code",
                    columns=value_fields,
                )
            refresh_statistics(CustomerMonth)
    return {
        "inserted": len(new),
        "updated": len(changed),
        "unchanged": unchanged,
        "months": [str(m)[:7] for m in months],
    }


def _merge_lake_month(
    lake: Lake, table: str, month: dt.date, values: list[dict[str, Any]], *, key: str, columns: list[str]
) -> tuple[int, int, int]:
    """Replace the rows of ``values`` in one month of a lake table (by ``key``), keep the others,
    and write the month back atomically. Columns absent from the file keep their stored values.
    Returns (inserted, updated, unchanged); an unchanged month is not rewritten."""
    path = lake.partition_file(table, month)
    old = lake.read_month(table, month) if path.exists() else None
    schema = old.schema if old is not None else None
    stored: dict[Any, dict[str, Any]] = {}
    if old is not None:
        for row in old.to_pylist():
            stored[row[key]] = row
    inserted = updated = unchanged = 0
    for v in values:
        k = v[key]
        before = stored.get(k)
        row = dict(before) if before else {"month": month, key: k}
        for c in columns:
            if c in v:
                row[c] = float(v[c]) if isinstance(v[c], Decimal) else v[c]
            elif before is None:
                row[c] = 0
        if before is None:
            inserted += 1
        elif row != before:
            updated += 1
        else:
            unchanged += 1
            continue
        stored[k] = row
    if inserted or updated:
        new_table = pa.Table.from_pylist(list(stored.values()))
        if schema is not None:
            new_table = new_table.select(schema.names).cast(schema)
        lake.write_month(table, month, new_table)
        _pause_for_tests()
    return inserted, updated, unchanged


def _pause_for_tests() -> None:
    """Lets a test kill an import between two months (ZHENGQI_IMPORT_PAUSE seconds)."""
    pause = float(os.environ.get("ZHENGQI_IMPORT_PAUSE", "0") or 0)
    if pause:
        time.sleep(pause)


MEMBER_COLUMNS = [
    "customer_code",
    "voice_minutes",
    "sms_count",
    "data_mb",
    "vnet_calls",
    "competitor_calls",
    "revenue",
    "revenue_info",
]


def _write_member_month(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, lake: Lake, **_: Any
) -> Counts:
    by_month: dict[dt.date, list[dict[str, Any]]] = {}
    for row in rows:
        by_month.setdefault(row.values["month"], []).append(row.values)
    inserted = updated = unchanged = 0
    for m in sorted(by_month):
        if dry_run:
            path = lake.partition_file("member_month", m)
            known = set(lake.read_month("member_month", m).column("msisdn").to_pylist()) if path.exists() else set()
            fresh = sum(1 for v in by_month[m] if v["msisdn"] not in known)
            inserted += fresh
            continue
        i, u, same = _merge_member_month(lake, m, by_month[m])
        inserted, updated, unchanged = inserted + i, updated + u, unchanged + same
    return {
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged,
        "months": [str(m)[:7] for m in sorted(by_month)],
    }


def _merge_member_month(lake: Lake, month: dt.date, values: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Member months are large: merged column-wise with Arrow rather than row by row."""
    import pyarrow.compute as pc

    columns: dict[str, list[Any]] = {"month": [month] * len(values), "msisdn": [v["msisdn"] for v in values]}
    for c in MEMBER_COLUMNS:
        columns[c] = [v.get(c, 0) for v in values]
    incoming = pa.table(columns)
    path = lake.partition_file("member_month", month)
    if not path.exists():
        lake.write_month("member_month", month, _member_schema_cast(incoming))
        _pause_for_tests()
        return len(values), 0, 0
    old = lake.read_month("member_month", month)
    incoming = _member_schema_cast(incoming, old.schema)
    matched = pc.is_in(old.column("msisdn"), value_set=incoming.column("msisdn"))
    kept = old.filter(pc.invert(matched))
    replaced = old.filter(matched)
    joined = incoming.join(replaced, keys="msisdn", right_suffix="_old", join_type="left outer")
    fresh = joined.filter(pc.is_null(joined.column("customer_code_old"))).num_rows
    same_mask = None
    for c in MEMBER_COLUMNS:
        a = joined.column(c)
        b = joined.column(f"{c}_old")
        if c == "customer_code":
            a, b = pc.cast(a, pa.string()), pc.cast(b, pa.string())
        eq = pc.fill_null(pc.equal(a, b), False)
        same_mask = eq if same_mask is None else pc.and_(same_mask, eq)
    same = int(pc.sum(same_mask).as_py() or 0) if same_mask is not None else 0
    changed = joined.num_rows - fresh - same
    if fresh == 0 and changed == 0:
        return 0, 0, same
    merged = pa.concat_tables([kept, incoming]).combine_chunks()
    lake.write_month("member_month", month, merged)
    _pause_for_tests()
    return fresh, changed, same


def _member_schema_cast(table: pa.Table, schema: pa.Schema | None = None) -> pa.Table:
    schema = schema or pa.schema(
        [
            ("month", pa.date32()),
            ("msisdn", pa.int64()),
            ("customer_code", pa.dictionary(pa.int32(), pa.string())),
            ("voice_minutes", pa.int32()),
            ("sms_count", pa.int32()),
            ("data_mb", pa.float64()),
            ("vnet_calls", pa.int32()),
            ("competitor_calls", pa.int32()),
            ("revenue", pa.float64()),
            ("revenue_info", pa.float64()),
        ]
    )
    return table.select(schema.names).cast(schema)


def _upsert(
    model: Any, key_fields: tuple[str, ...], wanted: list[tuple[tuple[Any, ...], dict[str, Any]]], *, dry_run: bool
) -> tuple[Counts, dict[tuple[Any, ...], Any]]:
    """Insert or update ``model`` rows by natural key; unchanged rows are only counted. Returns the
    counts and the saved object of every key (for related rows such as roles and products)."""
    first = key_fields[0]
    existing = {
        tuple(getattr(obj, f) for f in key_fields): obj
        for obj in model.objects.filter(**{f"{first}__in": {k[0] for k, _v in wanted}})
    }
    new, changed, unchanged = [], [], 0
    objects: dict[tuple[Any, ...], Any] = {}
    same: set[tuple[Any, ...]] = set()
    fields: set[str] = set()
    for key, values in wanted:
        obj = existing.get(key)
        if obj is None:
            obj = model(**dict(zip(key_fields, key, strict=True)), **values)
            new.append(obj)
        elif any(getattr(obj, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(obj, f, v)
            fields |= set(values)
            changed.append(obj)
        else:
            unchanged += 1
            same.add(key)
        objects[key] = obj
    if not dry_run:
        model.objects.bulk_create(new, batch_size=2000)
        if changed:
            model.objects.bulk_update(changed, sorted(f.removesuffix("_id") for f in fields), batch_size=2000)
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged, "same": same}, objects


def _customer_ids(rows: list[ParsedRow]) -> dict[str, int]:
    codes = {r.values["customer_code"] for r in rows}
    return dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))


def _write_products(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    wanted = [((r.values["code"],), {k: v for k, v in r.values.items() if k != "code"}) for r in rows]
    with transaction.atomic():
        counts, _objects = _upsert(Product, ("code",), wanted, dry_run=dry_run)
    return counts


def _write_key_persons(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any
) -> Counts:
    ids = _customer_ids(rows)
    wanted = [
        ((ids[r.values["customer_code"]], r.values["name"]),
         {k: v for k, v in r.values.items() if k not in ("customer_code", "name", "roles")})
        for r in rows
    ]  # fmt: skip
    with transaction.atomic():
        counts, objects = _upsert(KeyPerson, ("customer_id", "name"), wanted, dry_run=dry_run)
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


def _write_subscriptions(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any
) -> Counts:
    ids = _customer_ids(rows)
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
        counts, _objects = _upsert(Subscription, ("customer_id", "product_id", "start"), wanted, dry_run=dry_run)
    return counts


def _write_contracts(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    ids = _customer_ids(rows)
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
        counts, objects = _upsert(Contract, ("number",), wanted, dry_run=dry_run)
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


MEMBER_EVENTS = ("join_month", "leave_month", "return_month", "end_month")


def _write_members(
    kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, lake: Lake, **_: Any
) -> Counts:
    """The lake's member table, merged by MSISDN and written back whole, atomically."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    labels = {c.key: c.label for c in kind.columns}
    good: list[dict[str, Any]] = []
    for row in rows:
        v = row.values
        events: list[tuple[str, dt.date]] = [(name, v[name]) for name in MEMBER_EVENTS if v.get(name) is not None]
        wrong = next(((a, b) for a, b in itertools.pairwise(events) if b[1] < a[1]), None)
        if wrong:
            problems.append(
                Problem(row.line, labels[wrong[1][0]], str(wrong[1][1])[:7], f"不能早于{labels[wrong[0][0]]}。")
            )
            continue
        good.append({"msisdn": v["msisdn"], "customer_code": v["customer_code"], "in_vnet": v.get("in_vnet", False),
                     **{name: v.get(name) for name in MEMBER_EVENTS}})  # fmt: skip
    path = lake.root / "members" / "data.parquet"
    old = pq.read_table(path) if path.exists() else None
    schema = old.schema if old is not None else pa.schema(
        [("msisdn", pa.int64()), ("customer_code", pa.dictionary(pa.int32(), pa.string())),
         ("join_month", pa.date32()), ("leave_month", pa.date32()), ("return_month", pa.date32()),
         ("end_month", pa.date32()), ("in_vnet", pa.bool_())]
    )  # fmt: skip
    incoming = pa.Table.from_pylist(good).select(schema.names).cast(schema) if good else schema.empty_table()
    if old is None:
        if not dry_run and good:
            lake.write_table("members", incoming)
        return {"inserted": len(good), "updated": 0, "unchanged": 0}
    matched = pc.is_in(old.column("msisdn"), value_set=incoming.column("msisdn"))
    before = {r["msisdn"]: r for r in old.filter(matched).to_pylist()}
    now = {r["msisdn"]: r for r in incoming.to_pylist()}
    inserted = sum(1 for k in now if k not in before)
    unchanged = sum(1 for k, r in now.items() if before.get(k) == r)
    updated = len(now) - inserted - unchanged
    if not dry_run and (inserted or updated):
        lake.write_table("members", pa.concat_tables([old.filter(pc.invert(matched)), incoming]).combine_chunks())
    return {"inserted": inserted, "updated": updated, "unchanged": unchanged}


def _write_regions(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    """Regions one by one, parents first (a few hundred rows): each keeps its materialised path."""
    from django.core.exceptions import ValidationError

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


def _write_staff(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    from django.core.exceptions import ValidationError

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


def _write_tickets(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    tickets = [Ticket(line=r.line, **r.values) for r in rows]
    counts, refused = import_tickets(tickets, dry_run=dry_run)
    problems.extend(Problem(line, column, value, reason) for line, column, value, reason in refused)
    return counts


WRITERS: dict[str, Callable[..., Counts]] = {
    "regions": _write_regions,
    "staff": _write_staff,
    "members": _write_members,
    "customers": _write_customers,
    "products": _write_products,
    "key_persons": _write_key_persons,
    "subscriptions": _write_subscriptions,
    "contracts": _write_contracts,
    "customer_month": _write_customer_month,
    "member_month": _write_member_month,
    "tickets": _write_tickets,
}


SUFFIXES = (".csv", ".txt", ".xlsx", ".parquet")


def may_import(user: User) -> bool:
    return bool(user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)


def import_start(*, by: User, kind_name: str, name: str, chunks: Iterable[bytes], dry_run: bool = False) -> ImportBatch:
    """Save an uploaded file and queue its import (run by ``zhengqi db_worker``); the batch shows
    its progress. Only the provincial admin imports."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from .tasks import import_task

    if not may_import(by):
        raise PermissionDenied("只有省公司管理员可以导入数据。")
    if kind_name not in KINDS:
        raise ValidationError(f"未知的导入类型“{kind_name}”，可选：{'、'.join(KINDS)}。")
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationError(f"不支持的文件类型“{suffix or name}”：请上传 CSV、Excel（.xlsx）或 Parquet 文件。")
    folder = Path(settings.VAR_DIR) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    digest = hashlib.sha256()
    size = 0
    with path.open("wb") as f:
        for chunk in chunks:
            digest.update(chunk)
            size += len(chunk)
            f.write(chunk)
    batch = ImportBatch.objects.create(
        kind=kind_name, filename=Path(name).name[:255], sha256=digest.hexdigest(), size=size, by=by, dry_run=dry_run
    )
    # The database backend stores the task in the same transaction as the batch: no race.
    import_task.enqueue(batch.pk, str(path))
    batch.refresh_from_db()
    return batch
