"""Pages of group-customer registration (集团客户认定): register an organisation, the list of
registrations (to decide, mine, recent), one registration with its decision and its proof."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.access import region_by_code, regions_of
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.forms import form_errors, parse_int

from .models import INDUSTRIES, Customer, Registration
from .registrations import (
    may_decide_registration,
    registration_decide,
    registration_get,
    registration_submit,
    registrations_to_decide,
    registrations_visible_to,
)

FIELDS = ("name", "credit_code", "customer_type", "industry", "scale", "address", "members_expected")


@login_required
def registration_new(request: AuthedRequest) -> HttpResponse:
    user = request.user
    values: dict[str, str] = {"region": user.region.code if user.region else ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        post = request.POST
        values = {k: post.get(k, "") for k in (*FIELDS, "region")}
        members = values["members_expected"].strip()
        try:
            made = registration_submit(
                by=user,
                region=region_by_code(values["region"]),
                evidence=request.FILES.get("evidence"),
                members_expected=members if (n := parse_int(members)) is None else n,
                **{k: values[k] for k in FIELDS if k != "members_expected"},
            )
        except ValidationError as err:
            errors = form_errors(err)
        else:
            messages.success(request, gettext("认定申请已提交，等待区域经理审批。"))
            return redirect("customers:registration", registration_id=made.pk)
    context = {
        "values": values,
        "errors": errors,
        "regions": regions_of(user),
        "types": Customer.Type.choices,
        "industries": INDUSTRIES,
        "scales": Customer.Scale.choices,
    }
    return render(request, "customers/registration_form.html", context, status=400 if errors else 200)


@login_required
def registration_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    visible = registrations_visible_to(user)
    context = {
        "to_decide": registrations_to_decide(user),
        "recent": list(visible.order_by("-proposed_at")[:100]),
    }
    return render(request, "customers/registrations.html", context)


@login_required
def registration_page(request: AuthedRequest, registration_id: int) -> HttpResponse:
    user = request.user
    registration = registration_get(user=user, pk=registration_id)
    context = {"registration": registration, "may_decide": may_decide_registration(user, registration)}
    return render(request, "customers/registration.html", context)


@login_required
def registration_decision(request: AuthedRequest, registration_id: int) -> HttpResponse:
    user = request.user
    registration = registration_get(user=user, pk=registration_id)
    if request.method != "POST":
        return redirect("customers:registration", registration_id=registration_id)
    approve = request.POST.get("decision") == "approve"
    try:
        decided = registration_decide(
            registration=registration, by=user, approve=approve, comment=request.POST.get("comment", "")
        )
    except (ValidationError, PermissionDenied) as err:
        messages.error(request, " ".join(err.messages) if isinstance(err, ValidationError) else str(err))
    else:
        if decided.status == Registration.Status.APPROVED:
            messages.success(request, gettext("已认定为集团客户。"))
        else:
            messages.success(request, gettext("已驳回。"))
    return redirect("customers:registration", registration_id=registration_id)


@login_required
def registration_evidence(request: AuthedRequest, registration_id: int) -> FileResponse:
    from auditlog.signals import accessed
    from django.http import Http404

    registration = registration_get(user=request.user, pk=registration_id)
    if not registration.evidence:
        raise Http404(gettext("没有上传证明文件。"))
    accessed.send(sender=Registration, instance=registration)
    return FileResponse(registration.evidence.open("rb"), as_attachment=True, filename=registration.evidence_name)
