"""One typed schema per import kind: its columns (Chinese header and accepted aliases), how each
cell is read, which columns are required and which make the natural key.

Cells are normalised first (NFKC: full-width letters, digits and brackets become half-width;
spaces trimmed), so ``９１３１…`` and ``913１…`` read the same.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from zhengqi.accounts.models import User
from zhengqi.customers.models import INDUSTRIES, BuyingRole, Customer, Subscription
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


def money(raw: str, _: Lookups) -> Decimal:
    value = normalise(raw).replace(",", "").replace("¥", "").replace("元", "")
    try:
        amount = Decimal(value)
    except InvalidOperation as err:
        raise CellError(f"不是金额：“{raw.strip()}”。") from err
    if not amount.is_finite():
        raise CellError(f"不是金额：“{raw.strip()}”。")
    if amount < 0:
        raise CellError("金额不能为负数。")
    return amount.quantize(Decimal("0.01"))


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
    return int(number)


def quantity(raw: str, lookups: Lookups) -> float:
    value = normalise(raw).replace(",", "")
    try:
        number = float(value)
    except ValueError as err:
        raise CellError(f"不是数字：“{raw.strip()}”。") from err
    if number != number or number < 0:  # NaN or negative
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

# Staff may be imported in every role but the provincial admin's (made in the back office).
STAFF_ROLES = [(v, label) for v, label in User.Role.choices if v != User.Role.PROVINCIAL_ADMIN]
GRADES = User.Grade.choices

CUSTOMERS = Kind(
    name="customers",
    label="集团客户",
    target="web",
    key=("code",),
    description="集团客户档案；按客户编码新增或更新。",
    columns=(
        Column("code", "客户编码", code(30), required=True, aliases=("集团编码",)),
        Column("name", "客户名称", text(200), required=True, aliases=("集团名称",)),
        Column("credit_code", "统一社会信用代码", credit_code, aliases=("信用代码",)),
        Column("customer_type", "客户类型", choice(Customer.Type.choices), required=True),
        Column("industry", "行业", choice(INDUSTRIES), required=True, aliases=("行业门类",)),
        Column("scale", "规模", choice(Customer.Scale.choices), required=True),
        Column("region", "区域", region, required=True, aliases=("区域编码", "所属区域")),
        Column("address", "地址", text(255)),
        Column("status", "状态", choice(Customer.Status.choices)),
        Column("competitor_operator", "现服务运营商", choice(Customer.Operator.choices)),
        Column("parent_code", "上级客户编码", code(30), aliases=("上级单位编码",)),
        Column("account_manager", "客户经理工号", manager, aliases=("客户经理",)),
    ),
)

CUSTOMER_MONTH = Kind(
    name="customer_month",
    label="客户月度收入与用量",
    target="both",
    key=("customer_code", "month"),
    description="每个客户每月一行；按（客户编码, 月份）新增或更新，同时写入网页数据库和数据湖。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("month", "月份", month, required=True, aliases=("账期",)),
        Column("revenue_total", "总收入", money, required=True),
        Column("revenue_info", "信息化收入", money),
        Column("revenue_data", "数据业务收入", money),
        Column("revenue_line", "专线收入", money),
        Column("arrears", "欠费金额", money),
        Column("voice_minutes", "语音分钟数", count),
        Column("sms_count", "短信条数", count),
        Column("data_gb", "流量(GB)", money, aliases=("流量GB",)),
        Column("vnet_calls", "V网内通话次数", count),
        Column("complaints", "投诉次数", count),
        Column("cancellations", "业务取消数", count),
        Column("competitor_calls", "呼叫异网客服次数", count),
        Column("members_active", "在网成员数", count),
        Column("members_joined", "新入网成员", count),
        Column("members_left", "离网成员", count),
        Column("members_returned", "回归成员", count),
        Column("members_vnet", "V网成员数", count),
        Column("members_idle", "三无成员数", count),
    ),
)

MEMBER_MONTH = Kind(
    name="member_month",
    label="成员月度用量",
    target="lake",
    key=("msisdn", "month"),
    description="每个成员（手机号码）每月一行，写入数据湖；按（号码, 月份）新增或更新，每月分区原子替换。",
    columns=(
        Column("msisdn", "手机号码", msisdn, required=True, aliases=("号码", "MSISDN")),
        Column("month", "月份", month, required=True, aliases=("账期",)),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("voice_minutes", "语音分钟数", count),
        Column("sms_count", "短信条数", count),
        Column("data_mb", "流量(MB)", quantity, aliases=("流量MB",)),
        Column("vnet_calls", "V网内通话次数", count),
        Column("competitor_calls", "呼叫异网客服次数", count),
        Column("revenue", "收入", quantity, required=True),
        Column("revenue_info", "信息化收入", quantity),
    ),
)

REGIONS = Kind(
    name="regions",
    label="区域",
    target="web",
    key=("code",),
    description="省、地市、区县三级区域；按区域编码新增或改名（已有区域的上级调整在后台进行）。上级须先于下级出现或已存在。",
    columns=(
        Column("code", "区域编码", code(20), required=True),
        Column("name", "区域名称", text(50), required=True),
        Column("level", "层级", choice([("province", "省"), ("city", "地市"), ("district", "区县")]), required=True),
        Column("parent_code", "上级区域编码", code(20)),
    ),
)

STAFF = Kind(
    name="staff",
    label="员工",
    target="web",
    key=("username",),
    description="员工与客户经理（工号、角色、区域、等级）；按工号新增或更新。新账号没有密码，由管理员在后台设置；"
    "省公司管理员账号不能通过导入创建。",
    columns=(
        Column("username", "工号", username, required=True, aliases=("用户名",)),
        Column("display_name", "姓名", text(50), required=True),
        Column("role", "角色", choice([(v, str(label)) for v, label in STAFF_ROLES]), required=True),
        Column("region", "区域", region, required=True, aliases=("区域编码", "所属区域")),
        Column("grade", "客户经理等级", choice([(str(v), str(label)) for v, label in GRADES]), aliases=("等级",)),
        Column("phone", "手机", phone),
        Column("is_active", "在职", boolean),
    ),
)

PRODUCTS = Kind(
    name="products",
    label="集团产品",
    target="web",
    key=("code",),
    description="产品目录；按产品编码新增或更新。",
    columns=(
        Column("code", "产品编码", code(30), required=True),
        Column("name", "产品名称", text(100), required=True),
        Column("category", "类别", text(50), required=True),
        Column("complexity", "复杂度", choice([("high", "高"), ("low", "低")]), required=True),
        Column("is_informatization", "信息化产品", boolean),
        Column("list_price", "标准月费", money),
    ),
)

KEY_PERSONS = Kind(
    name="key_persons",
    label="关键人",
    target="web",
    key=("customer_code", "name"),
    description="客户的关键人；按（客户编码, 姓名）新增或更新。购买角色可填多个，用“、”或“;”分隔。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("name", "姓名", text(50), required=True),
        Column("title", "职务", text(100)),
        Column("department", "部门", text(100)),
        Column("phone", "电话", phone, aliases=("手机",)),
        Column("birthday", "生日", past_date),
        Column("closeness", "关系亲密度", closeness, aliases=("亲密度",)),
        Column("roles", "购买角色", buying_roles),
    ),
)

SUBSCRIPTIONS = Kind(
    name="subscriptions",
    label="产品订购",
    target="web",
    key=("customer_code", "product_code", "start"),
    description="客户订购的产品；按（客户编码, 产品编码, 开通日期）新增或更新。",
    columns=(
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("product_code", "产品编码", existing_product, required=True),
        Column("start", "开通日期", date, required=True),
        Column("end", "结束日期", date),
        Column("monthly_fee", "月费", money, required=True),
        Column("status", "状态", choice(Subscription.Status.choices)),
    ),
)

CONTRACTS = Kind(
    name="contracts",
    label="协议",
    target="web",
    key=("number",),
    description="与客户签订的协议；按协议编号新增或更新。协议产品可填多个产品编码，用“;”分隔。",
    columns=(
        Column("number", "协议编号", code(50), required=True),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("start", "生效日期", date, required=True),
        Column("end", "到期日期", date, required=True),
        Column("amount", "协议金额", money, required=True),
        Column("auto_renew", "自动续约", boolean),
        Column("products", "协议产品", product_list),
    ),
)

MEMBERS = Kind(
    name="members",
    label="集团成员",
    target="lake",
    key=("msisdn",),
    description="集团成员（手机号码）及其入网、离网、回归月份，写入数据湖；按号码新增或更新，整表原子替换。",
    columns=(
        Column("msisdn", "手机号码", msisdn, required=True, aliases=("号码", "MSISDN")),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column("join_month", "入网月份", month, required=True),
        Column("leave_month", "离网月份", month),
        Column("return_month", "回归月份", month),
        Column("end_month", "再次离网月份", month),
        Column("in_vnet", "V网成员", boolean, aliases=("是否V网",)),
    ),
)

TICKETS = Kind(
    name="tickets",
    label="投诉与服务工单",
    target="web",
    key=("ticket",),
    description="运营商投诉（客服）系统导出的工单，每个工单一行；按工单号新增或更新。客户经理在本系统受理时填了同一工单号的请求"
    "不会重复生成，只更新其处理结果，月度运行的投诉数因此不会重复计算。填了“是否满意”的工单视为已回访关闭。",
    columns=(
        Column("ticket", "工单号", code(40), required=True, aliases=("投诉单号", "工单编号")),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column(
            "request_type",
            "类型",
            choice(
                [
                    ("fault", "故障"),
                    ("billing", "计费"),
                    ("delivery", "交付"),
                    ("change", "变更"),
                    ("complaint", "投诉"),
                ]
            ),
            aliases=("工单类型",),
        ),
        Column("created", "受理日期", past_date, required=True, aliases=("受理时间", "投诉日期")),
        Column("title", "内容", text(200), required=True, aliases=("投诉内容", "标题")),
        Column("resolved", "办结日期", past_date, aliases=("办结时间",)),
        Column("resolution", "处理结果", text(2000)),
        Column("satisfied", "是否满意", boolean, aliases=("客户满意",)),
    ),
)

KINDS = {
    k.name: k
    for k in (
        REGIONS,
        STAFF,
        CUSTOMERS,
        PRODUCTS,
        KEY_PERSONS,
        SUBSCRIPTIONS,
        CONTRACTS,
        CUSTOMER_MONTH,
        MEMBERS,
        MEMBER_MONTH,
        TICKETS,
    )
}


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


def parse_row(
    kind: Kind, positions: dict[str, int], line: int, cells: list[str], lookups: Lookups
) -> ParsedRow | Problem:
    values: dict[str, Any] = {}
    for column in kind.columns:
        index = positions.get(column.key)
        if index is None:
            continue
        raw = cells[index] if index < len(cells) else ""
        if not raw.strip():
            if column.required:
                return Problem(line, column.label, "", f"缺少必填列“{column.label}”的值。")
            continue
        try:
            values[column.key] = column.parse(raw, lookups)
        except CellError as err:
            return Problem(line, column.label, raw.strip()[:200], str(err))
    return ParsedRow(line, values)


def as_markdown() -> str:
    """The column tables of docs/imports.md (a test keeps the page equal to this)."""
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
