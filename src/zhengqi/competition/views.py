"""Pages of competitor intelligence: activity by city and operator, events, response plans."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
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

from .models import CompetitorEvent, Severity
from .reaction import (
    may_form,
    may_work,
    policy,
    proposal,
    response_times,
    step_done,
    team_candidates,
    team_form,
    team_of,
)
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
    times = response_times(user=user, months=data.months)
    chart_response = {
        "kind": "bar",
        "categories": data.months,
        "series": [
            (_("按时首次响应"), times.on_time),
            (_("超时或未响应"), [f - o for f, o in zip(times.formed, times.on_time, strict=True)]),
        ],
        "stacked": True,
    }
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
            "times": times,
            "response_rows": list(zip(times.months, times.formed, times.on_time, times.median_hours, strict=True)),
            "chart_response": chart_response,
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
                    severity=request.POST.get("severity") or Severity.NORMAL,
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            text = _("已登记，%(n)d 个客户新增竞争防范预警。") % {"n": opened}
            if hasattr(event, "team"):
                text += _("已组建快速反应小组，请在时限内首次响应。")
            messages.success(request, text)
            return redirect("competition:event", pk=event.pk)
    return render(
        request,
        "competition/event_new.html",
        {
            "errors": errors,
            "values": values,
            "operators": Customer.Operator.choices,
            "kinds": CompetitorEvent.Kind.choices,
            "severities": Severity.choices,
            "threshold": policy().get_threshold_display(),
            "today": timezone.localdate(),
        },
        status=422 if errors else 200,
    )


def event_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = event_get(user=user, pk=pk)
    customers = event.customers.filter(customer_scope(user)).select_related("region", "account_manager")
    team = team_of(event)
    context: dict[str, Any] = {
        "e": event,
        "customers": customers,
        "plans": plans_for(event),
        "may_launch": may_launch(user),
        "team": team,
        "steps": team.steps.select_related("done_by") if team else [],
        "may_work": team is not None and may_work(user, team),
        "may_form": may_form(user),
        "threshold": policy().get_threshold_display(),
        "may_record_tariff": matrix.role_of(user) in matrix.WORKERS,
    }
    if team is not None and not customers:  # a solution engineer sees whom the team answers, by name
        context["team_customers"] = event.customers.select_related("region").order_by("code")
    if context["may_form"]:
        context["proposed"] = proposal(event, by=user)
        context["candidates"] = candidates = team_candidates(user)
        for pool, chosen in (
            (candidates.account_managers, team.account_manager if team else context["proposed"].account_manager),
            (candidates.engineers, team.engineer if team else context["proposed"].engineer),
            (candidates.managers, team.manager if team else context["proposed"].manager),
        ):
            if chosen is not None and chosen not in pool:
                pool.insert(0, chosen)
    return render(request, "competition/event.html", context)


@require_POST
def team_form_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """A manager forms the event's quick-reaction team (or changes its members)."""
    user = request.user
    event = event_get(user=user, pk=pk)
    formed = team_of(event) is not None
    try:
        team_form(
            by=user,
            event=event,
            account_manager_id=parse_int(request.POST.get("account_manager")),
            engineer_id=parse_int(request.POST.get("engineer")),
            manager_id=parse_int(request.POST.get("manager")),
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已调整小组成员。") if formed else _("已组建快速反应小组，成员已收到通知。"))
    return redirect("competition:event", pk=pk)


@require_POST
def step_done_view(request: AuthedRequest, pk: int, step: int) -> HttpResponse:
    user = request.user
    event = event_get(user=user, pk=pk)
    team = team_of(event)
    if team is None:
        raise Http404(_("该动向没有快速反应小组。"))
    try:
        done = step_done(by=user, team=team, step_id=step, note=request.POST.get("note", ""))
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已完成“%(s)s”。") % {"s": done.title})
    return redirect("competition:event", pk=pk)


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
        days = parse_int(request.POST.get("days") or "30") or 0  # not a number: refused by plan_save
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
