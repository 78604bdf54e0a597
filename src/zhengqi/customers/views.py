"""Customer pages: the list (search, filter, sort, paginate) and the customer detail page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest

from .forms import CustomerFilterForm
from .models import Customer, NotDuplicate
from .selectors import (
    CustomerFilter,
    account_managers_visible_to,
    customer_get,
    customer_list,
    duplicate_candidates,
)
from .services import (
    customer_assign_manager,
    customers_bulk_assign,
    customers_merge,
    key_persons_reveal,
)

PAGE_SIZE = 25


@login_required
def customer_list_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
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
def customer_reassign(request: AuthedRequest, pk: int) -> HttpResponse:
    """A regional manager (or the province) gives the customer to another account manager."""
    user = request.user
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


@login_required
def key_persons_reveal_fragment(request: AuthedRequest, pk: int) -> HttpResponse:
    """HTMX: the key-person table with phones and birthdays unmasked, for a role that may see them;
    each reveal is logged."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    people = key_persons_reveal(customer=customer, by=user)
    return render(request, "customers/_key_persons.html", {"people": people, "revealed": True, "customer": customer})


@login_required
def customers_bulk_reassign(request: AuthedRequest) -> HttpResponse:
    """From the customer list: give the ticked customers to one account manager (all or none)."""
    user = request.user
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
def duplicates_page(request: AuthedRequest) -> HttpResponse:
    """The provincial admin reviews customers whose names read the same and merges them (F-20)."""
    user = request.user
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
