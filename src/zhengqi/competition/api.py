"""Competitor intelligence in the REST API (F-26): events, response plans launched on them, activity;
the same services and scope as the pages."""

import datetime as dt
from typing import Any, Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

from .models import CompetitorEvent, ReactionTeam, ResponsePlan
from .reaction import response_times, step_done, team_form, team_of
from .selectors import plan_get, plans
from .services import (
    EventInput,
    PlanInput,
    activity,
    event_get,
    event_save,
    events_visible_to,
    month_labels,
    plan_launch,
    plan_save,
)

router = Router()

TypeName = Literal["fault", "billing", "delivery", "change", "complaint"]
OperatorName = Literal["telecom", "unicom", "broadnet", "other"]


class CompetitorEventOut(Schema):
    id: int
    operator: str
    kind: str = Field(description="offer 优惠资费 / visit 上门拜访 / handset 赠送终端 / bid 项目投标 / price 降价")
    summary: str
    evidence: str
    date: dt.date
    severity: str = Field(description="normal 一般 / major 较大 / critical 重大")
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
        "severity": e.severity,
        "customer_ids": sorted(e.customers.filter(customer_scope(user)).values_list("pk", flat=True)),
        "plan_id": e.plan_id,
        "campaign_id": e.campaign_id,
    }


@router.get("/competitor-events", response=list[CompetitorEventOut], summary="竞争动向（涉及本人可见客户的）")
@paginate(Pages, page_size=100)
def event_list(request: AuthedRequest) -> Any:
    user = request.user
    return Converted(events_visible_to(user), lambda e: event_out(e, user))


class CompetitorEventIn(Schema):
    operator: OperatorName
    kind: Literal["offer", "visit", "handset", "bid", "price"]
    summary: str = Field(max_length=200)
    date: dt.date
    customer_codes: list[str] = Field(max_length=500, description="涉及的客户编码")
    evidence: str = Field("", max_length=2000)
    severity: Literal["normal", "major", "critical"] = Field(
        "normal", description="较大、重大的动向按省公司设定自动组建快速反应小组"
    )


class EventCreatedOut(CompetitorEventOut):
    alerts_opened: int


@router.post(
    "/competitor-events",
    response={201: EventCreatedOut, 403: Detail, 422: Detail},
    summary="登记竞争动向（给涉及的客户加竞争防范预警）",
)
def event_new(request: AuthedRequest, body: CompetitorEventIn) -> Any:
    user = request.user
    event, opened = event_save(
        by=user,
        data=EventInput(
            operator=body.operator,
            kind=body.kind,
            summary=body.summary,
            date=body.date,
            customer_codes=body.customer_codes,
            evidence=body.evidence,
            severity=body.severity,
        ),
    )
    return Status(201, {**event_out(event, user), "alerts_opened": opened})


