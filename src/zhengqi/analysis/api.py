"""The dashboards, the customers behind their numbers, the monthly report and the revenue targets
in the REST API. Same services and the same row-level scope as the pages."""

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from zhengqi.accounts.access import sees_whole_province
from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import Region, User
from zhengqi.pagination import Pages

from . import dashboards, exports, figures, report
from .access import require_reader
from .figures import FilterError, Filters
from .models import Metric, Target
from .views import CONTENT_TYPES, report_label

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
    arrears: Decimal
    product_count: int
    members_active: int
    members_idle: int


class TargetOut(Schema):
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


def _filters(request: HttpRequest, q: FiltersIn) -> tuple[User, Filters]:
    user = require_reader(request.user)  # type: ignore[arg-type]
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
def list_dashboards(request: HttpRequest) -> Any:
    require_reader(request.user)  # type: ignore[arg-type]
    return [{"key": k, "title": str(t)} for k, (t, _fn) in dashboards.DASHBOARDS.items()]


@router.get("/dashboards/{key}", response=DashboardOut, summary="一个看板的数字、图表与明细链接")
def get_dashboard(request: HttpRequest, key: str, q: Query[FiltersIn]) -> Any:
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
def drill_customers(request: HttpRequest, q: Query[DrillIn]) -> Any:
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
            "arrears": s.arrears,
            "product_count": s.product_count,
            "members_active": s.members_active,
            "members_idle": s.members_idle,
        }
        for s in qs.select_related("customer__region").order_by("-revenue", "customer__name")
    ]


@router.get("/report", response=ReportOut, summary="月度经营分析报告（数据）")
def get_report(request: HttpRequest, q: Query[FiltersIn]) -> Any:
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
def get_report_file(request: HttpRequest, q: Query[FiltersIn], format: Literal["xlsx", "pdf"] = "pdf") -> HttpResponse:
    user, f = _filters(request, q)
    built = report.build(user, f)
    body = exports.to_excel(built) if format == "xlsx" else exports.to_pdf(built)
    log_export(by=user, what=report_label(built, f), fmt=format, rows=built.rows, request=request)
    response = HttpResponse(body, content_type=CONTENT_TYPES[format])
    response["Content-Disposition"] = f'attachment; filename="zhengqi-report-{f.month:%Y-%m}.{format}"'
    return response


@router.get("/targets", response=list[TargetOut], summary="年度收入目标（本人区域范围内）")
def list_targets(request: HttpRequest, year: int | None = None) -> Any:
    user = require_reader(request.user)  # type: ignore[arg-type]
    root = figures.scope_root(user)
    qs = Target.objects.select_related("region").filter(region__path__startswith=root.path if root else "//none")
    if year is not None:
        qs = qs.filter(year=year)
    return [
        {"region": t.region.code, "region_name": t.region.name, "year": t.year, "metric": t.metric, "amount": t.amount}
        for t in qs
    ]


@router.put("/targets", response=TargetOut, summary="设置一个区域的年度收入目标（省公司管理员）")
def put_target(request: HttpRequest, body: TargetIn) -> Any:
    user: User = request.user  # type: ignore[assignment]
    if not sees_whole_province(user):
        raise HttpError(403, "只有省公司管理员可以设置收入目标。")
    region = Region.objects.filter(code=body.region).first()
    if region is None:
        raise HttpError(404, f"区域“{body.region}”不存在。")
    if not body.amount.is_finite() or not 0 <= body.amount < Decimal("1e14") or not 2000 <= body.year <= 2100:
        raise HttpError(422, "目标金额应为 0 至 100 万亿元之间的数，年度应在 2000–2100 之间。")
    with transaction.atomic():
        target, _created = Target.objects.update_or_create(
            region=region,
            year=body.year,
            metric=body.metric,
            defaults={"amount": body.amount.quantize(Decimal("0.01")), "updated_by": user},
        )
    return {
        "region": region.code,
        "region_name": region.name,
        "year": target.year,
        "metric": Metric(target.metric).value,
        "amount": target.amount,
    }
