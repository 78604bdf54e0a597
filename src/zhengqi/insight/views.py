"""Pages of the insight dashboards, the customers behind a number, and the monthly report."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from zhengqi.accounts.access import regions_of
from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.models import INDUSTRIES, Customer
from zhengqi.engine.value.tiers import TIERS
from zhengqi.web.exports import FORMATS, TableExport, export_response

from . import brief, dashboards, exports, figures, kpi, report
from .access import require_reader
from .dashboards import DASHBOARDS, DRILL_KEYS
from .exports import CONTENT_TYPES, report_label
from .figures import FilterError, Filters


def _filters(request: AuthedRequest, user: User) -> Filters:
    g = request.GET
    return figures.make_filters(
        user,
        month=g.get("month") or None,
        region=g.get("region", ""),
        tier=g.get("tier", ""),
        industry=g.get("industry", ""),
        customer_type=g.get("customer_type", ""),
    )


def _form_context(user: User, f: Filters | None) -> dict[str, Any]:
    root = figures.scope_root(user)
    regions = regions_of(user, under=root) if root else []
    return {
        "filters": f,
        "months": figures.months_available(),
        "regions": regions,
        "tiers": TIERS,
        "industries": INDUSTRIES,
        "customer_types": Customer.Type.choices,
        "dashboards": [(k, str(t)) for k, (t, _fn) in DASHBOARDS.items()],
    }


def _refused(request: AuthedRequest, user: User, template: str, err: FilterError, **extra: Any) -> HttpResponse:
    return render(request, template, {**_form_context(user, None), "error": str(err), **extra}, status=400)


@login_required
def dashboard_page(request: AuthedRequest, key: str = "performance") -> HttpResponse:
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
        if key not in DASHBOARDS:
            raise FilterError(_("没有名为“%(k)s”的看板。") % {"k": key})
    except FilterError as err:
        return _refused(request, user, "insight/dashboard.html", err, key=key)
    # The page's body (tabs, filters, panels) is cached with the figures (the same key: scope,
    # filters, language, data version): most views are repeats, and rendering the filters' options
    # cost as much as the rest of the request.
    body_key = dashboards.cache_key(user, key, f) + ":body"
    body = cache.get(body_key)
    if body is None:
        board = dashboards.dashboard(user, key, f)
        panels = render_to_string("insight/_panels.html", {"board": board}, request=request)
        context = {
            **_form_context(user, f),
            "title": DASHBOARDS[key][0],
            "panels": panels,
            "key": key,
            "progress": figures.time_progress(f.month),
        }
        body = render_to_string("insight/_dashboard_body.html", context, request=request)
        cache.set(body_key, body, dashboards.CACHE_SECONDS)
    return render(request, "insight/dashboard.html", {"body": body, "title": DASHBOARDS[key][0]})


@login_required
def customers_page(request: AuthedRequest) -> HttpResponse:
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
        qs = dashboards.drill(user, f, {k: request.GET.get(k, "") for k in DRILL_KEYS})
    except FilterError as err:
        return _refused(request, user, "insight/customers.html", err)
    measure = request.GET.get("measure", "")
    qs = qs.select_related("customer__region", "customer__account_manager").order_by(
        *dashboards.MEASURES_SHOWN[measure], "customer__name"
    )
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(
        request,
        "insight/customers.html",
        {
            **_form_context(user, f),
            "page": page,
            "total": page.paginator.count,
            "ytd": measure == "ytd",
            "query": keep.urlencode(),
            # the number's own condition stays when the filters change
            "keep": [(k, request.GET[k]) for k in DRILL_KEYS if request.GET.get(k)],
        },
    )


@login_required
def report_page(request: AuthedRequest) -> HttpResponse:
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
        built = report.build(user, f)
    except FilterError as err:
        return _refused(request, user, "insight/report.html", err)
    fmt = request.GET.get("format", "")
    if fmt in CONTENT_TYPES:
        body = exports.to_excel(built) if fmt == "xlsx" else exports.to_pdf(built)
        log_export(by=user, what=report_label(built, f), fmt=fmt, rows=built.rows, request=request)
        response = HttpResponse(body, content_type=CONTENT_TYPES[fmt])
        name = f"zhengqi-report-{f.month:%Y-%m}{'-' + f.region.code if f.region else ''}.{fmt}"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if fmt:
        return _refused(
            request,
            user,
            "insight/report.html",
            FilterError(_("不支持的导出格式“%(f)s”（xlsx 或 pdf）。") % {"f": fmt}),
        )
    return render(
        request, "insight/report.html", {**_form_context(user, f), "report": built, "query": request.GET.urlencode()}
    )


@login_required
def kpi_page(request: AuthedRequest) -> HttpResponse:
    """绩效考核 by account manager (F-18): KPIs against targets and time progress, ranked; each
    manager's row leads to the customers behind it."""
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
    except FilterError as err:
        return _refused(request, user, "insight/kpi.html", err, key="kpi")
    rows = kpi.kpis(user, f.month, region=f.region)
    progress = figures.time_progress(f.month)
    chart = {
        "kind": "bar",
        "unit": "pct",
        "categories": [r.manager.display_name or r.manager.username for r in rows],
        "series": [[_("信息化收入完成率"), [r.revenue_completion for r in rows]]],
        "reference": [_("时间进度"), progress],
    }
    return render(
        request,
        "insight/kpi.html",
        {
            **_form_context(user, f),
            "key": "kpi",
            "rows": rows,
            "progress": progress,
            "chart": chart if any(r.revenue_completion is not None for r in rows) else None,
        },
    )