@router.get("/competitor-events/{event_id}", response={200: CompetitorEventOut, 404: Detail}, summary="一条竞争动向")
def event_one(request: AuthedRequest, event_id: int) -> Any:
    user = request.user
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
def event_launch(request: AuthedRequest, event_id: int, body: LaunchIn) -> Any:
    user = request.user
    event = event_get(user=user, pk=event_id)
    plan = plan_get(body.plan_id)
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
def competition_activity(request: AuthedRequest, filters: Query[ActivityFilter]) -> Any:
    data = activity(user=request.user, months=filters.months)
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
def plan_list(request: AuthedRequest) -> Any:
    return [plan_out(p) for p in plans()]


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
def plan_new(request: AuthedRequest, body: PlanIn) -> Any:
    made = plan_save(
        by=request.user,
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


# --- quick reaction (快速反应小组) -------------------------------------------------------------------


class MemberOut(Schema):
    id: int
    name: str


class ReactionStepOut(Schema):
    id: int
    position: int
    title: str
    done_at: dt.datetime | None
    done_by: str | None
    note: str


class TeamOut(Schema):
    event_id: int
    account_manager: MemberOut
    engineer: MemberOut | None
    manager: MemberOut | None
    formed_at: dt.datetime
    due_at: dt.datetime = Field(description="首次响应时限")
    first_response_at: dt.datetime | None
    response_hours: float | None = Field(description="组建到首次响应的小时数")
    on_time: bool | None = Field(description="首次响应是否在时限内；尚未响应为空")
    finished_at: dt.datetime | None
    escalated_at: dt.datetime | None
    steps: list[ReactionStepOut]


def _member(u: User | None) -> dict[str, Any] | None:
    return {"id": u.pk, "name": str(u)} if u is not None else None


def team_out(t: ReactionTeam) -> dict[str, Any]:
    return {
        "event_id": t.event_id,
        "account_manager": _member(t.account_manager),
        "engineer": _member(t.engineer),
        "manager": _member(t.manager),
        "formed_at": t.formed_at,
        "due_at": t.due_at,
        "first_response_at": t.first_response_at,
        "response_hours": round(h, 2) if (h := t.response_hours) is not None else None,
        "on_time": None if t.first_response_at is None else t.first_response_at <= t.due_at,
        "finished_at": t.finished_at,
        "escalated_at": t.escalated_at,
        "steps": [
            {
                "id": s.pk,
                "position": s.position,
                "title": s.title,
                "done_at": s.done_at,
                "done_by": str(s.done_by) if s.done_by else None,
                "note": s.note,
            }
            for s in t.steps.select_related("done_by")
        ],
    }


def _team(user: User, event_id: int) -> ReactionTeam:
    event = event_get(user=user, pk=event_id)
    found = team_of(event)
    if found is None:
        raise Http404(_("该动向没有快速反应小组。"))
    return found


@router.get(
    "/competitor-events/{event_id}/team", response={200: TeamOut, 404: Detail}, summary="竞争动向的快速反应小组"
)
def team_one(request: AuthedRequest, event_id: int) -> Any:
    return team_out(_team(request.user, event_id))


class TeamIn(Schema):
    account_manager_id: int | None = Field(None, description="留空为系统建议：涉及客户最多的客户经理")
    engineer_id: int | None = Field(None, description="留空为系统建议：交付、产品或网络支撑部门的人员")
    manager_id: int | None = Field(None, description="留空为系统建议：客户所在区域的区域经理")


@router.post(
    "/competitor-events/{event_id}/team",
    response={200: TeamOut, 403: Detail, 404: Detail, 422: Detail},
    summary="组建快速反应小组（已有则调整成员，时限不变）",
)
def team_new(request: AuthedRequest, event_id: int, body: TeamIn) -> Any:
    user = request.user
    team = team_form(
        by=user,
        event=event_get(user=user, pk=event_id),
        account_manager_id=body.account_manager_id,
        engineer_id=body.engineer_id,
        manager_id=body.manager_id,
    )
    return team_out(team)


class StepIn(Schema):
    note: str = Field("", max_length=200)


@router.post(
    "/competitor-events/{event_id}/team/steps/{step_id}/done",
    response={200: TeamOut, 403: Detail, 404: Detail, 422: Detail},
    summary="完成一个处置步骤（第一个完成的即首次响应）",
)
def team_step_done(request: AuthedRequest, event_id: int, step_id: int, body: StepIn) -> Any:
    user = request.user
    team = _team(user, event_id)
    step_done(by=user, team=team, step_id=step_id, note=body.note)
    return team_out(_team(user, event_id))


class ResponseMonthOut(Schema):
    month: str
    formed: int
    on_time: int
    median_hours: float | None


class ResponseTimesOut(Schema):
    months: list[ResponseMonthOut]
    waiting: list[TeamOut] = Field(description="尚未首次响应的小组，最紧迫的在前")


@router.get(
    "/competition/response-times",
    response=ResponseTimesOut,
    summary="快速反应：各月组建的小组、按时首次响应数与用时中位数",
)
def competition_response_times(request: AuthedRequest, filters: Query[ActivityFilter]) -> Any:
    times = response_times(user=request.user, months=month_labels(filters.months))
    return {
        "months": [
            {"month": m, "formed": f, "on_time": o, "median_hours": h}
            for m, f, o, h in zip(times.months, times.formed, times.on_time, times.median_hours, strict=True)
        ],
        "waiting": [team_out(t) for t in times.waiting],
    }
