"""Service requests and surveys in the REST API (F-25, F-27): the same services and scope as the
pages. A department user reads and resolves its queue here; staff accept, follow up and record
surveys."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.web.api_errors import Detail
from zhengqi.web.forms import MONTH_PATTERN
from zhengqi.web.pagination import Pages

from .assessment import assessment, department_by_code, target_set
from .models import ServiceRequest, Survey
from .requests import (
    RequestInput,
    customer_for_request,
    may_accept,
    request_close,
    request_create,
    request_get,
    request_reopen,
    request_resolve,
    request_transfer,
    requests_visible_to,
    supervise,
)
from .surveys import SurveyInput, survey_record, surveys_visible_to

router = Router()

TypeName = Literal["fault", "billing", "delivery", "change", "complaint"]
OperatorName = Literal["telecom", "unicom", "broadnet", "other"]


class ServiceRequestOut(Schema):
    id: int
    number: str
    customer_id: int
    customer_name: str
    request_type: str = Field(description="fault 故障 / billing 计费 / delivery 交付 / change 变更 / complaint 投诉")
    priority: str
    title: str
    description: str
    department: str
    status: str = Field(description="open 处理中 / resolved 已处理待回访 / closed 已关闭")
    created_at: dt.datetime
    due_at: dt.datetime
    tier: str = Field(description="受理当天生效的服务等级（分层服务）：它决定处理时限与升级时点")
    escalate_at: dt.datetime | None = Field(description="未办结时升级给部门负责人的时点")
    overdue: bool
    escalated_at: dt.datetime | None
    resolution: str
    resolved_at: dt.datetime | None
    satisfied: bool | None
    feedback: str
    external_ref: str | None
    source: str


def request_out(r: ServiceRequest) -> dict[str, Any]:
    return {
        "id": r.pk,
        "number": r.number,
        "customer_id": r.customer_id,
        "customer_name": r.customer.name,
        "request_type": r.request_type,
        "priority": r.priority,
        "title": r.title,
        "description": r.description,
        "department": r.department.name,
        "status": r.status,
        "created_at": r.created_at,
        "due_at": r.due_at,
        "tier": r.tier,
        "escalate_at": r.escalate_at,
        "overdue": r.status == ServiceRequest.Status.OPEN and r.is_overdue,
        "escalated_at": r.escalated_at,
        "resolution": r.resolution,
        "resolved_at": r.resolved_at,
        "satisfied": r.satisfied,
        "feedback": r.feedback,
        "external_ref": r.external_ref,
        "source": r.source,
    }


class RequestFilter(Schema):
    status: Literal["open", "resolved", "closed", "overdue"] | None = None
    request_type: TypeName | None = None


@router.get(
    "/service-requests",
    response=list[ServiceRequestOut],
    summary="服务请求（部门用户：本部门队列；员工：本人范围内客户的请求）",
)
@paginate(Pages, page_size=100)
def service_request_list(request: AuthedRequest, filters: Query[RequestFilter]) -> Any:
    qs = requests_visible_to(request.user).order_by("-created_at", "-id")
    if filters.status == "overdue":
        qs = qs.filter(status=ServiceRequest.Status.OPEN, due_at__lt=dt.datetime.now(dt.UTC))
    elif filters.status:
        qs = qs.filter(status=filters.status)
    if filters.request_type:
        qs = qs.filter(request_type=filters.request_type)
    return [request_out(r) for r in qs]


class ServiceRequestIn(Schema):
    customer_id: int | None = Field(None, description="客户 id；或者用 customer_code")
    customer_code: str = Field("", max_length=30, description="客户编码或统一社会信用代码（客服受理时用）")
    request_type: TypeName
    title: str = Field(max_length=200)
    description: str = ""
    priority: Literal["normal", "urgent"] = "normal"
    key_person_id: int | None = None
    external_ref: str = Field("", max_length=40, description="运营商投诉系统的工单号（可选，用于去重）")


@router.post(
    "/service-requests",
    response={201: ServiceRequestOut, 403: Detail, 404: Detail, 422: Detail},
    summary="受理服务请求（自动分派并开始计时）",
)
def service_request_new(request: AuthedRequest, body: ServiceRequestIn) -> Any:
    user = request.user
    if not may_accept(user):
        raise PermissionDenied(_("服务请求由客户经理、区域经理、省公司管理员或客服受理。"))
    customer = customer_for_request(by=user, customer_id=body.customer_id, code=body.customer_code)
    made = request_create(
        by=user,
        data=RequestInput(
            customer_id=customer.pk,
            request_type=body.request_type,
            title=body.title,
            description=body.description,
            priority=body.priority,
            key_person_id=body.key_person_id,
            external_ref=body.external_ref,
        ),
    )
    return Status(201, request_out(requests_visible_to(user).get(pk=made.pk)))


@router.get("/service-requests/{request_id}", response={200: ServiceRequestOut, 404: Detail}, summary="一条服务请求")
def service_request_one(request: AuthedRequest, request_id: int) -> Any:
    return request_out(request_get(user=request.user, pk=request_id))


class ResolveIn(Schema):
    resolution: str = Field(max_length=2000)


@router.post(
    "/service-requests/{request_id}/resolve",
    response={200: ServiceRequestOut, 403: Detail, 404: Detail, 422: Detail},
    summary="处理部门办结",
)
def service_request_resolve(request: AuthedRequest, request_id: int, body: ResolveIn) -> Any:
    user = request.user
    request_resolve(by=user, request=request_get(user=user, pk=request_id), resolution=body.resolution)
    return request_out(request_get(user=user, pk=request_id))


class RequestCloseIn(Schema):
    satisfied: bool
    feedback: str = Field("", max_length=2000)
    score: int | None = Field(None, ge=1, le=5)


@router.post(
    "/service-requests/{request_id}/close",
    response={200: ServiceRequestOut, 403: Detail, 404: Detail, 422: Detail},
    summary="回访客户并关闭（记录是否满意）",
)
def service_request_close(request: AuthedRequest, request_id: int, body: RequestCloseIn) -> Any:
    user = request.user
    request_close(
        by=user,
        request=request_get(user=user, pk=request_id),
        satisfied=body.satisfied,
        feedback=body.feedback,
        score=body.score,
    )
    return request_out(request_get(user=user, pk=request_id))


class ReopenIn(Schema):
    reason: str = Field(max_length=2000)


@router.post(
    "/service-requests/{request_id}/reopen",
    response={200: ServiceRequestOut, 403: Detail, 404: Detail, 422: Detail},
    summary="客户不认可处理结果：退回部门重办",
)
def service_request_reopen(request: AuthedRequest, request_id: int, body: ReopenIn) -> Any:
    user = request.user
    request_reopen(by=user, request=request_get(user=user, pk=request_id), reason=body.reason)
    return request_out(request_get(user=user, pk=request_id))


class SupervisedOut(Schema):
    escalated: int


@router.post(
    "/service-supervision",
    response={200: SupervisedOut, 403: Detail},
    summary="超时督办：把超过时限的请求升级给部门负责人（每条只升级一次）",
)
def service_supervise(request: AuthedRequest) -> Any:
    return {"escalated": supervise()}


# --- surveys --------------------------------------------------------------------------------------


class SurveyOut(Schema):
    id: int
    customer_id: int
    kind: str = Field(description="request 服务回访 / delivery 交付回访 / yearly 年度满意度调查")
    date: dt.date
    satisfied: bool
    score: int | None
    key_person_id: int | None
    request_id: int | None
    note: str


def survey_out(s: Survey) -> dict[str, Any]:
    return {
        "id": s.pk,
        "customer_id": s.customer_id,
        "kind": s.kind,
        "date": s.date,
        "satisfied": s.satisfied,
        "score": s.score,
        "key_person_id": s.key_person_id,
        "request_id": s.request_id,
        "note": s.note,
    }


@router.get(
    "/customers/{customer_id}/surveys", response={200: list[SurveyOut], 404: Detail}, summary="客户的满意度调查"
)
def survey_list(request: AuthedRequest, customer_id: int) -> Any:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    return [survey_out(s) for s in surveys_visible_to(user).filter(customer=customer)[:500]]


class SurveyIn(Schema):
    kind: Literal["delivery", "yearly"]
    satisfied: bool
    date: dt.date | None = None
    score: int | None = Field(None, ge=1, le=5)
    key_person_id: int | None = None
    note: str = Field("", max_length=2000)


@router.post(
    "/customers/{customer_id}/surveys",
    response={201: SurveyOut, 403: Detail, 404: Detail, 422: Detail},
    summary="记录满意度调查（交付回访、年度调查）",
)
def survey_new(request: AuthedRequest, customer_id: int, body: SurveyIn) -> Any:
    made = survey_record(
        by=request.user,
        data=SurveyInput(
            customer_id=customer_id,
            kind=body.kind,
            satisfied=body.satisfied,
            date=body.date,
            score=body.score,
            key_person_id=body.key_person_id,
            note=body.note,
        ),
    )
    return Status(201, survey_out(made))


# --- transfers and the departments' assessment (支撑体系考核) ---------------------------------------


class TransferIn(Schema):
    department_id: int = Field(description="接手的部门")
    reason: str = Field(max_length=500)


class TransferredOut(Schema):
    id: int
    number: str
    department: str
    due_at: dt.datetime = Field(description="处理时限：转派不重置")


@router.post(
    "/service-requests/{request_id}/transfer",
    response={200: TransferredOut, 403: Detail, 404: Detail, 422: Detail},
    summary="转派给其他部门（处理时限不变；考核按各部门实际持有的时间计）",
)
def service_request_transfer(request: AuthedRequest, request_id: int, body: TransferIn) -> Any:
    user = request.user
    moved = request_transfer(
        by=user,
        request=request_get(user=user, pk=request_id),
        to_department_id=body.department_id,
        reason=body.reason,
    )
    return {"id": moved.pk, "number": moved.number, "department": moved.department.name, "due_at": moved.due_at}


class AssessmentRowOut(Schema):
    rank: int
    department_code: str
    department: str
    resolved: int = Field(description="当月首次办结的请求数")
    on_time_rate: float | None = Field(description="按时办结率（0–1）")
    hours: float | None = Field(description="平均处理时长：部门自己持有的小时数")
    reopen_rate: float | None
    satisfaction: float | None = Field(description="回访满意率（0–1）")
    score: float | None = Field(description="回访平均评分（1–5）")
    escalations: int
    transfers_out: int
    targets: dict[str, float] = Field(description="当年适用的目标：on_time / hours / reopen / satisfaction")
    targets_met: int
    targets_set: int


class AssessmentFilter(Schema):
    month: str = Field(pattern=MONTH_PATTERN, description="月份，如 2026-11")


@router.get(
    "/support/assessment",
    response={200: list[AssessmentRowOut], 422: Detail},
    summary="支撑部门月度考核：按时办结率、处理时长、重办率、满意率、升级，按达标排名",
)
def support_assessment(request: AuthedRequest, filters: Query[AssessmentFilter]) -> Any:
    rows = assessment(user=request.user, month=dt.date.fromisoformat(filters.month + "-01"))
    return [
        {
            "rank": r.rank,
            "department_code": r.department.code,
            "department": r.department.name,
            "resolved": r.resolved,
            "on_time_rate": r.on_time_rate,
            "hours": r.hours,
            "reopen_rate": r.reopen_rate,
            "satisfaction": r.satisfaction,
            "score": r.score,
            "escalations": r.escalations,
            "transfers_out": r.transfers_out,
            "targets": {k: float(v) for k, v in r.targets.items()},
            "targets_met": r.targets_met,
            "targets_set": r.targets_set,
        }
        for r in rows
    ]


class SupportTargetIn(Schema):
    year: int = Field(ge=2000, le=2100)
    metric: Literal["on_time", "hours", "reopen", "satisfaction"]
    value: str = Field(max_length=20, description="比率如 95% 或 0.95；时长为小时数；空为删除")
    department_code: str = Field("", max_length=20, description="留空表示所有部门")


class SupportTargetOut(Schema):
    year: int
    metric: str
    department_code: str
    value: float | None


@router.put(
    "/support/targets",
    response={200: SupportTargetOut, 403: Detail, 422: Detail},
    summary="设定支撑部门考核目标（省公司管理员）",
)
def support_target(request: AuthedRequest, body: SupportTargetIn) -> Any:
    department_id = department_by_code(body.department_code).pk if body.department_code else None
    made = target_set(
        by=request.user, year=body.year, metric=body.metric, value=body.value, department_id=department_id
    )
    return {
        "year": body.year,
        "metric": body.metric,
        "department_code": body.department_code,
        "value": float(made.value) if made else None,
    }
