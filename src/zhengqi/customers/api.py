"""Customers in the REST API: the same filters and access rules as the customer list page."""

import datetime as dt
from decimal import Decimal

from django.http import Http404
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import paginate

from zhengqi.accounts.privacy import mask_birthday, mask_phone
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.pagination import Pages

from .models import Customer, CustomerMonth, KeyPerson
from .selectors import (
    SORTS,
    CustomerFilter,
    FieldChange,
    account_manager_get,
    customer_get,
    customer_history,
    customer_list,
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


@router.get("", response=list[CustomerOut], summary="客户列表")
@paginate(Pages, page_size=50)
def list_customers(request: AuthedRequest, filters: Query[CustomerQuery]) -> object:
    return customer_list(user=request.user, filters=CustomerFilter(**filters.dict()))


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
    roles: list[str]
    phone: str = Field(..., description="默认脱敏；用 reveal 接口查看完整号码（记入访问日志）")
    birthday: str = Field(..., description="默认只显示月份")
    closeness: int


def _person(p: KeyPerson, *, revealed: bool) -> dict[str, object]:
    return {
        "id": p.pk,
        "name": p.name,
        "title": p.title,
        "department": p.department,
        "roles": [r.role for r in p.roles.all()],
        "phone": p.phone if revealed else mask_phone(p.phone) if p.phone else "",
        "birthday": (p.birthday.isoformat() if p.birthday else "") if revealed else mask_birthday(p.birthday),
        "closeness": p.closeness,
    }


@router.get("/{int:customer_id}/key-persons", response=list[KeyPersonOut], summary="关键人（个人信息脱敏）")
def list_key_persons(request: AuthedRequest, customer_id: int) -> list[dict[str, object]]:
    customer = customer_get(user=request.user, pk=customer_id)
    return [_person(p, revealed=False) for p in customer.key_persons.prefetch_related("roles")]


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
