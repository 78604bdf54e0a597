"""The dashboards, the customers behind their numbers, the monthly report and the revenue targets
in the REST API. Same services and the same row-level scope as the pages."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengqi.accounts.access import user_by_username
from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.pagination import Pages

from . import brief, dashboards, exports, figures, kpi, report
from .access import require_reader
from .exports import CONTENT_TYPES, report_label
from .figures import FilterError, Filters
from .models import ManagerTarget, Metric

router = Router()


class FiltersIn(Schema):
    month: str | None = None  # YYYY-MM; default: the latest month run
    region: str = ""
    tier: str = ""
    industry: str = ""
    customer_type: str = ""


class DrillIn(FiltersIn):
    billed: str = ""
    product: str = ""
    product2: str = ""
    expiry: str = ""
    idle: str = ""
    idle_share: str = ""
    arrears: str = ""
    depth: str = ""
    tier_prev: str = ""
    measure: str = ""  # "ytd": sorted by the year-to-date figures (the number clicked was one)


class ChartOut(Schema):
    kind: str
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    unit: str
    reference: tuple[str, float] | None = None
    stacked: bool = False
    links: list[tuple[str, str, int]] = []


class TableOut(Schema):
    key: str
    title: str
    columns: list[str]
    formats: list[str]
    rows: list[list[Any]]
    chart: ChartOut | None = None
    note: str = ""
    links: list[str | None] = []


class DashboardOut(Schema):
    key: str
    title: str
    month: dt.date
    time_progress: float
    panels: list[TableOut]


class DashboardListOut(Schema):
    key: str
    title: str


class SectionOut(Schema):
    title: str
    tables: list[TableOut]


class ReportOut(Schema):
    title: str
    month: dt.date
    time_progress: float
    generated_at: dt.datetime
    commentary: list[str]
    sections: list[SectionOut]


class DrillRowOut(Schema):
    customer_id: int
    name: str
    region: str
    tier: str
    revenue: Decimal
    revenue_info: Decimal
    revenue_line: Decimal
    revenue_info_ytd: Decimal | None
    revenue_line_ytd: Decimal | None
    arrears: Decimal
    product_count: int
    members_active: int
    members_idle: int


class RevenueTargetOut(Schema):
    region: str
    region_name: str
    year: int
    metric: str
    amount: Decimal


class TargetIn(Schema):
    region: str
    year: int
    metric: Literal["revenue_info", "revenue_line"]
    amount: Decimal


def _filters(request: AuthedRequest, q: FiltersIn) -> tuple[User, Filters]:
    user = require_reader(request.user)
    try:
        return user, figures.make_filters(
            user,
            month=q.month,
            region=q.region,
            tier=q.tier,
            industry=q.industry,
            customer_type=q.customer_type,
        )
    except FilterError as err:
        raise HttpError(400, str(err)) from None


def _table(t: report.Table) -> dict[str, Any]:
    return dataclasses.asdict(t)


@router.get("/dashboards", response=list[DashboardListOut], summary="客户洞察看板列表")
def list_dashboards(request: AuthedRequest) -> Any:
    require_reader(request.user)
    return [{"key": k, "title": str(t)} for k, (t, _fn) in dashboards.DASHBOARDS.items()]


@router.get("/dashboards/{key}", response=DashboardOut, summary="一个看板的数字、图表与明细链接")
def get_dashboard(request: AuthedRequest, key: str, q: Query[FiltersIn]) -> Any:
    user, f = _filters(request, q)
    if key not in dashboards.DASHBOARDS:
        raise HttpError(404, f"没有名为“{key}”的看板。")
    board = dashboards.dashboard(user, key, f)
    return {
        "key": board.key,
        "title": board.title,
        "month": f.month,
        "time_progress": figures.time_progress(f.month),
        "panels": [_table(t) for t in board.panels],
    }


@router.get("/customers", response=list[DrillRowOut], summary="看板数字背后的客户")
@paginate(Pages, page_size=50)
def drill_customers(request: AuthedRequest, q: Query[DrillIn]) -> Any:
    user, f = _filters(request, q)
    try:
        qs = dashboards.drill(user, f, {k: getattr(q, k) for k in dashboards.DRILL_KEYS})
    except FilterError as err:
        raise HttpError(400, str(err)) from None
    return [
        {
            "customer_id": s.customer_id,
            "name": s.customer.name,
            "region": s.customer.region.name,
            "tier": s.tier,
            "revenue": s.revenue,
            "revenue_info": s.revenue_info,
            "revenue_line": s.revenue_line,
            "revenue_info_ytd": s.revenue_info_ytd,
            "revenue_line_ytd": s.revenue_line_ytd,
            "arrears": s.arrears,
            "product_count": s.product_count,
            "members_active": s.members_active,
            "members_idle": s.members_idle,
        }
        for s in qs.select_related("customer__region").order_by(*dashboards.MEASURES_SHOWN[q.measure], "customer__name")
    ]


@router.get("/report", response=ReportOut, summary="月度经营分析报告（数据）")
def get_report(request: AuthedRequest, q: Query[FiltersIn]) -> Any:
    user, f = _filters(request, q)
    built = report.build(user, f)
    return {
        "title": built.title,
        "month": built.month,
        "time_progress": built.time_progress,
        "generated_at": built.generated_at,
        "commentary": built.commentary,
        "sections": [{"title": s.title, "tables": [_table(t) for t in s.tables]} for s in built.sections],
    }


@router.get("/report/file", summary="月度经营分析报告（Excel 或 PDF 文件）")
def get_report_file(
    request: AuthedRequest, q: Query[FiltersIn], format: Literal["xlsx", "pdf"] = "pdf"
) -> HttpResponse:
    user, f = _filters(request, q)
    built = report.build(user, f)
    body = exports.to_excel(built) if format == "xlsx" else exports.to_pdf(built)
    log_export(by=user, what=report_label(built, f), fmt=format, rows=built.rows, request=request)
    response = HttpResponse(body, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="zhengqi-report-{f.month:%Y-%m}.{format}"'
    return response


@router.get("/targets", response=list[RevenueTargetOut], summary="年度收入目标（本人区域范围内）")
def list_targets(request: AuthedRequest, year: int | None = None) -> Any:
    user = require_reader(request.user)
    qs = figures.targets_visible_to(user, year=year)
    return [
        {"region": t.region.code, "region_name": t.region.name, "year": t.year, "metric": t.metric, "amount": t.amount}
        for t in qs
    ]


@router.put("/targets", response=RevenueTargetOut, summary="设置一个区域的年度收入目标（省公司管理员）")
def put_target(request: AuthedRequest, body: TargetIn) -> Any:
    try:
        target = figures.target_save(
            by=request.user, region_code=body.region, year=body.year, metric=body.metric, amount=body.amount
        )
    except PermissionDenied as err:
        raise HttpError(403, str(err)) from err
    except Http404 as err:
        raise HttpError(404, str(err)) from err
    except ValidationError as err:
        raise HttpError(422, " ".join(err.messages)) from err
    return {
        "region": target.region.code,
        "region_name": target.region.name,
        "year": target.year,
        "metric": Metric(target.metric).value,
        "amount": target.amount,
    }


class KpiOut(Schema):
    manager_id: int
    manager: str
    customers: int
    revenue_info_ytd: Decimal
    revenue_target: Decimal | None
    revenue_completion: float | None
    time_progress: float
    target_market: int
    retained: int
    retention: float | None
    retention_target: Decimal
    members_start: int
    members_now: int
    in_network: float | None
    in_network_target: Decimal
    tasks_due: int
    tasks_done: int
    task_completion: float | None
    task_completion_target: Decimal
    surveys: int = Field(description="年初至本月的满意度调查回答数")
    satisfaction: float | None = Field(description="其中“满意”的比例；没有回答时为空")
    ranks: dict[str, int]


def kpi_out(r: kpi.Kpi, progress: float) -> dict[str, Any]:
    return {
        "manager_id": r.manager.pk,
        "manager": r.manager.username,
        "customers": r.customers,
        "revenue_info_ytd": r.revenue_info_ytd,
        "revenue_target": r.revenue_target,
        "revenue_completion": r.revenue_completion,
        "time_progress": progress,
        "target_market": r.target_market,
        "retained": r.retained,
        "retention": r.retention,
        "retention_target": r.targets[ManagerTarget.Metric.RETENTION],
        "members_start": r.members_start,
        "members_now": r.members_now,
        "in_network": r.in_network,
        "in_network_target": r.targets[ManagerTarget.Metric.IN_NETWORK],
        "tasks_due": r.tasks_due,
        "tasks_done": r.tasks_done,
        "task_completion": r.task_completion,
        "task_completion_target": r.targets[ManagerTarget.Metric.TASK_COMPLETION],
        "surveys": r.surveys,
        "satisfaction": r.satisfaction,
        "ranks": r.ranks,
    }


@router.get("/kpi", response=list[KpiOut], summary="客户经理考核：各项指标、目标、完成率与排名（本人范围内）")
def kpi_list(request: AuthedRequest, filters: Query[FiltersIn]) -> Any:
    user, f = _filters(request, filters)
    progress = figures.time_progress(f.month)
    return [kpi_out(r, progress) for r in kpi.kpis(user, f.month, region=f.region)]


class KpiCustomerOut(Schema):
    customer_id: int
    code: str
    name: str
    tier: str
    revenue_info_ytd: Decimal
    members_now: int
    in_target_market: bool
    retained: bool


@router.get("/kpi/{manager_id}/customers", response=list[KpiCustomerOut], summary="一位客户经理考核指标背后的客户")
@paginate(Pages, page_size=100)
def kpi_customers(request: AuthedRequest, manager_id: int, filters: Query[FiltersIn]) -> Any:
    user, f = _filters(request, filters)
    row = next((r for r in kpi.kpis(user, f.month, region=f.region) if r.manager.pk == manager_id), None)
    if row is None:
        raise HttpError(404, "客户经理不存在或不在您的范围内。")
    return [dataclasses.asdict(c) for c in kpi.customers_of(user, row.manager, f.month)]


class ManagerTargetIn(Schema):
    manager: str = Field(description="客户经理的用户名")
    year: int
    metric: str = Field(description="revenue_info（元）/ retention / in_network / task_completion（0–1 或百分数）")
    value: Decimal


class ManagerTargetOut(Schema):
    manager: str
    year: int
    metric: str
    value: Decimal


@router.put("/kpi/targets", response=ManagerTargetOut, summary="设定客户经理的年度考核目标（区域经理、省公司管理员）")
def kpi_target(request: AuthedRequest, body: ManagerTargetIn) -> Any:
    user = request.user
    manager = user_by_username(body.manager)
    if manager is None:
        raise HttpError(404, f"客户经理“{body.manager}”不存在。")
    t = kpi.target_save(by=user, manager=manager, year=body.year, metric=body.metric, value=body.value)
    return {"manager": manager.username, "year": t.year, "metric": t.metric, "value": t.value}


class BriefItem(Schema):
    customer_id: int | None
    customer: str
    text: str


class BriefOut(Schema):
    period: Literal["daily", "weekly"]
    title: str
    start: dt.date
    end: dt.date
    month: dt.date | None = Field(description="最新评分的月份")
    at_risk: list[BriefItem] = Field(description="A+/A 客户高流失风险")
    downgraded: list[BriefItem] = Field(description="A+/A 客户降级")
    revenue_moves: list[BriefItem] = Field(description="A+/A 客户收入大幅变动")
    competitor_events: list[BriefItem]
    escalations: list[BriefItem] = Field(description="逾期升级的任务和服务请求")
    won: list[BriefItem]
    lost: list[BriefItem]
    summary: list[str] = Field(description="摘要句子（邮件与企业微信所用）")


def _item(customer: Any, text: str) -> dict[str, Any]:
    return {
        "customer_id": customer.pk if customer else None,
        "customer": customer.name if customer else "",
        "text": text,
    }


@router.get("/briefs/{period}", response=BriefOut, summary="重要客户信息日报/周报（区域经理、省公司管理员）")
def brief_get(request: AuthedRequest, period: Literal["daily", "weekly"]) -> Any:
    b = brief.brief(request.user, period)
    return {
        "period": b.period,
        "title": b.title,
        "start": b.start,
        "end": b.end,
        "month": b.month,
        "at_risk": [_item(s.customer, f"{s.tier} · {(s.churn_risk or 0) * 100:.0f}%") for s in b.at_risk],
        "downgraded": [_item(c.customer, f"{c.from_tier} → {c.to_tier or '-'}") for c in b.downgraded],
        "revenue_moves": [_item(m["customer"], f"{m['before']:.0f} → {m['now']:.0f}") for m in b.revenue_moves],
        "competitor_events": [
            _item(None, f"{e.date:%Y-%m-%d} {e.get_operator_display()} {e.get_kind_display()}：{e.summary}")
            for e in b.competitor_events
        ],
        "escalations": [_item(t.customer, t.title) for t in b.escalated_tasks]
        + [_item(r.customer, r.get_request_type_display()) for r in b.escalated_requests],
        "won": [_item(o.customer, o.name) for o in b.won],
        "lost": [_item(o.customer, o.name) for o in b.lost],
        "summary": b.lines(),
    }
