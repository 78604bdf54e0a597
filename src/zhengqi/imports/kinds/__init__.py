"""The import kinds, one module each pairing its columns with its writer; this registry lists them
in the order the import page and docs/imports.md show them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from zhengqi.imports.schemas import Kind

from . import (
    contracts,
    customer_month,
    customers,
    key_persons,
    member_month,
    members,
    products,
    regions,
    staff,
    subscriptions,
    tickets,
)

MODULES = [
    regions,
    staff,
    customers,
    products,
    key_persons,
    subscriptions,
    contracts,
    customer_month,
    members,
    member_month,
    tickets,
]
KINDS: dict[str, Kind] = {m.KIND.name: m.KIND for m in MODULES}
WRITERS: dict[str, Callable[..., Any]] = {m.KIND.name: m.write for m in MODULES}
