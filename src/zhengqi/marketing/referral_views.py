"""Pages of all-staff referrals: the short form (any login, made for a phone), the list, one referral
with its follow-up, and the month's rewards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import products_catalogue
from zhengqi.web.forms import form_errors, parse_int

from .models import Referral
from .referrals import (
    ReferralInput,
    customer_visible,
    may_follow,
    phone_for,
    referral_create,
    referral_get,
    referral_progress,
    referrals_visible_to,
    regions_to_pick,
    reward_rule_add,
    reward_rules,
    rewards,
)


def referral_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            made = referral_create(
                by=user,
                data=ReferralInput(
                    organisation=request.POST.get("organisation", ""),
                    region_id=parse_int(request.POST.get("region")),
                    need=request.POST.get("need", ""),
                    contact_name=request.POST.get("contact_name", ""),
                    contact_phone=request.POST.get("contact_phone", ""),
                    credit_code=request.POST.get("credit_code", ""),
                    product_codes=request.POST.getlist("products"),
                ),
            )
        except ValidationError as exc:
            errors = form_errors(exc)
        else:
            messages.success(
                request, _("已提交推荐 %(n)s，已转给 %(who)s 跟进。") % {"n": made.number, "who": made.routed_to}
            )
            return redirect("marketing:referral", pk=made.pk)
    return render(
        request,
        "marketing/referral_new.html",
        {
            "errors": errors,
            "values": request.POST if errors else {},
            "regions": regions_to_pick(),
            "products": products_catalogue(),
        },
        status=422 if errors else 200,
    )


def referral_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    qs = referrals_visible_to(user)
    status = request.GET.get("status", "")
    if status in Referral.Status.values:
        qs = qs.filter(status=status)
    return render(
        request,
        "marketing/referrals.html",
        {
            "referrals": qs[:200],
            "status": status,
            "statuses": Referral.Status.choices,
            "me": user.pk,
            "may_follow_any": matrix.role_of(user) in matrix.WORKERS,
        },
    )


def referral_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = referral_get(user=user, pk=pk)
    sees_customer = customer_visible(user, found)
    return render(
        request,
        "marketing/referral.html",
        {
            "r": found,
            "phone": phone_for(user, found),
            "may_follow": may_follow(user, found) and matrix.role_of(user) in matrix.WORKERS,
            "sees_customer": sees_customer,
            "statuses": [(v, label) for v, label in Referral.Status.choices if v != Referral.Status.NEW],
        },
    )


@require_POST
def referral_progress_view(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    found = referral_get(user=user, pk=pk)
    try:
        referral_progress(
            by=user,
            referral=found,
            status=request.POST.get("status", ""),
            note=request.POST.get("note", ""),
            won_revenue=request.POST.get("won_revenue", ""),
        )
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已记录跟进结果。"))
    return redirect("marketing:referral", pk=pk)


def referral_rewards(request: AuthedRequest) -> HttpResponse:
    """The month's rewards (default: this month) of the referrals the user may see."""
    user = request.user
    raw = request.GET.get("month", "")
    month = timezone.localdate().replace(day=1)
    try:
        month = dt.date.fromisoformat(raw + "-01") if raw else month
    except ValueError:
        messages.error(request, _("月份“%(m)s”无效，显示本月。") % {"m": raw[:10]})
    rows = rewards(user=user, month=month)
    return render(
        request,
        "marketing/referral_rewards.html",
        {
            "rows": rows,
            "month": month,
            "total": sum((r.total for r in rows), start=0),
            "rules": reward_rules(),
            "may_set": matrix.role_of(user) == "admin",
        },
    )


@require_POST
def referral_rule_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    raw = request.POST.get("effective_from", "")
    try:
        start = dt.date.fromisoformat(raw + "-01") if len(raw) == 7 else None
        if start is None:
            raise ValidationError({"effective_from": _("请选择生效月份。")})
        made = reward_rule_add(
            by=user,
            effective_from=start,
            fixed=request.POST.get("fixed", ""),
            rate=request.POST.get("rate", ""),
            cap=request.POST.get("cap", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, ValueError) as exc:
        text: Any = exc.messages if isinstance(exc, ValidationError) else [_("生效月份无效。")]
        for m in text:
            messages.error(request, m)
    else:
        messages.success(
            request,
            _("已设定推荐奖励规则第 %(v)d 版，自 %(m)s 起生效。")
            % {"v": made.version, "m": f"{made.effective_from:%Y-%m}"},
        )
    return redirect("marketing:referral_rewards")
