"""Customer pages: the list (search, filter, sort, paginate) and the customer detail page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.models import User
from zhengqi.insight.selectors import latest_snapshot, open_alerts, score_breakdown, tier_changes, tier_history
from zhengqi.marketing.forms import InteractionForm

from .forms import CustomerFilterForm
from .models import BuyingRole
from .selectors import (
    CustomerFilter,
    customer_get,
    customer_hierarchy,
    customer_list,
    customer_revenue_trend,
    reassignment_candidates,
)
from .services import customer_assign_manager, may_manage_region

PAGE_SIZE = 25


@login_required
def customer_list_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CustomerFilterForm(request.GET or None, user=user)
    filters = form.to_filter() if form.is_bound and form.is_valid() else CustomerFilter()
    page = Paginator(customer_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode(), "sort": filters.sort}
    template = "customers/_table.html" if request.headers.get("HX-Request") else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=pk)
    today = timezone.localdate()
    people = list(customer.key_persons.prefetch_related("roles"))
    covered = {r.role for p in people for r in p.roles.all()}
    trend = customer_revenue_trend(customer=customer, months=12)
    contracts = list(customer.contracts.prefetch_related("products"))
    snapshot = latest_snapshot(customer)
    may_reassign = may_manage_region(user, customer)
    history = list(tier_history(customer))
    context = {
        "customer": customer,
        "hierarchy": customer_hierarchy(user=user, customer=customer),
        "people": people,
        "role_coverage": [(label, value in covered) for value, label in BuyingRole.choices],
        "subscriptions": customer.subscriptions.select_related("product").order_by("status", "-start"),
        "contracts": [(c, (c.end - today).days) for c in contracts],
        "assignments": customer.assignments.select_related("manager", "assigned_by"),
        "trend": trend,
        "chart": {
            "labels": [gettext("总收入"), gettext("信息化收入")],
            "months": [f"{m.month:%Y-%m}" for m in trend],
            "total": [float(m.revenue_total) for m in trend],
            "info": [float(m.revenue_info) for m in trend],
        },
        "alerts": open_alerts(customer),
        "snapshot": snapshot,
        "breakdown": score_breakdown(snapshot) if snapshot else [],
        "tier_history": history,
        "tier_chart": {
            "months": [f"{h.month:%Y-%m}" for h in history],
            "scores": [float(h.value_score) if h.value_score is not None else None for h in history],
            "tiers": [h.tier for h in history],
        },
        "tier_changes": tier_changes(customer),
        "may_reassign": may_reassign,
        "candidates": reassignment_candidates(customer) if may_reassign else [],
        "interaction_form": InteractionForm(
            initial={"date": today, "task": request.GET.get("task")}, people=[(p.pk, p.name) for p in people]
        ),
        "from_task": request.GET.get("task"),
        "interactions": customer.interactions.select_related("by").prefetch_related("key_persons")[:30],  # type: ignore[attr-defined]
        "today": today,
        "soon": today + dt.timedelta(days=90),
    }
    return render(request, "customers/detail.html", context)


@login_required
def customer_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """A regional manager (or the province) gives the customer to another account manager."""
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=pk)
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    to = User.objects.filter(pk=request.POST.get("to_manager") or 0, role=User.Role.ACCOUNT_MANAGER).first()
    if to is None:
        messages.error(request, gettext("请选择一位客户经理。"))
        return redirect("customers:detail", pk=pk)
    try:
        customer_assign_manager(customer=customer, to_manager=to, by=user, reason=request.POST.get("reason", "")[:200])
    except PermissionDenied:
        raise
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, gettext("已将客户转给 %(name)s。") % {"name": to})
    return redirect("customers:detail", pk=pk)
