"""Customer pages: the list (search, filter, sort, paginate) and the customer detail page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.models import User
from zhengqi.accounts.privacy import may_reveal_personal_data
from zhengqi.marketing.forms import CustomerCorrectionForm, InteractionForm, TaskForm
from zhengqi.scoring.selectors import (
    churn_view,
    latest_snapshot,
    open_alerts,
    score_breakdown,
    tier_changes,
    tier_history,
)
from zhengqi.support.selectors import customer_service

from .forms import CustomerFilterForm
from .models import BuyingRole, Customer, NotDuplicate
from .selectors import (
    CustomerFilter,
    account_managers_visible_to,
    customer_get,
    customer_hierarchy,
    customer_history,
    customer_list,
    customer_revenue_trend,
    duplicate_candidates,
    manager_workload,
    next_products,
    reassignment_candidates,
)
from .services import (
    CUSTOMER_CORRECTABLE,
    customer_assign_manager,
    customers_bulk_assign,
    customers_merge,
    key_persons_reveal,
    may_manage_region,
)

PAGE_SIZE = 25


@login_required
def customer_list_page(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = CustomerFilterForm(request.GET or None, user=user)
    filters = form.to_filter() if form.is_bound and form.is_valid() else CustomerFilter()
    page = Paginator(customer_list(user=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    may_bulk = user.is_superuser or user.role in (User.Role.REGIONAL_MANAGER, User.Role.PROVINCIAL_ADMIN)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "sort": filters.sort,
        "may_bulk": may_bulk,
        "managers": account_managers_visible_to(user) if may_bulk else [],
    }
    template = "customers/_table.html" if request.headers.get("HX-Request") else "customers/list.html"
    return render(request, template, context)


@login_required
def customer_detail_page(request: HttpRequest, pk: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=pk)
    today = timezone.localdate()
    people = list(customer.key_persons.prefetch_related("roles"))
    covered = {r.role for p in people for r in p.roles.all()}
    trend = customer_revenue_trend(customer=customer, months=24)
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
            "members": [m.members_active for m in trend],
        },
        "members": _members_panel(trend, snapshot),
        "next_products": next_products(customer),
        "history": customer_history(customer),
        "may_reveal": may_reveal_personal_data(user),
        "task_form": TaskForm(initial={"due": today + dt.timedelta(days=7)}),
        "correction_form": CustomerCorrectionForm(initial={f: getattr(customer, f) for f in CUSTOMER_CORRECTABLE}),
        "alerts": open_alerts(customer),
        "snapshot": snapshot,
        "churn": churn_view(snapshot),
        "breakdown": score_breakdown(snapshot) if snapshot else [],
        "tier_history": history,
        "tier_chart": {
            "months": [f"{h.month:%Y-%m}" for h in history],
            "scores": [float(h.value_score) if h.value_score is not None else None for h in history],
            "tiers": [h.tier for h in history],
        },
        "tier_changes": tier_changes(customer),
        "may_reassign": may_reassign,
        "candidates": list(reassignment_candidates(customer)) if may_reassign else [],
        "interaction_form": InteractionForm(
            initial={"date": today, "task": request.GET.get("task")}, people=[(p.pk, p.name) for p in people]
        ),
        "from_task": request.GET.get("task"),
        "interactions": customer.interactions.select_related("by").prefetch_related("key_persons")[:30],  # type: ignore[attr-defined]
        "today": today,
        "soon": today + dt.timedelta(days=90),
        **customer_service(user, customer),
        "opportunities": customer.opportunities.select_related("owner").order_by("-close_date")[:8],  # type: ignore[attr-defined]
        "campaign_targets": customer.campaign_targets.select_related("campaign").order_by("-campaign__start")[:8],  # type: ignore[attr-defined]
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


def _members_panel(trend: list, snapshot: object) -> dict[str, object]:  # type: ignore[type-arg]
    """Members at a glance: count and its trend, V网 share (集团纯度) and “三无” members."""
    latest = trend[-1] if trend else None
    features = getattr(snapshot, "features", None) or {}
    return {
        "active": latest.members_active if latest else 0,
        "joined": latest.members_joined if latest else 0,
        "left": latest.members_left if latest else 0,
        "vnet_share": (latest.members_vnet / latest.members_active) if latest and latest.members_active else None,
        "idle": features.get("members_idle"),
        "idle_share": features.get("idle_share"),
        "series": [m.members_active for m in trend],
    }


@login_required
def key_persons_reveal_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """HTMX: the key-person table with phones and birthdays unmasked, for a role that may see them;
    each reveal is logged."""
    user: User = request.user  # type: ignore[assignment]
    customer = customer_get(user=user, pk=pk)
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    people = key_persons_reveal(customer=customer, by=user)
    return render(request, "customers/_key_persons.html", {"people": people, "revealed": True, "customer": customer})


@login_required
def customers_bulk_reassign(request: HttpRequest) -> HttpResponse:
    """From the customer list: give the ticked customers to one account manager (all or none)."""
    user: User = request.user  # type: ignore[assignment]
    back = request.POST.get("next") or "/customers/"
    if not back.startswith("/"):
        back = "/customers/"
    if request.method != "POST":
        return redirect(back)
    ids = [int(i) for i in request.POST.getlist("customer") if i.isdigit()]
    to = User.objects.filter(pk=request.POST.get("to_manager") or 0, role=User.Role.ACCOUNT_MANAGER).first()
    if not ids or to is None:
        messages.error(request, gettext("请勾选客户并选择一位客户经理。"))
        return redirect(back)
    try:
        moved = customers_bulk_assign(
            customer_ids=ids, to_manager=to, by=user, reason=request.POST.get("reason", "")[:200]
        )
    except ValidationError as err:
        messages.error(request, gettext("未做任何调整：") + "；".join(err.messages))
    else:
        messages.success(request, gettext("已将 %(n)d 个客户转给 %(name)s。") % {"n": moved, "name": to})
    return redirect(back)


@login_required
def portfolio_page(request: HttpRequest) -> HttpResponse:
    """Workload per account manager of the user's region (F-12)."""
    user: User = request.user  # type: ignore[assignment]
    rows = manager_workload(user)
    chart = {
        "names": [str(r.manager) for r in rows],
        "tiers": {t: [r.by_tier[t] for r in rows] for t in ("A+", "A", "B", "C")},
    }
    return render(request, "customers/portfolio.html", {"rows": rows, "chart": chart})


