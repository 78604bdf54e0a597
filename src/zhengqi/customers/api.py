"""Customers in the REST API: the same filters and access rules as the customer list page."""

import datetime as dt
from decimal import Decimal

from django.http import Http404
from ninja import Field, FilterSchema, Query, Router, Schema, Status

from zhengqi.accounts.privacy import mask_birthday, mask_phone
from zhengqi.accounts.requests import AuthedRequest

from .key_persons import (
    key_person_create,
    key_person_get,
    key_person_retire,
    key_person_update,
    key_persons_of,
)
from .lifecycle import customer_mark_lost, customer_reactivate
from .models import Customer, CustomerMonth, KeyPerson
from .selectors import (
    SORTS,
    FieldChange,
    account_manager_get,
    customer_get,
    customer_history,
    customer_revenue_trend,
    duplicate_candidates,
    next_products,
)
from .services import customers_bulk_assign, customers_merge, key_persons_reveal

router = Router()


class RegionOut(Schema):
    code: str
    name: str


class CustomerOut(Schema):
    id: int
    code: str
    name: str
    credit_code: str | None
    customer_type: str
    industry: str
    scale: str
    status: str
    tier: str
    value_score: Decimal | None
    region: RegionOut
    account_manager_id: int | None
    account_manager_name: str | None = Field(None, alias="account_manager.display_name")
    parent_id: int | None


class MonthOut(Schema):
    month: dt.date
    revenue_total: Decimal
    revenue_info: Decimal
    members_active: int


class CustomerDetailOut(CustomerOut):
    address: str
    competitor_operator: str
    lost_on: dt.date | None
    lost_reason: str
    source: str = Field(..., description="import / manual / competitor / registration / opportunity / demo")
    revenue_trend: list[MonthOut]

    @staticmethod
    def resolve_revenue_trend(obj: Customer) -> list[CustomerMonth]:
        return customer_revenue_trend(customer=obj)


class CustomerQuery(FilterSchema):
    q: str = Field("", description="名称关键字、统一社会信用代码或客户编码")
    region: str = Field("", description="区域编码（含其下级区域）")
    tier: str = Field("", description="价值等级：A+ / A / B / C")
    industry: str = Field("", description="行业门类（GB/T 4754）：A–T")
    customer_type: str = Field("", description="government / institution / enterprise / other")
    status: str = Field("", description="prospect / active / churned")
    account_manager: int | None = Field(None, description="客户经理 id")
    sort: str = Field("code", description="排序：" + ", ".join(SORTS))


@router.get(
    "/{int:customer_id}",
    response=CustomerDetailOut,
    summary="客户详情",
    description="无权查看或不存在的客户一律返回 404。",
)
def get_customer(request: AuthedRequest, customer_id: int) -> Customer:
    return customer_get(user=request.user, pk=customer_id)


class KeyPersonOut(Schema):
    id: int
    name: str
    title: str
    department: str
    roles: list[str] = Field(..., description="购买角色：user / influencer / decider / approver / buyer / gatekeeper")
    phone: str = Field(..., description="默认脱敏；用 reveal 接口查看完整号码（记入访问日志）")
    office_phone: str = Field(..., description="默认脱敏")
    birthday: str = Field(..., description="默认只显示月份")
    closeness: int
    preferred_channel: str
    active: bool = Field(..., description="false：已离职")
    left_on: dt.date | None
    left_reason: str
    last_contact: dt.date | None = Field(..., description="最近一次接触记录的日期")
    source: str = Field(..., description="来源：导入批次、录入人、时间")
    version: int = Field(..., description="修改时带上，防止覆盖他人的修改")


def _person(p: KeyPerson, *, revealed: bool) -> dict[str, object]:
    def phone(value: str) -> str:
        return value if revealed else mask_phone(value) if value else ""

    return {
        "id": p.pk,
        "name": p.name,
        "title": p.title,
        "department": p.department,
        "roles": [r.role for r in p.roles.all()],
        "phone": phone(p.phone),
        "office_phone": phone(p.office_phone),
        "birthday": (p.birthday.isoformat() if p.birthday else "") if revealed else mask_birthday(p.birthday),
        "closeness": p.closeness,
        "preferred_channel": p.preferred_channel,
        "active": p.left_on is None,
        "left_on": p.left_on,
        "left_reason": p.left_reason,
        "last_contact": getattr(p, "last_contact", None),
        "source": p.source_text(),
        "version": p.version,
    }


