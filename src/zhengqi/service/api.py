"""Service and competition in the REST API (F-25…F-27): the same services and scope as the pages.
A department user reads and resolves its queue here; staff accept, follow up, record competitor
events and surveys, and launch response plans."""

import datetime as dt
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.api_errors import Detail
from zhengqi.customers.selectors import customer_get
from zhengqi.pagination import Pages

from .competition import (
    EventInput,
    PlanInput,
    activity,
    event_get,
    event_save,
    events_visible_to,
    plan_launch,
    plan_save,
)
from .models import CompetitorEvent, ResponsePlan, ServiceRequest, Survey
from .requests import (
    RequestInput,
    customer_for_request,
    may_accept,
    request_close,
    request_create,
    request_get,
    request_reopen,
    request_resolve,
    requests_visible_to,
    supervise,
)
from .surveys import SurveyInput, survey_record, surveys_visible_to

router = Router()

TypeName = Literal["fault", "billing", "delivery", "change", "complaint"]
OperatorName = Literal["telecom", "unicom", "broadnet", "other"]


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


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
def service_request_list(request: HttpRequest, filters: Query[RequestFilter]) -> Any:
    qs = requests_visible_to(_user(request)).order_by("-created_at", "-id")
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
def service_request_new(request: HttpRequest, body: ServiceRequestIn) -> Any:
    user = _user(request)
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
def service_request_one(request: HttpRequest, request_id: int) -> Any:
    return request_out(request_get(user=_user(request), pk=request_id))


class ResolveIn(Schema):
    resolution: str = Field(max_length=2000)


@router.post(
    "/service-requests/{request_id}/resolve",
    response={200: ServiceRequestOut, 403: Detail, 404: Detail, 422: Detail},
    summary="处理部门办结",
)
def service_request_resolve(request: HttpRequest, request_id: int, body: ResolveIn) -> Any:
    user = _user(request)
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
def service_request_close(request: HttpRequest, request_id: int, body: RequestCloseIn) -> Any:
    user = _user(request)
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
def service_request_reopen(request: HttpRequest, request_id: int, body: ReopenIn) -> Any:
    user = _user(request)
    request_reopen(by=user, request=request_get(user=user, pk=request_id), reason=body.reason)
    return request_out(request_get(user=user, pk=request_id))


class SupervisedOut(Schema):
    escalated: int


