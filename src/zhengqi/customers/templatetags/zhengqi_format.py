"""Template filters for Chinese number, money and personal-data display."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils.translation import gettext as _

from zhengqi.accounts.privacy import mask_birthday, mask_phone

register = template.Library()


@register.filter
def yuan(value: Decimal | float | None) -> str:
    """¥1,234.56"""
    if value is None:
        return "—"
    return f"¥{Decimal(value):,.2f}"


@register.filter
def wan(value: Decimal | float | None) -> str:
    """Amounts in 万元 with two decimals, as managers read them."""
    if value is None:
        return "—"
    return f"{Decimal(value) / 10000:,.2f} 万元"


@register.filter
def masked_phone(value: str) -> str:
    return mask_phone(value) if value else ""


@register.filter
def masked_birthday(value: dt.date | None) -> str:
    return mask_birthday(value)


@register.filter
def get_item(mapping: dict[Any, object], key: object) -> object:
    """``{{ d|get_item:"A+" }}`` for keys that are not identifiers."""
    return mapping.get(key, "")


@register.filter
def years_until(start: dt.date, today: dt.date) -> int:
    """Whole years from ``start`` to ``today``'s year: the anniversary being celebrated."""
    return today.year - start.year


@register.filter
def percent(value: float | None, digits: int = 1) -> str:
    """0.1234 → “12.3%”; nothing → “—”."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(digits)}f}%"


@register.filter
def points(value: float | None, digits: int = 1) -> str:
    """A difference of two rates in percentage points, signed: 0.0234 → “+2.3 个百分点”; nothing → “—”."""
    if value is None:
        return "—"
    return _("%(v)s 个百分点") % {"v": f"{float(value) * 100:+.{int(digits)}f}"}