@router.get("/{int:customer_id}/key-persons", response=list[KeyPersonOut], summary="关键人（个人信息脱敏）")
def list_key_persons(request: AuthedRequest, customer_id: int) -> list[dict[str, object]]:
    customer = customer_get(user=request.user, pk=customer_id)
    return [_person(p, revealed=False) for p in key_persons_of(customer)]


class KeyPersonIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    title: str = Field("", max_length=100)
    department: str = Field("", max_length=100)
    roles: list[str] = Field(default_factory=list, max_length=6)
    phone: str = Field("", max_length=30)
    office_phone: str = Field("", max_length=30)
    birthday: dt.date | None = None
    closeness: int = Field(3, ge=1, le=5)
    preferred_channel: str = Field("", max_length=10, description="mobile / office / wechat / email / visit")
    notes: str = Field("", max_length=2000)


class KeyPersonPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=50)
    title: str | None = Field(None, max_length=100)
    department: str | None = Field(None, max_length=100)
    roles: list[str] | None = Field(None, max_length=6)
    phone: str | None = Field(None, max_length=30)
    office_phone: str | None = Field(None, max_length=30)
    birthday: dt.date | None = None
    closeness: int | None = Field(None, ge=1, le=5)
    preferred_channel: str | None = Field(None, max_length=10)
    notes: str | None = Field(None, max_length=2000)
    version: int | None = Field(None, description="读取时的版本；他人已修改则返回 409")


class RetireQuery(Schema):
    reason: str = Field(..., min_length=1, max_length=200, description="离职说明")
    left_on: dt.date | None = Field(None, description="离职日期，默认今天")


def _one_person(user: object, person: KeyPerson) -> dict[str, object]:
    fresh = key_persons_of(person.customer).get(pk=person.pk)
    return _person(fresh, revealed=False)


@router.post(
    "/{int:customer_id}/key-persons",
    response={201: KeyPersonOut},
    summary="添加关键人",
    description="客户的客户经理、区域经理或省公司管理员。同一手机号或无法区分的同名人员不能重复添加。",
)
def create_key_person(request: AuthedRequest, customer_id: int, data: KeyPersonIn) -> Status:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    fields = data.dict()
    roles = fields.pop("roles")
    person = key_person_create(customer=customer, by=user, roles=roles, **fields)
    return Status(201, _one_person(user, person))


@router.patch(
    "/{int:customer_id}/key-persons/{int:key_person_id}",
    response=KeyPersonOut,
    summary="修改关键人",
    description="只改给出的字段；带上 version 时，他人已修改则返回 409，不保存。",
)
def update_key_person(
    request: AuthedRequest, customer_id: int, key_person_id: int, data: KeyPersonPatch
) -> dict[str, object]:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    person = key_person_get(user=user, customer=customer, pk=key_person_id)
    fields = data.dict(exclude_unset=True)
    version = fields.pop("version", None)
    roles = fields.pop("roles", None)
    updated = key_person_update(person=person, by=user, roles=roles, version=version, **fields)
    return _one_person(user, updated)


@router.delete(
    "/{int:customer_id}/key-persons/{int:key_person_id}",
    response=KeyPersonOut,
    summary="关键人离职",
    description="不删除记录（接触记录仍引用它），只标记离职日期和说明；离职者不再覆盖购买角色。",
)
def retire_key_person(
    request: AuthedRequest,
    customer_id: int,
    key_person_id: int,
    leaving: Query[RetireQuery],
) -> dict[str, object]:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    person = key_person_get(user=user, customer=customer, pk=key_person_id)
    retired = key_person_retire(person=person, by=user, reason=leaving.reason, on=leaving.left_on)
    return _one_person(user, retired)


