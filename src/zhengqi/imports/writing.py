"""What the import writers share: upsert by natural key, customer ids by code, the counts they
return, and the pause that lets a test kill an import half-way."""

from __future__ import annotations

import os
import time
from typing import Any

from zhengqi.customers.models import (
    Customer,
)
from zhengqi.imports.schemas import ParsedRow


def upsert(
    model: Any,
    key_fields: tuple[str, ...],
    wanted: list[tuple[tuple[Any, ...], dict[str, Any]]],
    *,
    dry_run: bool,
    created: dict[str, Any] | None = None,
) -> tuple[Counts, dict[tuple[Any, ...], Any]]:
    """Insert or update ``model`` rows by natural key; unchanged rows are only counted. ``created``
    is set on new rows only (where they came from). Returns the counts and the saved object of every
    key (for related rows such as roles and products)."""
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
            obj = model(**dict(zip(key_fields, key, strict=True)), **values, **(created or {}))
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


def import_source(batch: Any) -> dict[str, Any]:
    """What a row made by an import records of where it came from: the batch."""
    return {"source": "import", "source_ref": str(batch.pk) if batch is not None else ""}


def customer_ids(rows: list[ParsedRow]) -> dict[str, int]:
    codes = {r.values["customer_code"] for r in rows}
    return dict(Customer.objects.filter(code__in=codes).values_list("code", "pk"))


def pause_for_tests() -> None:
    """Lets a test kill an import between two months (ZHENGQI_IMPORT_PAUSE seconds)."""
    pause = float(os.environ.get("ZHENGQI_IMPORT_PAUSE", "0") or 0)
    if pause:
        time.sleep(pause)


Counts = dict[str, Any]
