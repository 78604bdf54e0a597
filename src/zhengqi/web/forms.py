"""Turning what a user typed into values, and a refusal into messages a page can show."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from zhengqi.engine.months import Month, MonthError


def _attrs(attrs: dict[str, Any]) -> SafeString:
    """A widget's attributes as Django's attrs.html writes them: ``name="value"``, a bare name for
    True, nothing for False (escaped)."""
    shown = ((k, v) for k, v in attrs.items() if v is not False)
    html = "".join(format_html(" {}", k) if v is True else format_html(' {}="{}"', k, v) for k, v in shown)
    return mark_safe(html)  # noqa: S308  # nosec B308 B703  # every part escaped by format_html


class FastSelect(forms.Select):
    """A ``<select>`` rendered in Python rather than through a template per option: the same HTML as
    Django's (the same options, attributes and selection), for the pickers with hundreds of options
    on the pages people open all day (the customer list's regions and account managers, issue 25)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        parts: list[str] = [format_html('<select name="{}"{}>', widget["name"], _attrs(widget["attrs"]))]
        for group, options, _index in widget["optgroups"]:
            if group:
                parts.append(format_html('<optgroup label="{}">', group))
            parts.extend(
                format_html('<option value="{}"{}>{}</option>', str(o["value"]), _attrs(o["attrs"]), o["label"])
                for o in options
            )
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703  # every part escaped by format_html


class StaleEdit(ValidationError):
    """Someone saved the record after this editor opened it: the edit is refused (409 in the API)."""


def form_errors(err: ValidationError) -> dict[str, list[str]]:
    """A refusal's messages by field, those for no field under "general" (templates cannot read
    Django's "__all__")."""
    errors = dict(err.message_dict) if hasattr(err, "error_dict") else {"general": list(err.messages)}
    if "__all__" in errors:
        errors["general"] = errors.pop("__all__")
    return errors


def form_message(form: forms.Form) -> str:
    """A bound form's errors as one sentence per field, labelled, for a flash message."""
    return " ".join(
        f"{form.fields[f].label if f in form.fields else ''}：{' '.join(str(m) for m in e)}"
        for f, e in form.errors.items()
    )


# A month as the API takes it ("2026-11"): a year of this era, so that every match is a real date.
MONTH_PATTERN = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"


INT_MAX = 2**63 - 1  # the largest id or count a database column holds


def parse_int(raw: object, *, high: int = INT_MAX) -> int | None:
    """A whole number typed or picked by the user — ASCII or full-width digits — or None when there
    is none, or it is not one, or it is beyond ``high`` (never an exception: "²", "①" and a
    thousand nines are None, not a ValueError or a database overflow)."""
    text = unicodedata.normalize("NFKC", str(raw)).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(high)):
        return None
    number = int(text)
    return number if number <= high else None


def parse_ids(values: Iterable[object]) -> list[int]:
    """The ids among values posted by a page's checkboxes; anything else is left out."""
    return [n for n in (parse_int(v) for v in values) if n is not None]


def parse_day(raw: str | None, field: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD; a wrong one is refused with the field's message."""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError({field: _("日期格式应为 YYYY-MM-DD。")}) from None


def month_choices(today: dt.date, n: int = 12) -> list[dt.date]:
    """The first days of this month and the ``n - 1`` before it, latest first (a month picker)."""
    months, cursor = [], today.replace(day=1)
    for _i in range(n):
        months.append(cursor)
        cursor = (cursor - dt.timedelta(days=1)).replace(day=1)
    return months


def parse_month(raw: str | None, default: dt.date | None = None) -> dt.date:
    """ "2026-10" (or a day of it) as the first of that month; none gives ``default``; a wrong one
    is refused in Chinese."""
    if not raw:
        if default is None:
            raise ValidationError(_("请填写月份，格式为 YYYY-MM，例如 2026-10。"))
        return default
    try:
        return Month.parse(raw).first
    except MonthError:
        raise ValidationError(_("月份格式应为 YYYY-MM，例如 2026-10。")) from None


# --- numbers as people type them ------------------------------------------------------------------
# One reading for every amount and share a form takes, so that what one page accepts another does
# too: full-width characters from a Chinese input method (１２００，９５％), thousands separators
# (1,200 and 1，200), a currency sign or 元 (¥1200, 1200元) and 万/亿 (1.2万 = 12000).

_UNITS = {"万": Decimal(10_000), "亿": Decimal(100_000_000)}


def _number_text(raw: object) -> str:
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw))
    return "".join(text.split()).replace(",", "")


