"""Opportunity identification and development applications in the REST API (F-09): the same
services and scope as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.marketing.development.services import (
    application_decide,
    application_get,
    application_submit,
    applications_visible_to,
    candidates,
    development_steps,
    prospect_create,
)
from zhengqi.marketing.models import DevelopmentApplication
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

router = Router()


class CandidateOut(Schema):
    customer_id: int
    customer_code: str
    customer_name: str
    region: str
    why: str = Field(description="线索：潜在客户（现服务运营商）或命中的发展类规则")


@router.get("/candidates", response=list[CandidateOut], summary="值得开发的客户（客户经理本人范围内）")
@paginate(Pages, page_size=100)
def candidate_list(request: AuthedRequest) -> Any:
    return [
        {
            "customer_id": c.customer.pk,
            "customer_code": c.customer.code,
            "customer_name": c.customer.name,
            "region": str(c.customer.region),
            "why": c.why,
        }
        for c in candidates(request.user)
    ]


class StepOut(Schema):
    due: dt.date
    title: str
    status: str


class ApplicationOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    applicant: str
    status: str = Field(description="submitted 待审批 / approved 已批准 / rejected 已驳回")
    needs: str
    products: list[str]
    expected_revenue: Decimal
    plan: str
    approver: str
    decided_at: dt.datetime | None
    comment: str
    previous_id: int | None
    created_at: dt.datetime
    steps: list[StepOut] = Field(description="批准后：开发计划的各步骤（客户经理的任务）")


def application_out(a: DevelopmentApplication) -> dict[str, Any]:
    return {
        "id": a.pk,
        "customer_id": a.customer_id,
        "customer_name": a.customer.name,
        "applicant": a.applicant.username,
        "status": a.status,
        "needs": a.needs,
        "products": list(a.products.values_list("code", flat=True)),
        "expected_revenue": a.expected_revenue,
        "plan": a.plan,
        "approver": a.approver.username if a.approver else "",
        "decided_at": a.decided_at,
        "comment": a.comment,
        "previous_id": a.previous_id,
        "created_at": a.created_at,
        "steps": [{"due": t.due, "title": t.title, "status": t.status} for t in development_steps(a)],
    }


@router.get("/applications", response=list[ApplicationOut], summary="开发申请（客户经理：本人的；区域经理：本区域的）")
@paginate(Pages, page_size=50)
def application_list(request: AuthedRequest, status: str = "") -> Any:
    qs = applications_visible_to(request.user)
    if status:
        qs = qs.filter(status=status)
    return Converted(qs, application_out)


class ApplicationIn(Schema):
    customer_id: int
    needs: str
    plan: str = Field(description="每行一个步骤：YYYY-MM-DD 步骤")
    products: list[str] = []
    expected_revenue: Decimal = Decimal(0)
    previous_id: int | None = Field(None, description="重新申请时：被驳回的上一次申请")


@router.post(
    "/applications",
    response={201: ApplicationOut, 403: Detail, 404: Detail, 422: Detail},
    summary="提交开发申请（客户经理）",
)
def application_new(request: AuthedRequest, body: ApplicationIn) -> Any:
    user = request.user
    customer = customer_get(user=user, pk=body.customer_id)
    previous = application_get(user=user, pk=body.previous_id) if body.previous_id else None
    application = application_submit(
        by=user,
        customer=customer,
        needs=body.needs,
        plan=body.plan,
        product_codes=body.products,
        expected_revenue=body.expected_revenue,
        previous=previous,
    )
    return Status(201, application_out(application))


@router.get("/applications/{application_id}", response={200: ApplicationOut, 404: Detail}, summary="一份开发申请")
def application(request: AuthedRequest, application_id: int) -> Any:
    return application_out(application_get(user=request.user, pk=application_id))


class DecisionIn(Schema):
    approve: bool
    comment: str = Field("", max_length=500, description="驳回时必填")


@router.post(
    "/applications/{application_id}/decision",
    response={200: ApplicationOut, 403: Detail, 404: Detail, 422: Detail},
    summary="审批开发申请（客户所在区域的区域经理）",
)
def decision(request: AuthedRequest, application_id: int, body: DecisionIn) -> Any:
    user = request.user
    found = application_get(user=user, pk=application_id)
    return application_out(application_decide(by=user, application=found, approve=body.approve, comment=body.comment))


class ProspectIn(Schema):
    name: str = Field(max_length=200)
    region: str = Field("", description="区域编码；不填为本人所属区域")
    customer_type: str = Field(description="government / institution / enterprise / other")
    industry: str = Field(description="行业代码（国民经济行业门类，A–T）")
    scale: str = Field(description="large / medium / small / micro")
    credit_code: str = ""
    competitor_operator: str = Field("", description="telecom / unicom / broadnet / other；不详则不填")
    address: str = ""


class ProspectOut(Schema):
    customer_id: int
    code: str
    name: str
    account_manager: str


@router.post(
    "/prospects", response={201: ProspectOut, 403: Detail, 422: Detail}, summary="录入潜在客户（客户经理、区域经理）"
)
def prospect_new(request: AuthedRequest, body: ProspectIn) -> Any:
    fields = body.model_dump()
    region = fields.pop("region")
    customer = prospect_create(by=request.user, region_code=region, **fields)
    return Status(
        201,
        {
            "customer_id": customer.pk,
            "code": customer.code,
            "name": customer.name,
            "account_manager": customer.account_manager.username if customer.account_manager else "",
        },
    )
