"""The page 分层服务: each tier's promises (the catalogue, set by the provincial admin) and, for a
month, each tier's promised vs delivered service for the customers the user sees."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.support.models import RequestType
from zhengqi.support.tiers import TierTerms, catalogue, tier_service_set
from zhengqi.web.forms import month_choices, parse_month

from .service_tiers import tier_delivery


def tiers_page(request: AuthedRequest) -> HttpResponse:
    """Promised vs delivered per tier for a month (default: this month, to today), and the catalogue."""
    user = request.user
    today = timezone.localdate()
    month = today.replace(day=1)
    try:
        month = parse_month(request.GET.get("month", ""), month)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages) + _("已显示本月。"))
    if month > today:
        month = today.replace(day=1)
    rows = tier_delivery(user, month)
    chart = {
        "kind": "bar",
        "categories": [r.service.tier for r in rows],
        "series": [
            (_("应拜访次数"), [round(r.visits_promised, 1) for r in rows]),
            (_("实际拜访次数"), [r.visits_done for r in rows]),
        ],
    }
    services = catalogue()
    return render(
        request,
        "marketing/service_tiers.html",
        {
            "rows": rows,
            "month": month,
            "months": month_choices(today),
            "chart": chart,
            "services": [(s, {d.request_type: d.hours for d in s.deadlines.all()}) for s in services],
            "types": RequestType.choices,
            "may_edit": matrix.role_of(user) == "admin",
        },
    )


@require_POST
def tier_edit(request: AuthedRequest, tier: str) -> HttpResponse:
    post = request.POST
    terms = TierTerms(
        visit_days=post.get("visit_days", ""),
        escalate_percent=post.get("escalate_percent", ""),
        dedicated_line=post.get("dedicated_line") == "on",
        annual_review=post.get("annual_review") == "on",
        benefits=post.get("benefits", ""),
        deadlines={t: post.get(f"deadline_{t}", "") for t in RequestType.values},
    )
    try:
        tier_service_set(by=request.user, tier=tier, terms=terms)
    except ValidationError as exc:
        for m in exc.messages:
            messages.error(request, m)
    else:
        messages.success(request, _("已更新 %(tier)s 级服务标准：新受理的请求按新时限计。") % {"tier": tier})
    return redirect(reverse("marketing:tiers") + "#catalogue")
