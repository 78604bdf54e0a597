"""Agreements in the REST API (/api/contracts): the same services and access rules as the customer
page's agreement forms."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.pagination import Pages

from .contracts import (
    contract_attach_file,
    contract_create,
    contract_file_open,
    contract_get,
    contract_renew,
    contract_terminate,
    contracts_visible_to,
    products_by_code,
)
from .models import Contract
from .selectors import customer_get

router = Router()


class ContractOut(Schema):
    id: int
    customer_id: int
    customer_name: str = Field(..., alias="customer.name")
    number: str
    start: dt.date
    end: dt.date
    amount: Decimal
    product_codes: list[str]
    auto_renew: bool
    status: str = Field(..., description="in_force / renewed / terminated")
    status_label: str
    replaces_id: int | None = Field(..., description="续签时：它替代的协议")
    replaces_number: str | None
    terminated_on: dt.date | None
    termination_reason: str
    days_left: int = Field(..., description="距到期（或终止）日的天数，已过为负")
    signed_file: bool = Field(..., description="是否已上传签署文本")
    source: str

    @staticmethod
    def resolve_product_codes(obj: Contract) -> list[str]:
        return sorted(p.code for p in obj.products.all())

    @staticmethod
    def resolve_status_label(obj: Contract) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_replaces_number(obj: Contract) -> str | None:
        return obj.replaces.number if obj.replaces else None

    @staticmethod
    def resolve_days_left(obj: Contract) -> int:
        return obj.days_left()

    @staticmethod
    def resolve_signed_file(obj: Contract) -> bool:
        return bool(obj.signed_file)

    @staticmethod
    def resolve_source(obj: Contract) -> str:
        return obj.source_text()


class ContractQuery(Schema):
    customer_id: int | None = Field(None, description="只看该客户的协议")
    status: str = Field("", description="in_force / renewed / terminated")


class ContractTerms(Schema):
    number: str = Field(..., min_length=1, max_length=50)
    start: dt.date
    end: dt.date
    amount: Decimal = Field(..., ge=0, max_digits=14, decimal_places=2)
    product_codes: list[str] = Field(default_factory=list, max_length=100)
    auto_renew: bool = False


class ContractIn(ContractTerms):
    customer_id: int


class TerminateIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)
    on: dt.date | None = Field(None, description="终止日期，默认今天")


def _terms(data: ContractTerms) -> dict[str, Any]:
    return data.dict(exclude={"product_codes", "customer_id"})


@router.get("", response=list[ContractOut], summary="协议列表")
@paginate(Pages, page_size=50)
def list_contracts(request: AuthedRequest, filters: Query[ContractQuery]) -> QuerySet[Contract]:
    qs = contracts_visible_to(request.user).order_by("end", "pk")
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return qs


@router.post(
    "",
    response={201: ContractOut},
    summary="录入新协议",
    description="客户的客户经理、区域经理或省公司管理员；签署文本用 /api/contracts/{id}/file 上传。",
)
def create_contract(request: AuthedRequest, data: ContractIn) -> Status:
    user = request.user
    customer = customer_get(user=user, pk=data.customer_id)
    contract = contract_create(
        customer=customer, by=user, products=products_by_code(data.product_codes), **_terms(data)
    )
    return Status(201, contract_get(user=user, pk=contract.pk))


@router.get("/{int:contract_id}", response=ContractOut, summary="协议详情")
def get_contract(request: AuthedRequest, contract_id: int) -> Contract:
    return contract_get(user=request.user, pk=contract_id)


@router.post(
    "/{int:contract_id}/renew",
    response={201: ContractOut},
    summary="续签协议",
    description="新协议替代原协议：原协议标记为已续签，其“协议即将到期”预警与相应任务关闭。不带产品则沿用原协议的产品。",
)
def renew_contract(request: AuthedRequest, contract_id: int, data: ContractTerms) -> Status:
    user = request.user
    contract = contract_get(user=user, pk=contract_id)
    products = products_by_code(data.product_codes) if data.product_codes else None
    renewal = contract_renew(contract=contract, by=user, products=products, **_terms(data))
    return Status(201, contract_get(user=user, pk=renewal.pk))


@router.post("/{int:contract_id}/terminate", response=ContractOut, summary="提前终止协议")
def terminate_contract(request: AuthedRequest, contract_id: int, data: TerminateIn) -> Contract:
    user = request.user
    contract = contract_get(user=user, pk=contract_id)
    contract_terminate(contract=contract, by=user, reason=data.reason, on=data.on)
    return contract_get(user=user, pk=contract_id)


@router.post(
    "/{int:contract_id}/file",
    response=ContractOut,
    summary="上传签署文本",
    description="PDF 或 JPG/PNG 照片，大小不超过 ZHENGQI_UPLOAD_MAX_MB（默认 10 MB）。",
)
def upload_contract_file(request: AuthedRequest, contract_id: int, file: File[UploadedFile]) -> Contract:
    user = request.user
    contract = contract_get(user=user, pk=contract_id)
    contract_attach_file(contract=contract, by=user, upload=file)
    return contract_get(user=user, pk=contract_id)


@router.get(
    "/{int:contract_id}/file",
    response={200: None},
    summary="下载签署文本",
    description="仅限可查看该客户的用户；每次下载记入访问日志。",
)
def download_contract_file(request: AuthedRequest, contract_id: int) -> FileResponse:
    user = request.user
    contract = contract_get(user=user, pk=contract_id)
    handle, name = contract_file_open(contract=contract, by=user)
    return FileResponse(handle, as_attachment=True, filename=name)
