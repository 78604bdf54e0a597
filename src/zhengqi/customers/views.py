"""Customer pages: the list (search, filter, sort, paginate) and the customer detail page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.forms import parse_ids, parse_int

from .selectors import (
    account_manager_get,
    customer_get,
    duplicate_candidates,
    duplicate_counts,
)
from .services import (
    customer_assign_manager,
    customers_bulk_assign,
    customers_merge_into,
    duplicates_dismiss,
    key_persons_reveal,
)


@login_required
def customer_reassign(request: AuthedRequest, pk: int) -> HttpResponse:
    """A regional manager (or the province) gives the customer to another account manager."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    if request.method != "POST":
        return redirect("customers:detail", pk=pk)
    to = account_manager_get(request.POST.get("to_manager"))
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
    from .key_persons import may_keep_records

    people = key_persons_reveal(customer=customer, by=user)
    context = {"people": people, "revealed": True, "customer": customer, "may_keep": may_keep_records(user, customer)}
    return render(request, "customers/_key_persons.html", context)


@login_required
def customers_bulk_reassign(request: AuthedRequest) -> HttpResponse:
    """From the customer list: give the ticked customers to one account manager (all or none)."""
    user = request.user
    back = request.POST.get("next") or "/customers/"
    if not back.startswith("/"):
        back = "/customers/"
    if request.method != "POST":
        return redirect(back)
    ids = parse_ids(request.POST.getlist("customer"))
    to = account_manager_get(request.POST.get("to_manager"))
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
        ids = parse_ids(request.POST.getlist("customer"))
        if request.POST.get("action") == "dismiss":
            duplicates_dismiss(customer_ids=ids, by=user)
            messages.success(request, gettext("已标记为不同的客户。"))
            return redirect("customers:duplicates")
        try:
            survivor, others = customers_merge_into(
                survivor_id=parse_int(request.POST.get("survivor")), customer_ids=ids, by=user
            )
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
    return render(request, "customers/duplicates.html", {"groups": groups, "counts": duplicate_counts(groups)})