@login_required
def kpi_manager_page(request: AuthedRequest, manager_id: int) -> HttpResponse:
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
    except FilterError as err:
        return _refused(request, user, "insight/kpi.html", err, key="kpi")
    row = next((r for r in kpi.kpis(user, f.month, region=f.region) if r.manager.pk == manager_id), None)
    if row is None:
        raise Http404(_("客户经理不存在或不在您的范围内。"))
    page = Paginator(kpi.customers_of(user, row.manager, f.month), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "insight/kpi_manager.html",
        {**_form_context(user, f), "key": "kpi", "row": row, "page": page, "progress": figures.time_progress(f.month)},
    )


@login_required
def kpi_export(request: AuthedRequest, fmt: str) -> HttpResponseBase:
    """The KPI table as it is filtered, as Excel or CSV (in the audit log)."""
    user = require_reader(request.user)
    try:
        f = _filters(request, user)
        if fmt not in FORMATS:
            raise ValidationError(_("导出格式应为 xlsx 或 csv。"))
    except (FilterError, ValidationError) as err:
        messages.error(request, str(err) if isinstance(err, FilterError) else " ".join(err.messages))
        return redirect("insight:kpi")
    rows = kpi.kpis(user, f.month, region=f.region)
    log_export(by=user, what=_("绩效考核 %(m)s") % {"m": f"{f.month:%Y-%m}"}, fmt=fmt, rows=len(rows), request=request)
    columns = [
        _("客户经理"), _("客户数"), _("信息化收入（累计）"), _("年度目标"), _("完成率"),
        _("目标市场保有率"), _("成员在网率"), _("任务完成率"), _("满意度"),
    ]  # fmt: skip
    lines = [_("月份 %(m)s") % {"m": f"{f.month:%Y-%m}"}] + ([str(f.region)] if f.region else [])
    data = [
        [
            r.manager.display_name or r.manager.username,
            r.customers,
            float(r.revenue_info_ytd),
            float(r.revenue_target) if r.revenue_target is not None else None,
            r.revenue_completion,
            r.retention,
            r.in_network,
            r.task_completion,
            r.satisfaction,
        ]
        for r in rows
    ]
    table = TableExport(_("客户经理绩效考核"), [str(c) for c in columns], data, lines)
    return export_response(table, fmt, _("绩效考核") + f"{f.month:%Y%m}")


def brief_page(request: AuthedRequest) -> HttpResponse:
    """The leadership brief (重要客户信息日报/周报) of the reader's own scope."""
    b = brief.brief(request.user, request.GET.get("period", "daily"))
    body = brief.brief_html(b, request.user)
    return render(request, "insight/brief.html", {"b": b, "body": body})


def brief_pdf(request: AuthedRequest) -> HttpResponse:
    b = brief.brief(request.user, request.GET.get("period", "daily"))
    pdf = brief.brief_pdf(b, request.user)
    log_export(by=request.user, what=b.title, fmt="pdf", rows=0, request=request)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="zhengqi-brief-{b.period}-{b.end:%Y%m%d}.pdf"'
    return response
