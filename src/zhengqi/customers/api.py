"""Customers in the REST API: the same filters and access rules as the customer list page."""

import datetime as dt
from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, FilterSchema, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from .models import Customer
from .selectors import SORTS, CustomerFilter, customer_get, customer_list, customer_revenue_trend

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
@paginate(PageNumberPagination, page_size=50)
def list_customers(request: HttpRequest, filters: Query[CustomerQuery]) -> object:
    return customer_list(user=request.user, filters=CustomerFilter(**filters.dict()))  # type: ignore[arg-type]


@router.get(
    "/{customer_id}", response=CustomerDetailOut, summary="客户详情", description="无权查看或不存在的客户一律返回 404。"
)
def get_customer(request: HttpRequest, customer_id: int) -> Customer:
    customer = customer_get(user=request.user, pk=customer_id)  # type: ignore[arg-type]
    customer.revenue_trend = customer_revenue_trend(customer=customer)  # type: ignore[attr-defined]
    return customer