def _amount_limit(high: Decimal, unit: str) -> str:
    """A bound as a sentence says it: in Chinese 1e8 元 → "1 亿元", 1e12 → "1 万亿元", 5e4 → "5 万元";
    in English the figure in full ("100,000,000 yuan")."""
    if not (get_language() or "zh").startswith("zh"):
        return f"{high.normalize():,f} {UNIT_NAMES.get(unit, unit)}"
    for size, name in ((Decimal("1e12"), "万亿"), (_UNITS["亿"], "亿"), (_UNITS["万"], "万")):
        if high >= size:
            return f"{(high / size).normalize():f} {name}{unit}"
    return f"{high.normalize():f} {unit}"


UNIT_NAMES = {"元": gettext_lazy("元"), "小时": gettext_lazy("小时")}


def bound_of(field: Any) -> Decimal:
    """The first amount a model's DecimalField cannot hold (max_digits 10, 2 places → 1 亿): the
    ``high`` that keeps a typed amount from overflowing the column."""
    return Decimal(10) ** (field.max_digits - field.decimal_places)


def parse_amount(
    raw: object,
    field: str,
    label: str,
    *,
    required: bool = True,
    high: Decimal = Decimal("1e12"),
    unit: str = "元",
    places: Decimal = Decimal("0.01"),
) -> Decimal | None:
    """An amount (0 ≤ amount < ``high``, rounded half up to ``places``) as typed: "1,200",
    "１２００", "¥1200", "1200元", "1.2万", "0.5亿元" — or of another ``unit`` ("20GB"). Blank is
    None, or refused when ``required``."""
    text = _number_text(raw)
    if unit == "元":
        text = text.lstrip("¥")
    text = text[: -len(unit)] if text.lower().endswith(unit.lower()) else text
    if not text:
        if required:
            raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
        return None
    unit_of_count = _UNITS.get(text[-1], Decimal(1))
    digits = text[:-1] if text[-1] in _UNITS else text
    try:
        value = Decimal(digits) * unit_of_count
    except ArithmeticError:  # not a number (InvalidOperation) or one beyond any bound (Overflow)
        shown = str(raw).strip()[:20]
        raise ValidationError({field: _("%(label)s“%(v)s”不是数字。") % {"label": label, "v": shown}}) from None
    if value.is_finite() and 0 <= value < high:  # rounded only then: a huge one cannot be
        value = abs(value.quantize(places, rounding=ROUND_HALF_UP))  # 四舍五入; abs: "-0" is 0
    if not value.is_finite() or value < 0 or value >= high:  # 99999999.999 rounds up to the bound
        bound = _amount_limit(high, unit)
        raise ValidationError({field: _("%(label)s应在 0 至 %(high)s之间。") % {"label": label, "high": bound}})
    return value


def parse_rate(raw: object, field: str, label: str, *, required: bool = True) -> Decimal | None:
    """A share between 0 and 1 as typed: "95%", "９５％", "95" (a number above 1 is a percentage) or
    "0.95". Blank is None, or refused when ``required``."""
    text = _number_text(raw)
    if not text:
        if required:
            raise ValidationError({field: _("请填写%(label)s。") % {"label": label}})
        return None
    percent = text.endswith("%")
    try:
        value = Decimal(text.removesuffix("%"))
    except ArithmeticError:
        shown = str(raw).strip()[:20]
        raise ValidationError({field: _("%(label)s“%(v)s”不是数字。") % {"label": label, "v": shown}}) from None
    if value.is_finite() and (percent or value > 1):
        value = value / 100
    if not value.is_finite() or not 0 <= value <= 1:
        raise ValidationError({field: _("%(label)s应在 0 至 100%% 之间。") % {"label": label}})
    return abs(value)  # "-0" is 0