@router.post(
    "/service-supervision",
    response={200: SupervisedOut, 403: Detail},
    summary="超时督办：把超过时限的请求升级给部门负责人（每条只升级一次）",
)
def service_supervise(request: HttpRequest) -> Any:
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
def survey_list(request: HttpRequest, customer_id: int) -> Any:
    user = _user(request)
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
def survey_new(request: HttpRequest, customer_id: int, body: SurveyIn) -> Any:
    made = survey_record(
        by=_user(request),
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


# --- competition ----------------------------------------------------------------------------------


class CompetitorEventOut(Schema):
    id: int
    operator: str
    kind: str = Field(description="offer 优惠资费 / visit 上门拜访 / handset 赠送终端 / bid 项目投标 / price 降价")
    summary: str
    evidence: str
    date: dt.date
    customer_ids: list[int] = Field(description="涉及的客户中本人可见的")
    plan_id: int | None
    campaign_id: int | None


def event_out(e: CompetitorEvent, user: User) -> dict[str, Any]:
    return {
        "id": e.pk,
        "operator": e.operator,
        "kind": e.kind,
        "summary": e.summary,
        "evidence": e.evidence,
        "date": e.date,
        "customer_ids": sorted(e.customers.filter(customer_scope(user)).values_list("pk", flat=True)),
        "plan_id": e.plan_id,
        "campaign_id": e.campaign_id,
    }


@router.get("/competitor-events", response=list[CompetitorEventOut], summary="竞争动向（涉及本人可见客户的）")
@paginate(Pages, page_size=100)
def event_list(request: HttpRequest) -> Any:
    user = _user(request)
    return [event_out(e, user) for e in events_visible_to(user)]


class CompetitorEventIn(Schema):
    operator: OperatorName
    kind: Literal["offer", "visit", "handset", "bid", "price"]
    summary: str = Field(max_length=200)
    date: dt.date
    customer_codes: list[str] = Field(max_length=500, description="涉及的客户编码")
    evidence: str = Field("", max_length=2000)


class EventCreatedOut(CompetitorEventOut):
    alerts_opened: int


@router.post(
    "/competitor-events",
    response={201: EventCreatedOut, 403: Detail, 422: Detail},
    summary="登记竞争动向（给涉及的客户加竞争防范预警）",
)
def event_new(request: HttpRequest, body: CompetitorEventIn) -> Any:
    user = _user(request)
    event, opened = event_save(
        by=user,
        data=EventInput(
            operator=body.operator,
            kind=body.kind,
            summary=body.summary,
            date=body.date,
            customer_codes=body.customer_codes,
            evidence=body.evidence,
        ),
    )
    return Status(201, {**event_out(event, user), "alerts_opened": opened})


@router.get("/competitor-events/{event_id}", response={200: CompetitorEventOut, 404: Detail}, summary="一条竞争动向")
def event_one(request: HttpRequest, event_id: int) -> Any:
    user = _user(request)
    return event_out(event_get(user=user, pk=event_id), user)


class LaunchIn(Schema):
    plan_id: int


class ResponseLaunchOut(Schema):
    campaign_id: int
    targets: int
    tasks: int
    skipped: int


@router.post(
    "/competitor-events/{event_id}/launch",
    response={200: ResponseLaunchOut, 403: Detail, 404: Detail, 422: Detail},
    summary="按应对预案对涉及的客户一键启动营销活动",
)
def event_launch(request: HttpRequest, event_id: int, body: LaunchIn) -> Any:
    user = _user(request)
    event = event_get(user=user, pk=event_id)
    plan = ResponsePlan.objects.filter(pk=body.plan_id).first()
    if plan is None:
        raise Http404(_("应对预案不存在。"))
    done = plan_launch(by=user, event=event, plan=plan)
    return {"campaign_id": done.campaign.pk, "targets": done.targets, "tasks": done.tasks, "skipped": done.skipped}


class SeriesOut(Schema):
    name: str
    counts: list[int] = Field(description="各月动向数，与 months 对应")


class ContestedOut(Schema):
    customer_id: int
    customer_name: str
    city: str
    operators: str
    events: int
    last: dt.date
    answered: bool = Field(description="是否已有应对活动")


class ActivityOut(Schema):
    months: list[str]
    by_city: list[SeriesOut]
    by_operator: list[SeriesOut]
    contested: list[ContestedOut]
    total: int


class ActivityFilter(Schema):
    months: int = Field(6, ge=1, le=24, description="最近几个月")


@router.get("/competition/activity", response=ActivityOut, summary="竞争动向按地市、对手和月份统计，及被争夺的客户")
def competition_activity(request: HttpRequest, filters: Query[ActivityFilter]) -> Any:
    data = activity(user=_user(request), months=filters.months)
    contested = [
        {
            "customer_id": row.customer.pk,
            "customer_name": row.customer.name,
            "city": row.city,
            "operators": row.operator_names,
            "events": row.events,
            "last": row.last,
            "answered": bool(row.answered),
        }
        for row in data.contested
    ]
    return {
        "months": data.months,
        "by_city": [{"name": n, "counts": c} for n, c in data.by_city],
        "by_operator": [{"name": n, "counts": c} for n, c in data.by_operator],
        "contested": contested,
        "total": data.total,
    }


class PlanOut(Schema):
    id: int
    name: str
    operator: str
    products: list[str]
    offer: str
    message: str
    channels: list[str]
    days: int
    active: bool


def plan_out(p: ResponsePlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "operator": p.operator,
        "products": [x.code for x in p.products.all()],
        "offer": p.offer,
        "message": p.message,
        "channels": list(p.channels),
        "days": p.days,
        "active": p.active,
    }


@router.get("/response-plans", response=list[PlanOut], summary="应对预案")
def plan_list(request: HttpRequest) -> Any:
    return [plan_out(p) for p in ResponsePlan.objects.prefetch_related("products")]


class PlanIn(Schema):
    name: str = Field(max_length=100)
    operator: OperatorName | Literal[""] = ""
    products: list[str] = Field(max_length=50)
    offer: str = Field(max_length=2000)
    message: str = Field("", max_length=2000)
    channels: list[str] | None = Field(None, max_length=10)
    days: int = Field(30, ge=1, le=365)
    active: bool = True


@router.post("/response-plans", response={201: PlanOut, 403: Detail, 422: Detail}, summary="制定应对预案")
def plan_new(request: HttpRequest, body: PlanIn) -> Any:
    made = plan_save(
        by=_user(request),
        data=PlanInput(
            name=body.name,
            product_codes=body.products,
            offer=body.offer,
            operator=body.operator,
            message=body.message,
            channels=body.channels,
            days=body.days,
            active=body.active,
        ),
    )
    return Status(201, plan_out(made))
