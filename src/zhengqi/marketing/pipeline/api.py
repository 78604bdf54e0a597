"""The opportunity pipeline in the REST API (F-10): the same services and scope as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import Http404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.access import active_users_named
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.marketing.models import Opportunity, Project, Stage
from zhengqi.marketing.pipeline.services import (
    OpportunityInput,
    forecast,
    opportunities_visible_to,
    opportunity_create,
    opportunity_get,
    opportunity_update,
    probabilities,
    probabilities_save,
    project_advance,
    project_of,
    project_start,
)
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

router = Router()


class ProjectOut(Schema):
    id: int
    phase: str = Field(description="initiated 立项 / building 施工 / testing 测试 / accepted 验收")
    started: dt.date
    planned_end: dt.date
    team: list[str]
    note: str
    version: int


class OpportunityOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    owner: str
    name: str
    products: list[str]
    expected_revenue: Decimal
    close_date: dt.date
    stage: str = Field(
        description="discovery / confirmed / proposal / negotiation / signed / delivery / aftercare / lost"
    )
    probability: Decimal
    lost_reason: str
    version: int
    project: ProjectOut | None


def project_out(p: Project) -> dict[str, Any]:
    return {
        "id": p.pk,
        "phase": p.phase,
        "started": p.started,
        "planned_end": p.planned_end,
        "team": [u.username for u in p.team.all()],
        "note": p.note,
        "version": p.version,
    }


def opportunity_out(o: Opportunity, chances: dict[str, Decimal] | None = None) -> dict[str, Any]:
    chances = chances or probabilities()
    try:
        project: Project | None = o.project
    except Project.DoesNotExist:
        project = None
    return {
        "id": o.pk,
        "customer_id": o.customer_id,
        "customer_name": o.customer.name,
        "owner": o.owner.username,
        "name": o.name,
        "products": [p.code for p in o.products.all()],  # prefetched in lists
        "expected_revenue": o.expected_revenue,
        "close_date": o.close_date,
        "stage": o.stage,
        "probability": chances[o.stage],
        "lost_reason": o.lost_reason,
        "version": o.version,
        "project": project_out(project) if project else None,
    }


class OpportunityIn(Schema):
    name: str = Field(max_length=100)
    close_date: dt.date
    expected_revenue: Decimal = Decimal(0)
    stage: str = Stage.DISCOVERY
    products: list[str] = []
    lost_reason: str = Field("", max_length=200)
    version: int | None = Field(None, description="修改时：所依据的版本号；他人已保存新版本时返回 409")


class OpportunityNew(OpportunityIn):
    customer_id: int


def _input(body: OpportunityIn) -> OpportunityInput:
    return OpportunityInput(
        name=body.name,
        close_date=body.close_date,
        expected_revenue=body.expected_revenue,
        stage=body.stage,
        product_codes=body.products,
        lost_reason=body.lost_reason,
        version=body.version,
    )


@router.get("/opportunities", response=list[OpportunityOut], summary="商机（本人范围内）")
@paginate(Pages, page_size=100)
def opportunity_list(request: AuthedRequest, stage: str = "") -> Any:
    qs = opportunities_visible_to(request.user).select_related("project").prefetch_related("products", "project__team")
    if stage:
        qs = qs.filter(stage=stage)
    chances = probabilities()
    return Converted(qs, lambda o: opportunity_out(o, chances))


@router.post(
    "/opportunities", response={201: OpportunityOut, 403: Detail, 404: Detail, 422: Detail}, summary="登记商机"
)
def opportunity_new(request: AuthedRequest, body: OpportunityNew) -> Any:
    user = request.user
    customer = customer_get(user=user, pk=body.customer_id)
    return Status(201, opportunity_out(opportunity_create(by=user, customer=customer, data=_input(body))))


@router.get("/opportunities/{opportunity_id}", response={200: OpportunityOut, 404: Detail}, summary="一个商机")
def opportunity(request: AuthedRequest, opportunity_id: int) -> Any:
    return opportunity_out(opportunity_get(user=request.user, pk=opportunity_id))


@router.put(
    "/opportunities/{opportunity_id}",
    response={200: OpportunityOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
    summary="修改商机（阶段、金额、日期…；带 version，过期的修改返回 409）",
)
def opportunity_edit(request: AuthedRequest, opportunity_id: int, body: OpportunityIn) -> Any:
    user = request.user
    found = opportunity_get(user=user, pk=opportunity_id)
    return opportunity_out(opportunity_update(by=user, opportunity=found, data=_input(body)))


class ProjectIn(Schema):
    started: dt.date
    planned_end: dt.date
    team: list[str] = Field([], description="项目组成员的用户名（负责人自动加入）")


@router.post(
    "/opportunities/{opportunity_id}/project",
    response={201: OpportunityOut, 403: Detail, 404: Detail, 422: Detail},
    summary="签约后立项",
)
def project_new(request: AuthedRequest, opportunity_id: int, body: ProjectIn) -> Any:
    user = request.user
    found = opportunity_get(user=user, pk=opportunity_id)
    team = active_users_named(body.team)
    project_start(by=user, opportunity=found, started=body.started, planned_end=body.planned_end, team=team)
    return Status(201, opportunity_out(found))


class PhaseIn(Schema):
    phase: str
    note: str = ""
    version: int | None = None


@router.put(
    "/opportunities/{opportunity_id}/project",
    response={200: OpportunityOut, 403: Detail, 404: Detail, 409: Detail, 422: Detail},
    summary="更新项目阶段（带 version）",
)
def project_edit(request: AuthedRequest, opportunity_id: int, body: PhaseIn) -> Any:
    user = request.user
    found = opportunity_get(user=user, pk=opportunity_id)
    project = project_of(found)
    if project is None:
        raise Http404("该商机还没有立项。")
    project_advance(by=user, project=project, phase=body.phase, note=body.note, version=body.version)
    return opportunity_out(found)


class ForecastRow(Schema):
    region: str
    months: dict[str, Decimal] = Field(description="月份（YYYY-MM）→ 加权预计月收入（元）")
    total: Decimal


class ForecastOut(Schema):
    months: list[str]
    rows: list[ForecastRow]


@router.get("/pipeline/forecast", response=ForecastOut, summary="商机预测：按区域和预计签约月份加权")
def pipeline_forecast(request: AuthedRequest, months: int = Query(6, ge=1, le=24)) -> Any:
    horizon, cells = forecast(request.user, months=months)
    keys = [m.strftime("%Y-%m") for m in horizon]
    rows = []
    for region, by in cells.items():
        values = {m.strftime("%Y-%m"): by[m].weighted if m in by else Decimal(0) for m in horizon}
        rows.append({"region": region, "months": values, "total": sum(values.values(), Decimal(0))})
    return {"months": keys, "rows": rows}


class StagesIn(Schema):
    """Only the stages given change; 0–1 or a percentage (60 = 60 %)."""

    discovery: Decimal | None = None
    confirmed: Decimal | None = None
    proposal: Decimal | None = None
    negotiation: Decimal | None = None
    signed: Decimal | None = None
    delivery: Decimal | None = None
    aftercare: Decimal | None = None
    lost: Decimal | None = None


@router.get("/pipeline/stages", response=dict[str, Decimal], summary="各阶段赢单概率")
def stages(request: AuthedRequest) -> Any:
    return probabilities()


@router.put(
    "/pipeline/stages",
    response={200: dict[str, Decimal], 403: Detail, 422: Detail},
    summary="设置各阶段赢单概率（省公司管理员；0–1 或百分数）",
)
def stages_edit(request: AuthedRequest, body: StagesIn) -> Any:
    return probabilities_save(by=request.user, values=body.model_dump(exclude_none=True))