@login_required
def duplicates_page(request: HttpRequest) -> HttpResponse:
    """The provincial admin reviews customers whose names read the same and merges them (F-20)."""
    user: User = request.user  # type: ignore[assignment]
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("customer") if i.isdigit()]
        if request.POST.get("action") == "dismiss":
            ordered = sorted(ids)
            for i, a in enumerate(ordered):
                for b in ordered[i + 1 :]:
                    NotDuplicate.objects.get_or_create(first_id=a, second_id=b, defaults={"by": user})
            messages.success(request, gettext("已标记为不同的客户。"))
            return redirect("customers:duplicates")
        survivor = Customer.objects.filter(pk=request.POST.get("survivor") or 0).first()
        others = list(Customer.objects.filter(pk__in=ids).exclude(pk=survivor.pk if survivor else 0))
        if survivor is None or not others:
            messages.error(request, gettext("请选择保留的客户，并勾选要合并进来的客户。"))
            return redirect("customers:duplicates")
        try:
            for duplicate in others:
                customers_merge(survivor=survivor, duplicate=duplicate, by=user)
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
            return redirect("customers:duplicates")
        messages.success(
            request,
            gettext("已将 %(names)s 合并到 %(survivor)s。")
            % {"names": "、".join(o.name for o in others), "survivor": survivor.name},
        )
        return redirect("customers:detail", pk=survivor.pk)
    groups = duplicate_candidates()
    ids = [c.pk for g in groups for c in g.customers]
    counts = {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in=ids)
        .annotate(
            n_people=Count("key_persons", distinct=True),
            n_contracts=Count("contracts", distinct=True),
            n_subscriptions=Count("subscriptions", distinct=True),
        )
        .values("pk", "n_people", "n_contracts", "n_subscriptions")
    }
    return render(request, "customers/duplicates.html", {"groups": groups, "counts": counts})
