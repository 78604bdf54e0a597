"""Validators a user meets when entering customer data; messages are in Chinese first."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 32100-2015: 18 characters from this alphabet (no I, O, S, V, Z), the last a check digit.
CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code_check_char(first17: str) -> str:
    """The check character that GB 32100 puts after these 17 characters."""
    total = sum(CREDIT_CODE_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_CODE_WEIGHTS, strict=True))
    return CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def validate_credit_code(value: str) -> None:
    """Refuse a unified social credit code whose form or check digit is wrong."""
    code = value.strip().upper()
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，当前为 %(n)d 位。"), code="credit_code_length", params={"n": len(code)}
        )
    bad = sorted({c for c in code if c not in CREDIT_CODE_ALPHABET})
    if bad:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。"),
            code="credit_code_chars",
            params={"chars": "、".join(bad)},
        )
    if not code[2:8].isdigit():
        raise ValidationError(_("统一社会信用代码第 3–8 位应为行政区划代码（数字）。"), code="credit_code_division")
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位错误：最后一位应为 %(expected)s，而不是 %(got)s。"),
            code="credit_code_check",
            params={"expected": expected, "got": code[17]},
        )


_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")


def normalize_phone(value: str) -> str:
    """Drop spaces, a leading +86 / 0086 and the dashes between a mobile number's groups, so that
    equal numbers compare equal."""
    phone = re.sub(r"[\s()（）]", "", value)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
    phone = phone.replace("－", "-")
    if re.fullmatch(r"1\d{2}-\d{4}-\d{4}", phone):  # a mobile number written in groups: 139-1000-2000
        phone = phone.replace("-", "")
    return phone


def validate_phone(value: str) -> None:
    """Accept a mainland mobile number (11 digits from 13x–19x) or a landline with area code."""
    phone = normalize_phone(value)
    if not (_MOBILE.match(phone) or _LANDLINE.match(phone)):
        raise ValidationError(
            _("“%(value)s”不是有效的电话号码：手机号应为 1 开头的 11 位数字，固话应带区号（如 020-12345678）。"),
            code="phone",
            params={"value": value},
        )
