"""How an import kind is described and read: columns (Chinese header and accepted aliases), how
each cell is parsed, which columns are required and which make the natural key. Each kind's own
columns, with its writer, are in ``kinds/<kind>.py``.

Cells are normalised first (NFKC: full-width letters, digits and brackets become half-width;
spaces trimmed), so ``９１３１…`` and ``913１…`` read the same.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from zhengqi.customers.validators import normalize_phone, validate_credit_code, validate_phone
from zhengqi.engine.months import Month, MonthError


class CellError(Exception):
    """A cell that cannot be read; the message is the reason shown to the user."""


@dataclass
class Lookups:
    """What parsers need from the database, loaded once per import."""

    regions: dict[str, int] = field(default_factory=dict)  # code or name → id
    customers: set[str] = field(default_factory=set)  # customer codes that exist
    managers: dict[str, int] = field(default_factory=dict)  # username → id
    products: dict[str, int] = field(default_factory=dict)  # product code → id


Parser = Callable[[str, Lookups], Any]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    parse: Parser
    required: bool = False
    aliases: tuple[str, ...] = ()

    def names(self) -> tuple[str, ...]:
        return (self.label, self.key, *self.aliases)


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    target: str  # "web", "lake" or "both"
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


def normalise(raw: str) -> str:
    return unicodedata.normalize("NFKC", raw).strip()


# --- parsers ----------------------------------------------------------------------------------


def text(max_length: int) -> Parser:
    def parse(raw: str, _: Lookups) -> str:
        value = re.sub(r"\s+", " ", raw.strip())
        if len(value) > max_length:
            raise CellError(f"超过 {max_length} 个字符（{len(value)} 个）。")
        return value

    return parse


def code(max_length: int) -> Parser:
    def parse(raw: str, _: Lookups) -> str:
        value = normalise(raw).upper()
        if len(value) > max_length or not re.fullmatch(r"[A-Z0-9_\-./]+", value):
            raise CellError(f"编码只能由字母、数字和 - _ . / 组成，且不超过 {max_length} 位。")
        return value

    return parse


def choice(choices: list[tuple[str, Any]]) -> Parser:
    """Accept the stored value or its Chinese label."""
    by_label = {str(label): value for value, label in choices}
    values = {value for value, _label in choices}

    def parse(raw: str, _: Lookups) -> str:
        value = normalise(raw)
        if value in values:
            return value
        if value.lower() in values:
            return value.lower()
        if value in by_label:
            return by_label[value]
        raise CellError("不是允许的取值，可填：" + "、".join(str(label) for _v, label in choices) + "。")

    return parse


def credit_code(raw: str, _: Lookups) -> str:
    value = normalise(raw).upper()
    try:
        validate_credit_code(value)
    except ValidationError as err:
        raise CellError(" ".join(err.messages)) from err
    return value


def region(raw: str, lookups: Lookups) -> int:
    value = normalise(raw)
    found = lookups.regions.get(value) or lookups.regions.get(value.upper())
    if found is None:
        raise CellError(f"未知的区域“{value}”：请填写系统中已有的区域编码或名称。")
    return found


def existing_customer(raw: str, lookups: Lookups) -> str:
    value = normalise(raw).upper()
    if value not in lookups.customers:
        raise CellError(f"客户编码“{value}”不存在：请先导入客户。")
    return value


def manager(raw: str, lookups: Lookups) -> int:
    value = normalise(raw)
    if value not in lookups.managers:
        raise CellError(f"未知的客户经理工号“{value}”。")
    return lookups.managers[value]


def month(raw: str, _: Lookups) -> dt.date:
    """2026-10, 2026/10, 202610, 2026年10月, or a date in that month (2026-10-01)."""
    value = normalise(raw)
    try:
        return Month.parse(value).first
    except MonthError:
        pass
    raise CellError(f"日期格式无法识别：“{value}”，应为 YYYY-MM（如 2026-10）。")


def date(raw: str, _: Lookups) -> dt.date:
    value = normalise(raw).replace("/", "-").replace(".", "-")
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError as err:
        raise CellError(f"日期格式无法识别：“{raw.strip()}”，应为 YYYY-MM-DD。") from err


MONEY_BOUND = Decimal("1e12")  # customers.models.money_field: 14 digits, 2 of them decimals
COUNT_MAX = 2_147_483_647  # the largest a count column (PositiveIntegerField) holds everywhere


def money(raw: str, _: Lookups) -> Decimal:
    """An amount in yuan ("1,200", "¥1200", "1200元", full-width), under what the column holds.
    (Not web.forms.parse_amount: these checks run on Spark's executors, where Django is not set up.)"""
    value = normalise(raw).replace(",", "").replace("¥", "").replace("元", "")
    try:
        amount = Decimal(value)
    except InvalidOperation as err:
        raise CellError(f"不是金额：“{raw.strip()}”。") from err
    if not amount.is_finite():
        raise CellError(f"不是金额：“{raw.strip()}”。")
    if amount < 0:
        raise CellError("金额不能为负数。")
    if amount < MONEY_BOUND:  # rounded only then (a huge one cannot be), and checked again after
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount >= MONEY_BOUND:
        raise CellError(f"金额过大：“{raw.strip()[:20]}”（应小于 1 万亿元）。")
    return abs(amount)  # "-0" is 0


def count(raw: str, _: Lookups) -> int:
    value = normalise(raw).replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation as err:
        raise CellError(f"不是整数：“{raw.strip()}”。") from err
    if not number.is_finite() or number != number.to_integral_value():
        raise CellError(f"不是整数：“{raw.strip()}”。")
    if number < 0:
        raise CellError("不能为负数。")
    if number > COUNT_MAX:
        raise CellError(f"数值过大：“{raw.strip()[:20]}”（最大 {COUNT_MAX:,}）。")
    return int(number)


def quantity(raw: str, lookups: Lookups) -> float:
    value = normalise(raw).replace(",", "")
    try:
        number = float(value)
    except ValueError as err:
        raise CellError(f"不是数字：“{raw.strip()}”。") from err
    if not math.isfinite(number):  # NaN, or beyond a float ("1e400" is inf)
        raise CellError(f"不是数字：“{raw.strip()[:20]}”。")
    if number < 0:
        raise CellError("不能为负数。")
    return number


def msisdn(raw: str, _: Lookups) -> int:
    value = re.sub(r"[\s-]", "", normalise(raw))
    value = value.removeprefix("+86").removeprefix("0086")
    if not re.fullmatch(r"1[3-9]\d{9}", value):
        raise CellError(f"不是 11 位手机号码：“{raw.strip()}”。")
    return int(value)


def existing_product(raw: str, lookups: Lookups) -> str:
    value = normalise(raw).upper()
    if value not in lookups.products:
        raise CellError(f"产品编码“{value}”不存在：请先导入产品。")
    return value


def product_list(raw: str, lookups: Lookups) -> list[str]:
    codes = [c for c in re.split(r"[;；,，、\s]+", normalise(raw).upper()) if c]
    unknown = [c for c in codes if c not in lookups.products]
    if unknown:
        raise CellError("产品编码不存在：" + "、".join(unknown) + "。")
    return codes


def phone(raw: str, _: Lookups) -> str:
    value = normalize_phone(normalise(raw))
    try:
        validate_phone(value)
    except ValidationError as err:
        raise CellError(" ".join(err.messages)) from err
    return value


def past_date(raw: str, lookups: Lookups) -> dt.date:
    value = date(raw, lookups)
    if value > dt.date.today():
        raise CellError("日期不能晚于今天。")
    return value


def closeness(raw: str, lookups: Lookups) -> int:
    value = count(raw, lookups)
    if not 1 <= value <= 5:
        raise CellError("应为 1 到 5 的整数。")
    return value


def buying_roles(raw: str, _: Lookups) -> list[str]:
    from zhengqi.customers.models import BuyingRole  # the row checks import no models (Spark's executors)

    parse = choice(BuyingRole.choices)
    return [parse(part, _) for part in re.split(r"[;；,，、/\s]+", normalise(raw)) if part]


def username(raw: str, _: Lookups) -> str:
    """As Django's logins are: letters, digits and @ . + - _, case kept."""
    value = normalise(raw)
    if not re.fullmatch(r"[\w.@+-]{1,150}", value):
        raise CellError("工号只能由字母、数字和 @ . + - _ 组成。")
    return value


def boolean(raw: str, _: Lookups) -> bool:
    value = normalise(raw).lower()
    if value in ("1", "是", "y", "yes", "true", "t"):
        return True
    if value in ("0", "否", "n", "no", "false", "f", ""):
        return False
    raise CellError("应为 是/否。")


# --- the kinds --------------------------------------------------------------------------------


@dataclass
class ParsedRow:
    line: int
    values: dict[str, Any]


@dataclass
class Problem:
    line: int
    column: str
    value: str
    reason: str
    cells: list[str] | None = None  # the row as it stands in the file, for the rejected-rows report


def map_header(kind: Kind, header: list[str]) -> dict[str, int]:
    """Column key → position in the file. A required column missing from the header refuses the
    whole file (raised as FileRefused by the caller)."""
    positions: dict[str, int] = {}
    lowered = [h.strip().lower() for h in header]
    for column in kind.columns:
        for name in column.names():
            if name.lower() in lowered:
                positions[column.key] = lowered.index(name.lower())
                break
    return positions


def missing_required(kind: Kind, positions: dict[str, int]) -> list[str]:
    """The labels of the required columns a header lacks (the whole source is then refused)."""
    return [c.label for c in kind.columns if c.required and c.key not in positions]


# Characters no export means to hold: NUL and the other C0 controls but tab and line breaks.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def parse_row(
    kind: Kind, positions: dict[str, int], line: int, cells: list[str], lookups: Lookups
) -> ParsedRow | list[Problem]:
    """The row's values, or every reason it is refused (one per column at fault)."""
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for column in kind.columns:
        index = positions.get(column.key)
        if index is None:
            continue
        raw = cells[index] if index < len(cells) else ""
        if not raw.strip():
            if column.required:
                problems.append(Problem(line, column.label, "", f"缺少必填列“{column.label}”的值。", cells))
            continue
        if CONTROL.search(raw):
            shown = CONTROL.sub("�", raw.strip())[:200]
            problems.append(
                Problem(
                    line, column.label, shown, "含有不可见的控制字符（如 NUL），请在源系统中清理后重新导入。", cells
                )
            )
            continue
        try:
            values[column.key] = column.parse(raw, lookups)
        except CellError as err:
            problems.append(Problem(line, column.label, raw.strip()[:200], str(err), cells))
    return problems or ParsedRow(line, values)


def as_markdown() -> str:
    """The column tables of docs/imports.md (a test keeps the page equal to this)."""
    from .kinds import KINDS  # the kinds are built from this module's parsers

    parts: list[str] = []
    for kind in KINDS.values():
        key = "、".join(kind.column(k).label for k in kind.key)
        parts.append(f"### `{kind.name}` — {kind.label}\n\n{kind.description}自然键：{key}。\n")
        parts.append("| 列名 | 英文列名 | 必填 | 也接受的列名 |\n| --- | --- | --- | --- |")
        for c in kind.columns:
            aliases = "、".join(c.aliases) or "—"
            parts.append(f"| {c.label} | `{c.key}` | {'是' if c.required else ''} | {aliases} |")
        parts.append(f"\n样例：[`samples/{kind.name}.csv`](samples/{kind.name}.csv)\n")
    return "\n".join(parts)
