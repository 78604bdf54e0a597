"""Pages of 客户经理培养: the account managers with their training, certificates, yearly rating and
grade proposals (decided here by their regional manager), the customers whose tier exceeds their
manager's grade with a one-click reassignment, and one manager's development record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.qualification import violations
from zhengqi.customers.selectors import account_manager_get, customer_get
from zhengqi.customers.services import QUALIFIED_GRADE, customer_assign_manager
from zhengqi.web.forms import parse_day, parse_int

from .talent import (
    certification_add,
    course_record_add,
    courses,
    grade_change_decide,
    grade_name,
    history,
    may_decide,
    may_record,
    open_changes,
    people,
    person_get,
    rate_year,
)


def _year(request: AuthedRequest) -> int:
    this = timezone.localdate().year
    year = parse_int(request.GET.get("year") or request.POST.get("year"))
    return year if year is not None and 2000 <= year <= this else this


def talent_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    year = _year(request)
    rows = people(user, year)
    found, total = violations(user)
    this = timezone.localdate().year
    chart = {
        "kind": "bar",
        "categories": [str(r.manager) for r in rows],
        "series": [
            (_("业绩得分"), [float(r.rating.kpi_points) if r.rating else None for r in rows]),
            (_("培训与认证得分"), [float(r.rating.training_points) if r.rating else None for r in rows]),
        ],
        "stacked": True,
    }
    return render(
        request,
        "insight/talent.html",
        {
            "rows": rows,
            "year": year,
            "years": list(range(this, this - 4, -1)),
            "chart": chart if any(r.rating for r in rows) else None,
            "violations": found,
            "violations_total": total,
            "qualified_grade": grade_name(QUALIFIED_GRADE),
            "may_rate": matrix.role_of(user) in matrix.MANAGERS,
            "deciders": {r.open_change.pk for r in rows if r.open_change and may_decide(user, r.open_change)},
            "grade_name": grade_name,
        },
    )


@require_POST
def talent_rate(request: AuthedRequest) -> HttpResponse:
    year = _year(request)
    try:
        made = rate_year(by=request.user, year=year)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        proposals = sum(1 for r in made if r.proposed_grade != r.grade)
        messages.success(
            request,
            _("已完成 %(y)s 年度评级：%(n)s 位客户经理，%(p)s 项等级调整待审批。")
            % {"y": year, "n": len(made), "p": proposals},
        )
    return redirect(f"{reverse('insight:talent')}?year={year}")


@require_POST
def talent_decide(request: AuthedRequest, change_id: int) -> HttpResponse:
    approve = request.POST.get("decision") == "approve"
    try:
        change = grade_change_decide(
            by=request.user, change_id=change_id, approve=approve, note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(
            request,
            (_("已批准：%(name)s 调整为%(grade)s。") if approve else _("已驳回 %(name)s 的等级调整。"))
            % {"name": change.user, "grade": grade_name(change.to_grade)},
        )
    return redirect(request.POST.get("back") or reverse("insight:talent"))


@require_POST
def qualification_fix(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """One click: the customer goes to the proposed qualified account manager."""
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    to = account_manager_get(request.POST.get("to_manager"))
    if to is None:
        messages.error(request, _("没有可接手的高级客户经理：请先提升或调入一位。"))
    else:
        try:
            customer_assign_manager(
                customer=customer, to_manager=to, by=user, reason=_("任职资格复核：客户等级高于原客户经理等级")
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("已将 %(c)s 转给 %(m)s。") % {"c": customer.name, "m": to})
    return redirect(reverse("insight:talent") + "#qualification")


def talent_person(request: AuthedRequest, user_id: int) -> HttpResponse:
    user = request.user
    manager = person_get(user=user, pk=user_id)
    return render(request, "insight/talent_person.html", _person_context(user, manager))


def _person_context(user: User, manager: User, **extra: Any) -> dict[str, Any]:
    return {
        "manager": manager,
        **history(manager),
        "courses_all": courses(),
        "grades": User.Grade.choices,
        "may_record": may_record(user, manager),
        "deciders": {c.pk for c in open_changes(manager) if may_decide(user, c)},
        "grade_name": grade_name,
        **extra,
    }


def _record(request: AuthedRequest, user_id: int, act: Any, ok: str) -> HttpResponse:
    user = request.user
    manager = person_get(user=user, pk=user_id)
    try:
        act(manager)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        context = _person_context(user, manager, errors={k: v[0] for k, v in errors.items()}, posted=request.POST)
        return render(request, "insight/talent_person.html", context, status=422)
    messages.success(request, ok)
    return redirect("insight:talent_person", user_id=manager.pk)


@require_POST
def talent_course(request: AuthedRequest, user_id: int) -> HttpResponse:
    post = request.POST

    def act(manager: User) -> None:
        course_record_add(
            by=request.user,
            user_id=manager.pk,
            course_id=parse_int(post.get("course")) or 0,
            date=parse_day(post.get("date"), "date"),
            score=post.get("score", ""),
        )

    return _record(request, user_id, act, _("已登记培训成绩。"))


@require_POST
def talent_certification(request: AuthedRequest, user_id: int) -> HttpResponse:
    post = request.POST

    def act(manager: User) -> None:
        certification_add(
            by=request.user,
            user_id=manager.pk,
            name=post.get("name", ""),
            grade=post.get("grade", ""),
            issued=parse_day(post.get("issued"), "issued"),
            expires=parse_day(post.get("expires"), "expires"),
            score=post.get("score", ""),
        )

    return _record(request, user_id, act, _("已登记任职资格认证。"))
