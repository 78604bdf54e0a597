"""Pages of the opportunity pipeline (F-10): the board by stage with the forecast, an opportunity's
page (edit with a stale-save refusal, lose with a reason, start and advance its project)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Sum
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts.access import active_users_named
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get, products_catalogue
from zhengqi.marketing.models import WON_STAGES, Opportunity, Project, Stage
from zhengqi.marketing.pipeline.services import (
    OPEN_STAGES,
    OpportunityInput,
    forecast,
    may_sell,
    opportunities_visible_to,
    opportunity_create,
    opportunity_get,
    opportunity_update,
    probabilities,
    project_advance,
    project_of,
    project_start,
)
from zhengqi.web.forms import StaleEdit, form_errors, parse_int


def _input(post: Any) -> OpportunityInput:
    try:
        close = dt.date.fromisoformat(post.get("close_date", "").strip()) if post.get("close_date") else None
    except ValueError:
        raise ValidationError({"close_date": _("日期格式应为 YYYY-MM-DD。")}) from None
    version = post.get("version")
    return OpportunityInput(
        name=post.get("name", ""),
        close_date=close,
        expected_revenue=post.get("expected_revenue") or 0,
        stage=post.get("stage", Stage.DISCOVERY),
        product_codes=post.getlist("products"),
        lost_reason=post.get("lost_reason", ""),
        version=parse_int(version),
    )


@login_required
def pipeline_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    chances = probabilities()
    qs = opportunities_visible_to(user).order_by("close_date", "pk")
    columns = []
    totals = {
        stage: (n, total)
        for stage, n, total in qs.order_by().values_list("stage").annotate(n=Count("pk"), total=Sum("expected_revenue"))
    }
    for stage in [*OPEN_STAGES, *WON_STAGES]:
        items = list(qs.filter(stage=stage)[:50])  # the board shows the first 50 of a column
        n, total = totals.get(stage, (0, None))
        columns.append((stage, Stage(stage).label, chances[stage], items, n, total or Decimal(0)))
    horizon, cells = forecast(user)
    rows = [(region, [by[m].weighted if m in by else Decimal(0) for m in horizon]) for region, by in cells.items()]
    chart = {
        "kind": "bar",
        "stacked": True,
        "unit": "yuan",
        "categories": [m.strftime("%Y-%m") for m in horizon],
        "series": [[region, [float(v) for v in values]] for region, values in rows],
    }
    return render(
        request,
        "marketing/pipeline.html",
        {
            "columns": columns,
            "months": horizon,
            "rows": rows,
            "chart": chart if rows else None,
            "lost": qs.filter(stage=Stage.LOST).count(),
        },
    )


def _form_context(
    opportunity: Opportunity | None, values: dict[str, Any], errors: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "opportunity": opportunity,
        "values": values,
        "errors": errors or {},
        "stages": Stage.choices,
        "products": products_catalogue(),
        "phases": Project.Phase.choices,
    }


def _values(o: Opportunity) -> dict[str, Any]:
    return {
        "name": o.name,
        "close_date": o.close_date.isoformat(),
        "expected_revenue": o.expected_revenue,
        "stage": o.stage,
        "products": set(o.products.values_list("code", flat=True)),
        "lost_reason": o.lost_reason,
        "version": o.version,
    }


def _posted(post: Any) -> dict[str, Any]:
    return {
        "name": post.get("name", ""),
        "close_date": post.get("close_date", ""),
        "expected_revenue": post.get("expected_revenue", ""),
        "stage": post.get("stage", ""),
        "products": set(post.getlist("products")),
        "lost_reason": post.get("lost_reason", ""),
        "version": post.get("version", ""),
    }


@login_required
def opportunity_new_page(request: AuthedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    if request.method == "POST":
        try:
            made = opportunity_create(by=user, customer=customer, data=_input(request.POST))
        except ValidationError as err:
            context = _form_context(None, _posted(request.POST), form_errors(err))
            context["customer"] = customer
            return render(request, "marketing/opportunity.html", context, status=400)
        messages.success(request, _("商机“%(name)s”已登记。") % {"name": made.name})
        return redirect("marketing:opportunity", pk=made.pk)
    context = _form_context(None, {"stage": Stage.DISCOVERY, "products": set()})
    context["customer"] = customer
    return render(request, "marketing/opportunity.html", context)


@login_required
def opportunity_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    opportunity = opportunity_get(user=user, pk=pk)
    status = 200
    if request.method == "POST":
        try:
            opportunity_update(by=user, opportunity=opportunity, data=_input(request.POST))
        except StaleEdit as err:
            context = _form_context(opportunity, _posted(request.POST))
            context.update(customer=opportunity.customer, stale=" ".join(err.messages), may_edit=True)
            return render(request, "marketing/opportunity.html", context, status=409)
        except ValidationError as err:
            context = _form_context(opportunity, _posted(request.POST), form_errors(err))
            context.update(customer=opportunity.customer, may_edit=True)
            return render(request, "marketing/opportunity.html", context, status=400)
        messages.success(request, _("商机已保存。"))
        return redirect("marketing:opportunity", pk=opportunity.pk)
    context = _form_context(opportunity, _values(opportunity))
    project = project_of(opportunity)
    context.update(
        customer=opportunity.customer,
        project=project,
        team=project.team.all() if project else [],
        may_edit=may_sell(user),
        may_start=may_sell(user) and opportunity.stage in WON_STAGES and project is None,
        probability=probabilities()[opportunity.stage],
        today=dt.date.today(),
    )
    return render(request, "marketing/opportunity.html", context, status=status)


@login_required
@require_POST
def project_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """Start the project of a won opportunity, or move it to another phase."""
    user = request.user
    opportunity = opportunity_get(user=user, pk=pk)
    post = request.POST
    try:
        project = project_of(opportunity)
        if project is None:
            team = active_users_named(post.get("team", "").replace("，", ",").split(","))
            start = dt.date.fromisoformat(post.get("started", ""))
            end = dt.date.fromisoformat(post.get("planned_end", ""))
            project_start(by=user, opportunity=opportunity, started=start, planned_end=end, team=team)
            messages.success(request, _("已立项。"))
        else:
            version = post.get("version", "")
            project_advance(
                by=user,
                project=project,
                phase=post.get("phase", ""),
                note=post.get("note", ""),
                version=parse_int(version),
            )
            messages.success(request, _("项目已更新。"))
    except ValueError:
        messages.error(request, _("日期格式应为 YYYY-MM-DD。"))
    except (ValidationError, PermissionDenied) as err:
        messages.error(request, " ".join(err.messages) if isinstance(err, ValidationError) else str(err))
    return redirect("marketing:opportunity", pk=opportunity.pk)
