"""Pages of competitor intelligence: activity by city and operator, events, response plans."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import products_catalogue
from zhengqi.marketing.campaigns.services import ALL_CHANNELS
from zhengqi.marketing.models import Campaign
from zhengqi.web.forms import form_errors, parse_day, parse_int

from .models import CompetitorEvent
from .selectors import plan_get, plans
from .services import (
    EventInput,
    PlanInput,
    activity,
    event_get,
    event_save,
    events_visible_to,
    may_launch,
    may_record,
    plan_launch,
    plan_save,
    plans_for,
)


def competition(request: AuthedRequest) -> HttpResponse:
    user = request.user
    try:
        months = max(1, min(24, int(request.GET.get("months", "6"))))
    except ValueError:
        months = 6
    data = activity(user=user, months=months)
    chart_city = {"kind": "bar", "categories": data.months, "series": data.by_city, "stacked": True}
    chart_operator = {"kind": "line", "categories": data.months, "series": data.by_operator}
    events = events_visible_to(user).prefetch_related("customers")[:30]
    return render(
        request,
        "competition/competition.html",
        {
            "a": data,
            "months": months,
            "chart_city": chart_city,
            "chart_operator": chart_operator,
            "events": events,
            "plans": plans(active_only=True),
            "may_record": may_record(user),
            "may_plan": matrix.role_of(user) in matrix.CONFIGURERS,
        },
    )


def event_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    errors: dict[str, list[str]] = {}
    values: Any = request.POST if request.method == "POST" else {"customers": request.GET.get("customer", "")}
    if request.method == "POST":
        raw_codes = request.POST.get("customers", "").replace("，", ",").replace("、", ",").replace("\n", ",")
        try:
            event, opened = event_save(
                by=user,
                data=EventInput(
                    operator=request.POST.get("operator", ""),
                    kind=request.POST.get("kind", ""),
                    summary=request.POST.get("summary", ""),
                    date=parse_day(request.POST.get("date"), "date"),
                    customer_codes=[c for c in (s.strip() for s in raw_codes.split(",")) if c],
                    evidence=request.POST.get("evidence", ""),
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("已登记，%(n)d 个客户新增竞争防范预警。") % {"n": opened})
            return redirect("competition:event", pk=event.pk)
    return render(
        request,
        "competition/event_new.html",
        {
            "errors": errors,
            "values": values,
            "operators": Customer.Operator.choices,
            "kinds": CompetitorEvent.Kind.choices,
            "today": timezone.localdate(),
        },
        status=422 if errors else 200,
    )


def event_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = event_get(user=user, pk=pk)
    customers = event.customers.filter(customer_scope(user)).select_related("region", "account_manager")
    return render(
        request,
        "competition/event.html",
        {"e": event, "customers": customers, "plans": plans_for(event), "may_launch": may_launch(user)},
    )


@require_POST
def event_launch(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = event_get(user=user, pk=pk)
    plan = plan_get(parse_int(request.POST.get("plan")), active_only=True)
    if plan is None:
        messages.error(request, _("请选择一个启用中的应对预案。"))
        return redirect("competition:event", pk=pk)
    try:
        done = plan_launch(by=user, event=event, plan=plan)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
        return redirect("competition:event", pk=pk)
    text = _("已启动应对活动“%(c)s”：%(n)d 个目标客户，已给客户经理派发任务。") % {
        "c": done.campaign.name,
        "n": done.targets,
    }
    if done.skipped:
        text += _("另有 %(k)d 个客户不在您的范围内、不在网或无客户经理，未纳入。") % {"k": done.skipped}
    messages.success(request, text)
    return redirect("marketing:campaign", pk=done.campaign.pk)


def plan_new(request: AuthedRequest) -> HttpResponse:
    """A planner prepares a response plan: what a campaign launched from it will offer."""
    user = request.user
    errors: dict[str, list[str]] = {}
    values: Any = request.POST if request.method == "POST" else {"days": 30}
    if request.method == "POST":
        try:
            days = int(request.POST.get("days") or 30)
        except ValueError:
            days = 0
        try:
            made = plan_save(
                by=user,
                data=PlanInput(
                    name=request.POST.get("name", ""),
                    product_codes=request.POST.getlist("products"),
                    offer=request.POST.get("offer", ""),
                    operator=request.POST.get("operator", ""),
                    message=request.POST.get("message", ""),
                    channels=request.POST.getlist("channels") or None,
                    days=days,
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(request, _("已保存应对预案“%(p)s”。") % {"p": made.name})
            return redirect("competition:activity")
    chosen = set(values.getlist("products")) if hasattr(values, "getlist") else set()
    picked = set(values.getlist("channels")) if hasattr(values, "getlist") else set()
    return render(
        request,
        "competition/plan_new.html",
        {
            "errors": errors,
            "values": values,
            "operators": Customer.Operator.choices,
            "products": [(p, p.code in chosen) for p in products_catalogue()],
            "channels": [(c, Campaign.Channel(c).label, c in picked) for c in ALL_CHANNELS],
        },
        status=422 if errors else 200,
    )
