"""Masking of personal data (PIPL: minimal access). Unmasking is for the roles that need it and is
logged (django-auditlog access entries, see zhengqi.customers.services.key_persons_reveal)."""

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


def may_reveal_personal_data(user: object) -> bool:
    """Who may unmask key persons' phones and birthdays (each time logged): the people who call
    them — account managers (for their own customers, which is all they can open) and regional
    managers. Planners, partners, departments and the back office work with masked data."""
    from .models import User

    return (
        isinstance(user, User)
        and user.is_active
        and user.role in (User.Role.ACCOUNT_MANAGER, User.Role.REGIONAL_MANAGER)
    )
