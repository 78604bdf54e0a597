"""Pages of change requests: propose a change of master data or of the parent unit (from the
customer's page), the list of requests (to decide, mine, recent), one request with its decision.
Each calls one service of ``change_requests`` — the same the API calls."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.forms import form_errors

from .change_requests import (
    change_request_decide,
    change_request_get,
    change_request_propose,
    change_request_withdraw,
    change_requests_to_decide,
    change_requests_visible_to,
    may_decide,
    parent_link_propose,
)
from .models import INDUSTRIES, MASTER_FIELDS, ChangeRequest, Customer
from .selectors import customer_get


@login_required
def change_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Propose new master data (BSS owns it: a regional manager approves) or a new parent unit."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    values = {f: getattr(customer, f) or "" for f in MASTER_FIELDS}
    values["parent_code"] = customer.parent.code if customer.parent else ""
    errors: dict[str, list[str]] = {}
    kind = request.POST.get("kind", ChangeRequest.Kind.MASTER)
    if request.method == "POST":
        post = request.POST
        reason = post.get("reason", "")
        try:
            if kind == ChangeRequest.Kind.PARENT:
                made = parent_link_propose(
                    customer=customer, by=user, parent_code=post.get("parent_code", ""), reason=reason
                )
            else:
                changes = {f: post.get(f, "") for f in MASTER_FIELDS if f in post}
                made = change_request_propose(customer=customer, by=user, changes=changes, reason=reason)
        except ValidationError as err:
            errors = form_errors(err)
            values.update({k: v for k, v in request.POST.items() if k in values})
            values["reason"] = reason
        else:
            messages.success(request, gettext("变更申请已提交，等待区域经理审批。"))
            return redirect("customers:change", change_id=made.pk)
    context = {
        "customer": customer,
        "values": values,
        "errors": errors,
        "kind": kind,
        "types": Customer.Type.choices,
        "industries": INDUSTRIES,
        "scales": Customer.Scale.choices,
    }
    return render(request, "customers/change_form.html", context, status=400 if errors else 200)


@login_required
def change_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    visible = change_requests_visible_to(user)
    context = {
        "to_decide": change_requests_to_decide(user),
        "mine": list(visible.filter(proposed_by=user)[:50]),
        "recent": list(visible.exclude(status=ChangeRequest.Status.PENDING)[:50]),
    }
    return render(request, "customers/changes.html", context)


@login_required
def change_page(request: AuthedRequest, change_id: int) -> HttpResponse:
    user = request.user
    change = change_request_get(user=user, pk=change_id)
    context = {"change": change, "may_decide": may_decide(change, user)}
    return render(request, "customers/change.html", context)


@login_required
def change_decision(request: AuthedRequest, change_id: int) -> HttpResponse:
    user = request.user
    change = change_request_get(user=user, pk=change_id)
    if request.method != "POST":
        return redirect("customers:change", change_id=change_id)
    approve = request.POST.get("decision") == "approve"
    try:
        decided = change_request_decide(
            request=change, by=user, approve=approve, comment=request.POST.get("comment", "")
        )
    except (ValidationError, PermissionDenied) as err:
        messages.error(request, " ".join(err.messages) if isinstance(err, ValidationError) else str(err))
    else:
        if decided.status == ChangeRequest.Status.APPROVED:
            messages.success(request, gettext("已批准，客户资料已更新。"))
        elif decided.status == ChangeRequest.Status.REJECTED:
            messages.success(request, gettext("已驳回。"))
        else:
            messages.success(request, gettext("已批准本方；还需上级单位所在区域的区域经理审批。"))
    return redirect("customers:change", change_id=change_id)


@login_required
def change_withdrawal(request: AuthedRequest, change_id: int) -> HttpResponse:
    user = request.user
    change = change_request_get(user=user, pk=change_id)
    if request.method == "POST":
        try:
            change_request_withdraw(request=change, by=user)
        except (ValidationError, PermissionDenied) as err:
            messages.error(request, " ".join(err.messages) if isinstance(err, ValidationError) else str(err))
        else:
            messages.success(request, gettext("申请已撤回。"))
    return redirect("customers:change", change_id=change_id)
