"""Turning what a user typed into values, and a refusal into messages a page can show."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from zhengqi.engine.months import Month, MonthError


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


def parse_int(raw: str | None) -> int | None:
    """A whole number typed or picked by the user, or None when there is none."""
    return int(raw) if raw and raw.strip().isdigit() else None


def parse_day(raw: str | None, field: str) -> dt.date | None:
    """A date typed as YYYY-MM-DD; a wrong one is refused with the field's message."""
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError({field: _("日期格式应为 YYYY-MM-DD。")}) from None


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
