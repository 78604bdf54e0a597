"""Pages of service requests: the queue and a request's page (accept, resolve, close with feedback,
send back), and the surveys recorded from a customer's page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, QuerySet, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.web.forms import form_errors, month_choices, parse_day, parse_int

from .assessment import assessment, departments, target_set, targets_for, targets_of
from .models import RequestType, ServiceRequest, SupportTarget
from .requests import (
    RequestInput,
    customer_for_request,
    departments_of,
    may_accept,
    may_follow_up,
    may_resolve,
    request_close,
    request_create,
    request_get,
    request_reopen,
    request_resolve,
    request_transfer,
    requests_visible_to,
    transfer_targets,
)
from .surveys import SurveyInput, survey_record

# --- service requests ---------------------------------------------------------------------------


def _filtered(request: AuthedRequest, qs: QuerySet[ServiceRequest]) -> QuerySet[ServiceRequest]:
    status = request.GET.get("status", "")
    if status == "overdue":
        qs = qs.filter(status=ServiceRequest.Status.OPEN, due_at__lt=timezone.now())
    elif status == "escalated":
        qs = qs.filter(escalated_at__isnull=False, status=ServiceRequest.Status.OPEN)
    elif status in ServiceRequest.Status.values:
        qs = qs.filter(status=status)
    kind = request.GET.get("type", "")
    if kind in RequestType.values:
        qs = qs.filter(request_type=kind)
    return qs


def request_list(request: AuthedRequest) -> HttpResponse:
    """The queue of a department user; the requests of the customers a staff member may see."""
    user = request.user
    visible = requests_visible_to(user)
    # what waits first: open by deadline, then those waiting for the customer's call, then the closed
    stage = Case(
        When(status=ServiceRequest.Status.OPEN, then=Value(0)),
        When(status=ServiceRequest.Status.RESOLVED, then=Value(1)),
        default=Value(2),
    )
    qs = _filtered(request, visible).order_by(stage, "due_at", "-pk")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    now = timezone.now()
    counts = {
        "open": visible.filter(status=ServiceRequest.Status.OPEN).count(),
        "overdue": visible.filter(status=ServiceRequest.Status.OPEN, due_at__lt=now).count(),
        "resolved": visible.filter(status=ServiceRequest.Status.RESOLVED).count(),
        "escalated_to_me": visible.filter(status=ServiceRequest.Status.OPEN, escalated_to=user).count(),
    }
    return render(
        request,
        "support/requests.html",
        {
            "page": page,
            "counts": counts,
            "now": now,
            "departments": departments_of(user),
            "is_department": matrix.role_of(user) == "department",
            "may_accept": may_accept(user),
            "status": request.GET.get("status", ""),
            "type": request.GET.get("type", ""),
            "types": RequestType.choices,
        },
    )


def request_new(request: AuthedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            made = request_create(
                by=user,
                data=RequestInput(
                    customer_id=customer.pk,
                    request_type=request.POST.get("request_type", ""),
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                    priority=request.POST.get("priority", ServiceRequest.Priority.NORMAL),
                    key_person_id=parse_int(request.POST.get("key_person")),
                    external_ref=request.POST.get("external_ref", ""),
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            return _accepted(request, made)
    return render(
        request,
        "support/request_new.html",
        {
            "customer": customer,
            "key_persons": customer.key_persons.order_by("name"),
            "types": RequestType.choices,
            "priorities": ServiceRequest.Priority.choices,
            "errors": errors,
            "values": request.POST if request.method == "POST" else {"request_type": request.GET.get("type", "")},
        },
        status=422 if errors else 200,
    )


def _request_page(
    request: AuthedRequest, found: ServiceRequest, errors: dict[str, list[str]] | None = None
) -> HttpResponse:
    user = request.user
    context = {
        "r": found,
        "events": found.events.select_related("by"),
        "may_resolve": may_resolve(user, found),
        "transfer_to": transfer_targets(found) if may_resolve(user, found) else [],
        "may_follow_up": may_follow_up(user, found),
        "sees_customer": matrix.role_of(user) in matrix.STAFF,
        "errors": errors or {},
        "values": request.POST if errors else {},
    }
    return render(request, "support/request.html", context, status=422 if errors else 200)


def desk_new(request: AuthedRequest) -> HttpResponse:
    """The service desk (or anyone who accepts requests) names the customer by its code or credit
    code: a call comes in, the request is logged and routed at once."""
    user = request.user
    if not may_accept(user):
        raise PermissionDenied(_("服务请求由客户经理、区域经理、省公司管理员或客服受理。"))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            customer = customer_for_request(by=user, code=request.POST.get("customer", ""))
            made = request_create(
                by=user,
                data=RequestInput(
                    customer_id=customer.pk,
                    request_type=request.POST.get("request_type", ""),
                    title=request.POST.get("title", ""),
                    description=request.POST.get("description", ""),
                    priority=request.POST.get("priority", ServiceRequest.Priority.NORMAL),
                    external_ref=request.POST.get("external_ref", ""),
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            return _accepted(request, made)
    return render(
        request,
        "support/request_new.html",
        {
            "customer": None,
            "types": RequestType.choices,
            "priorities": ServiceRequest.Priority.choices,
            "errors": errors,
            "values": request.POST if request.method == "POST" else {},
        },
        status=422 if errors else 200,
    )


def _accepted(request: AuthedRequest, made: ServiceRequest) -> HttpResponse:
    due = timezone.localtime(made.due_at).strftime("%Y-%m-%d %H:%M")
    messages.success(
        request, _("已受理 %(n)s，分派至%(d)s，时限 %(due)s。") % {"n": made.number, "d": made.department, "due": due}
    )
    return redirect("support:request", pk=made.pk)


def request_page(request: AuthedRequest, pk: int) -> HttpResponse:
    return _request_page(request, request_get(user=request.user, pk=pk))


def _action(request: AuthedRequest, pk: int, act: Any, ok: str) -> HttpResponse:
    """Run one step on a request the user may see; a refusal shows the page again with why."""
    user = request.user
    found = request_get(user=user, pk=pk)
    try:
        act(user, found)
    except ValidationError as exc:
        return _request_page(request, found, form_errors(exc))
    messages.success(request, ok)
    return redirect("support:request", pk=pk)


@require_POST
def request_resolve_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda user, r: request_resolve(by=user, request=r, resolution=request.POST.get("resolution", "")),
        _("已办结，等待客户经理回访。"),
    )


@require_POST
def request_close_view(request: AuthedRequest, pk: int) -> HttpResponse:
    raw = request.POST.get("satisfied", "")
    satisfied = {"yes": True, "no": False}.get(raw)
    return _action(
        request,
        pk,
        lambda user, r: request_close(
            by=user,
            request=r,
            satisfied=satisfied,
            feedback=request.POST.get("feedback", ""),
            score=parse_int(request.POST.get("score")),
        ),
        _("已记录客户反馈并关闭。"),
    )


@require_POST
def request_reopen_view(request: AuthedRequest, pk: int) -> HttpResponse:
    return _action(
        request,
        pk,
        lambda user, r: request_reopen(by=user, request=r, reason=request.POST.get("reason", "")),
        _("已退回处理部门重办。"),
    )


@require_POST
def request_transfer_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """Pass the request on; the passing department's user goes back to the queue (it is no longer
    theirs), anyone else stays on the request."""
    user = request.user
    found = request_get(user=user, pk=pk)
    try:
        moved = request_transfer(
            by=user,
            request=found,
            to_department_id=parse_int(request.POST.get("department")),
            reason=request.POST.get("reason", ""),
        )
    except ValidationError as exc:
        return _request_page(request, found, form_errors(exc))
    messages.success(
        request, _("已将 %(n)s 转派至%(d)s，处理时限不变。") % {"n": moved.number, "d": moved.department.name}
    )
    if requests_visible_to(user).filter(pk=pk).exists():
        return redirect("support:request", pk=pk)
    return redirect("support:requests")


# --- the departments' assessment ------------------------------------------------------------------


def assessment_page(request: AuthedRequest) -> HttpResponse:
    """The departments of one month, ranked against the province's targets (default: last month)."""
    user = request.user
    today = timezone.localdate()
    choices = month_choices(today)
    month = choices[1]
    raw = request.GET.get("month", "")
    try:
        month = dt.date.fromisoformat(raw + "-01") if raw else month
    except ValueError:
        messages.error(request, _("月份“%(m)s”无效，显示上月。") % {"m": raw[:10]})
    rows = assessment(user=user, month=month)
    province_target = targets_for(month.year).get(None, {}).get(SupportTarget.Metric.ON_TIME)
    chart = {
        "kind": "bar",
        "categories": [r.department.name for r in rows],
        "series": [(_("按时办结率"), [r.on_time_rate for r in rows])],
        "unit": "pct",
        "reference": (_("目标"), float(province_target)) if province_target is not None else None,
    }
    return render(
        request,
        "support/assessment.html",
        {
            "rows": rows,
            "month": month,
            "months": choices,
            "chart": chart,
            "metrics": SupportTarget.Metric.choices,
            "targets": targets_of(month.year),
            "departments": departments(),
            "may_set": matrix.role_of(user) == "admin",
            "mine": set(departments_of(user).values_list("pk", flat=True)),
        },
    )


