"""Pages of opportunity identification and development applications (F-09): the same services as
the API (``zhengqi.marketing.development.services``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.access import regions_of
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get, products_catalogue
from zhengqi.marketing.development.services import (
    application_decide,
    application_get,
    application_submit,
    applications_visible_to,
    candidates,
    development_steps,
    may_decide,
    prospect_create,
)
from zhengqi.marketing.models import DevelopmentApplication
from zhengqi.web.forms import form_errors


@login_required
def opportunities_page(request: AuthedRequest) -> HttpResponse:
    """Candidates to develop (account managers apply from here) and the applications: one's own, or
    for a regional manager those waiting for their decision first."""
    user = request.user
    role = matrix.role_of(user)
    apps = applications_visible_to(user)
    pending = [a for a in apps.filter(status=DevelopmentApplication.Status.SUBMITTED)[:200] if may_decide(user, a)]
    return render(
        request,
        "marketing/opportunities.html",
        {
            "candidates": candidates(user) if role == "am" else [],
            "is_am": role == "am",
            "may_enter": role in matrix.WORKERS,
            "pending": pending,
            "applications": apps[:200],
        },
    )


@login_required
def application_new_page(request: AuthedRequest, customer_id: int) -> HttpResponse:
    user = request.user
    customer = customer_get(user=user, pk=customer_id)
    previous = None
    if request.GET.get("previous") or request.POST.get("previous"):
        previous = application_get(user=user, pk=int(request.GET.get("previous") or request.POST["previous"]))
    products = products_catalogue()
    values = {
        "needs": previous.needs if previous else "",
        "plan": previous.plan if previous else "",
        "expected_revenue": previous.expected_revenue if previous else "",
        "products": set(previous.products.values_list("code", flat=True)) if previous else set(),
    }
    context: dict[str, Any] = {"customer": customer, "previous": previous, "products": products, "values": values}
    if request.method == "POST":
        post = request.POST
        try:
            application = application_submit(
                by=user,
                customer=customer,
                needs=post.get("needs", ""),
                plan=post.get("plan", ""),
                product_codes=post.getlist("products"),
                expected_revenue=post.get("expected_revenue") or 0,
                previous=previous,
            )
        except ValidationError as err:
            values.update(
                needs=post.get("needs", ""),
                plan=post.get("plan", ""),
                expected_revenue=post.get("expected_revenue", ""),
                products=set(post.getlist("products")),
            )
            context["errors"] = form_errors(err)
            return render(request, "marketing/application_form.html", context, status=400)
        messages.success(request, _("开发申请已提交，等待区域经理审批。"))
        return redirect("marketing:application", pk=application.pk)
    return render(request, "marketing/application_form.html", context)


@login_required
def application_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    application = application_get(user=user, pk=pk)
    steps = development_steps(application)
    return render(
        request,
        "marketing/application.html",
        {
            "application": application,
            "steps": steps,
            "may_decide": application.status == DevelopmentApplication.Status.SUBMITTED
            and may_decide(user, application),
            "may_reapply": application.status == DevelopmentApplication.Status.REJECTED
            and application.applicant_id == user.pk
            and not application.reapplications.exists(),
        },
    )


@login_required
@require_POST
def application_decide_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    application = application_get(user=user, pk=pk)
    approve = request.POST.get("decision") == "approve"
    try:
        application_decide(by=user, application=application, approve=approve, comment=request.POST.get("comment", ""))
    except (ValidationError, PermissionDenied) as err:
        text = " ".join(err.messages) if isinstance(err, ValidationError) else str(err)
        messages.error(request, text)
    else:
        messages.success(request, _("已批准，开发计划已下达给客户经理。") if approve else _("已驳回。"))
    return redirect("marketing:application", pk=application.pk)


@login_required
def prospect_new_page(request: AuthedRequest) -> HttpResponse:
    """Enter a prospect by hand; an account manager goes on to apply to develop it."""
    from zhengqi.customers.models import INDUSTRIES, Customer

    user = request.user
    regions = regions_of(user)
    context: dict[str, Any] = {
        "regions": regions,
        "types": Customer.Type.choices,
        "industries": INDUSTRIES,
        "scales": Customer.Scale.choices,
        "operators": Customer.Operator.choices,
        "values": {"region": user.region.code if user.region else ""},
        "errors": {},
    }
    if request.method == "POST":
        post = request.POST
        fields = {
            k: post.get(k, "")
            for k in ("name", "credit_code", "customer_type", "industry", "scale", "competitor_operator", "address")
        }
        try:
            customer = prospect_create(by=user, region_code=post.get("region", ""), **fields)
        except ValidationError as err:
            context.update(values={**fields, "region": post.get("region", "")}, errors=form_errors(err))
            return render(request, "marketing/prospect_form.html", context, status=400)
        messages.success(request, _("潜在客户“%(name)s”已录入。") % {"name": customer.name})
        if matrix.role_of(user) == "am":
            return redirect("marketing:application_new", customer_id=customer.pk)
        return redirect("customers:detail", pk=customer.pk)
    return render(request, "marketing/prospect_form.html", context)
