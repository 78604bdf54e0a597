"""Masking of personal data (PIPL: minimal access). Reveal-with-audit arrives with the audit log."""

from __future__ import annotations

import datetime as dt


def mask_phone(phone: str) -> str:
    """138****5678 for a mobile; keeps the area code and the last 4 digits of a landline."""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_birthday(birthday: dt.date | None) -> str:
    """Only the month is shown: enough for birthday care, not enough to identify."""
    return f"{birthday.month}月" if birthday else ""