@require_POST
def target_set_view(request: AuthedRequest) -> HttpResponse:
    user = request.user
    year = parse_int(request.POST.get("year")) or timezone.localdate().year
    try:
        made = target_set(
            by=user,
            year=year,
            metric=request.POST.get("metric", ""),
            value=request.POST.get("value", ""),
            department_id=parse_int(request.POST.get("department")),
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已设定考核目标。") if made else _("已删除该考核目标。"))
    back = request.POST.get("month", "")
    return redirect(f"{reverse('support:assessment')}?month={back}" if back else reverse("support:assessment"))


# --- surveys --------------------------------------------------------------------------------------


@require_POST
def survey_new(request: AuthedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    try:
        survey_record(
            by=user,
            data=SurveyInput(
                customer_id=customer.pk,
                kind=request.POST.get("kind", ""),
                satisfied={"yes": True, "no": False}.get(request.POST.get("satisfied", "")),
                date=parse_day(request.POST.get("date"), "date"),
                score=parse_int(request.POST.get("score")),
                key_person_id=parse_int(request.POST.get("key_person")),
                note=request.POST.get("note", ""),
            ),
        )
    except ValidationError as exc:
        for messages_ in form_errors(exc).values():
            for m in messages_:
                messages.error(request, m)
    else:
        messages.success(request, _("已记录满意度调查。"))
    return redirect("customers:detail", pk=customer.pk)
