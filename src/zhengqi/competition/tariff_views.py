"""Pages of 终端与资费: the catalogue (terminals, our tariffs, competitors' as collected), a
competitor's tariff recorded from its event, and the bundles offered to a customer with their price
against the competitor's."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import customer_get, products_catalogue
from zhengqi.web.forms import parse_int

from .models import Terminal
from .services import event_get
from .tariffs import (
    NEW_DEAL,
    BundleInput,
    bundle_create,
    bundle_decide,
    bundle_get,
    bundle_outcomes,
    bundles_of,
    competitor_tariff_add,
    competitor_tariffs,
    competitor_tariffs_for,
    may_keep_catalogue,
    open_deals,
    ours,
    tariff_add,
    terminal_add,
    terminals,
)


def _errors(exc: ValidationError) -> dict[str, str]:
    if hasattr(exc, "error_dict"):
        return {k: v[0] for k, v in exc.message_dict.items()}
    return {"__all__": exc.messages[0]}


def tariffs_page(request: AuthedRequest, errors: dict[str, str] | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    outcomes = bundle_outcomes(user)
    return render(
        request,
        "competition/tariffs.html",
        {
            "terminals": terminals(),
            "ours": ours(),
            "theirs": competitor_tariffs()[:50],
            "kinds": Terminal.Kind.choices,
            "may_keep": may_keep_catalogue(user),
            "outcomes": outcomes,
            "outcome_chart": {
                "kind": "bar",
                "categories": [r.label for r in outcomes],
                "series": [(_("已签约"), [r.won for r in outcomes]), (_("未成交"), [r.lost for r in outcomes])],
            },
            "errors": errors or {},
            "posted": request.POST if errors else {},
        },
        status=status,
    )


@require_POST
def terminal_new(request: AuthedRequest) -> HttpResponse:
    post = request.POST
    try:
        made = terminal_add(
            by=request.user, name=post.get("name", ""), kind=post.get("kind", ""), price=post.get("price")
        )
    except ValidationError as exc:
        return tariffs_page(request, _errors(exc), status=422)
    messages.success(request, _("已加入终端目录：%(n)s。") % {"n": made.name})
    return redirect("competition:tariffs")


@require_POST
def tariff_new(request: AuthedRequest) -> HttpResponse:
    post = request.POST
    try:
        made = tariff_add(
            by=request.user,
            name=post.get("name", ""),
            monthly_fee=post.get("monthly_fee"),
            data_gb=post.get("data_gb"),
            minutes=post.get("minutes"),
        )
    except ValidationError as exc:
        return tariffs_page(request, _errors(exc), status=422)
    messages.success(request, _("已加入我方资费：%(n)s。") % {"n": made.name})
    return redirect("competition:tariffs")


@require_POST
def event_tariff_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """A competitor's tariff plan recorded from the event's page."""
    event = event_get(user=request.user, pk=pk)
    post = request.POST
    try:
        competitor_tariff_add(
            by=request.user,
            event=event,
            name=post.get("name", ""),
            monthly_fee=post.get("monthly_fee"),
            data_gb=post.get("data_gb"),
            minutes=post.get("minutes"),
        )
    except ValidationError as exc:
        for m in _errors(exc).values():
            messages.error(request, m)
    else:
        messages.success(request, _("已登记对手资费：该动向涉及客户的资费对比度将按此计算。"))
    return redirect("competition:event", pk=event.pk)


def bundle_page(request: AuthedRequest, customer_id: int) -> HttpResponse:
    """The customer's bundles with their price against the competitor's, and the form for a new one."""
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        post = request.POST
        data = BundleInput(
            tariff_id=parse_int(post.get("tariff")),
            lines=post.get("lines", ""),
            terminal_id=parse_int(post.get("terminal")),
            terminals=post.get("terminals", "") or 0,
            application_id=parse_int(post.get("application")),
            application_fee=post.get("application_fee", "") or 0,
            months=post.get("months", "") or 24,
            competitor_tariff_id=parse_int(post.get("competitor_tariff")),
        )
        try:
            bundle_create(by=user, customer=customer, data=data)
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("已保存终端资费组合。"))
            return redirect("competition:bundles", customer_id=customer.pk)
    return render(
        request, "competition/bundles.html", _bundle_context(customer, request, errors), status=422 if errors else 200
    )


def _bundle_context(customer: Customer, request: AuthedRequest, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "customer": customer,
        "bundles": bundles_of(customer),
        "ours": ours(),
        "terminals": terminals(),
        "applications": products_catalogue(),
        "theirs": competitor_tariffs_for(customer),
        "may_decide": matrix.role_of(request.user) in matrix.WORKERS,
        "deals": list(open_deals(customer)),
        "errors": errors,
        "posted": request.POST if errors else {},
    }


@require_POST
def bundle_decide_view(request: AuthedRequest, pk: int) -> HttpResponse:
    """The customer's answer to an offered bundle: signed, or not with the reason."""
    bundle = bundle_get(user=request.user, pk=pk)
    post = request.POST
    try:
        done = bundle_decide(
            by=request.user,
            bundle=bundle,
            outcome=post.get("outcome", ""),
            reason=post.get("reason", ""),
            deal=post.get("deal", NEW_DEAL),
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        said = _("已登记：%(s)s。") % {"s": done.get_status_display()}
        if done.opportunity is not None:
            said += _("商机“%(o)s”已为签约。") % {"o": done.opportunity.name}
        messages.success(request, said)
    return redirect("competition:bundles", customer_id=bundle.customer_id)