@router.post(
    "/{int:customer_id}/key-persons/reveal",
    response=list[KeyPersonOut],
    summary="查看关键人完整联系方式",
    description="仅客户经理与区域经理；每次查看记入访问日志。",
)
def reveal_key_persons(request: AuthedRequest, customer_id: int) -> list[dict[str, object]]:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    return [_person(p, revealed=True) for p in key_persons_reveal(customer=customer, by=user)]


class LostIn(Schema):
    reason: str = Field(..., max_length=200, description="离网原因")
    on: dt.date | None = Field(None, description="离网日期，默认今天")


class ReactivateIn(Schema):
    reason: str = Field(..., max_length=200, description="重新激活的原因")


@router.post(
    "/{int:customer_id}/lost",
    response=CustomerDetailOut,
    summary="标记客户离网",
    description="记录离网日期与原因（流失模型的标签来源）；只有在网客户可以标记。",
)
def mark_lost(request: AuthedRequest, customer_id: int, data: LostIn) -> Customer:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    customer_mark_lost(customer=customer, by=user, reason=data.reason, on=data.on)
    return customer_get(user=user, pk=customer_id)


@router.post("/{int:customer_id}/reactivate", response=CustomerDetailOut, summary="离网客户重新激活")
def reactivate(request: AuthedRequest, customer_id: int, data: ReactivateIn) -> Customer:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    customer_reactivate(customer=customer, by=user, reason=data.reason)
    return customer_get(user=user, pk=customer_id)


class ChangeOut(Schema):
    at: dt.datetime
    actor: str
    subject: str
    field: str
    old: str
    new: str


@router.get("/{int:customer_id}/history", response=list[ChangeOut], summary="资料变更记录（字段级）")
def get_history(request: AuthedRequest, customer_id: int) -> list[FieldChange]:
    return customer_history(customer_get(user=request.user, pk=customer_id))


class SuggestionOut(Schema):
    product_code: str = Field(..., alias="product.code")
    product_name: str = Field(..., alias="product.name")
    penetration: float = Field(..., description="同行业同规模在网客户中订购该产品的比例")
    peers: int


@router.get("/{int:customer_id}/next-products", response=list[SuggestionOut], summary="建议推荐的产品")
def get_next_products(request: AuthedRequest, customer_id: int) -> object:
    return next_products(customer_get(user=request.user, pk=customer_id))


class ReassignIn(Schema):
    customer_ids: list[int] = Field(..., min_length=1)
    to_manager_id: int
    reason: str = Field("", max_length=200)


@router.post(
    "/reassign",
    summary="调整客户经理（单个或批量）",
    description="全部成功才生效；任何一个客户不符合任职资格等要求，则一个也不调整，并列出原因。",
)
def reassign(request: AuthedRequest, data: ReassignIn) -> dict[str, int]:
    user = request.user
    to = account_manager_get(data.to_manager_id)
    if to is None:
        raise Http404("客户经理不存在。")
    moved = customers_bulk_assign(customer_ids=data.customer_ids, to_manager=to, by=user, reason=data.reason)
    return {"moved": moved}


class DuplicateGroupOut(Schema):
    key: str = Field(..., description="规范化后的名称")
    customers: list[CustomerOut]


@router.get("/duplicates", response=list[DuplicateGroupOut], summary="疑似重复的客户（省公司管理员）")
def list_duplicates(request: AuthedRequest) -> object:
    return duplicate_candidates()


class MergeIn(Schema):
    survivor_id: int
    duplicate_id: int


class MergeOut(Schema):
    survivor_id: int
    duplicate_code: str
    duplicate_name: str
    moved: dict[str, int]


@router.post("/merge", response=MergeOut, summary="合并两个重复的客户（省公司管理员）")
def merge(request: AuthedRequest, data: MergeIn) -> object:
    user = request.user
    survivor = customer_get(user=user, pk=data.survivor_id)
    duplicate = customer_get(user=user, pk=data.duplicate_id)
    return customers_merge(survivor=survivor, duplicate=duplicate, by=user)
