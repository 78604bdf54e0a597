"""Pages where the people who work a customer keep its records: key persons (add, edit, retire) and
agreements (record, renew, terminate, the signed file). Each calls one service of
``key_persons`` / ``contracts`` — the same the API calls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext

from zhengqi.accounts.privacy import may_reveal_personal_data
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.forms import StaleEdit

from .contracts import contract_create, contract_file_open, contract_get, contract_renew, contract_terminate
from .forms import ContractForm, KeyPersonForm, RetireForm, TerminateForm
from .key_persons import (
    key_person_create,
    key_person_get,
    key_person_retire,
    key_person_update,
    key_person_warnings,
)
from .models import BuyingRole, Contract, Customer
from .selectors import customer_get


def _refused(form: Any, err: ValidationError) -> None:
    """A service's refusal shown on the form: by field where the form has the field."""
    if hasattr(err, "error_dict"):
        for field, errors in err.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, err.messages)


def _back(customer: Customer, anchor: str) -> HttpResponse:
    from django.urls import reverse

    return redirect(reverse("customers:detail", args=[customer.pk]) + anchor)


@login_required
def key_person_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Add a key person; ``?role=decider`` comes from the role map's "add a person for this role"."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    role = request.GET.get("role", "")
    initial = {"roles": [role]} if role in BuyingRole.values else {}
    form = KeyPersonForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = key_person_create(customer=customer, by=user, roles=form.cleaned_data["roles"], **form.values())
        except ValidationError as err:
            _refused(form, err)
        else:
            messages.success(request, gettext("已添加关键人“%(name)s”。") % {"name": person.name})
            for warning in key_person_warnings(person):
                messages.warning(request, warning)
            return _back(customer, "#key-persons-card")
    status = 400 if request.method == "POST" else 200
    title = gettext("添加关键人")
    return render(
        request, "customers/key_person_form.html", {"customer": customer, "form": form, "title": title}, status=status
    )


@login_required
def key_person_edit(request: AuthedRequest, pk: int, person_id: int) -> HttpResponse:
    """Edit a key person. Whoever may see personal data sees the phones and birthday (logged as a
    reveal); for others they stay hidden and, left blank, unchanged."""
    from auditlog.signals import accessed

    from .models import KeyPerson

    user = request.user
    customer = customer_get(user=user, pk=pk)
    person = key_person_get(user=user, customer=customer, pk=person_id)
    masked = not may_reveal_personal_data(user)
    initial = {
        "name": person.name,
        "title": person.title,
        "department": person.department,
        "roles": list(person.roles.values_list("role", flat=True)),
        "preferred_channel": person.preferred_channel,
        "closeness": person.closeness,
        "notes": person.notes,
        "version": person.version,
    }
    if not masked:
        initial.update(phone=person.phone, office_phone=person.office_phone, birthday=person.birthday)
    form = KeyPersonForm(request.POST or None, initial=initial, masked=masked)
    if request.method == "POST" and form.is_valid():
        try:
            key_person_update(
                person=person,
                by=user,
                roles=form.cleaned_data["roles"],
                version=form.cleaned_data.get("version"),
                **form.values(),
            )
        except StaleEdit as err:
            form.add_error(None, err.messages)
        except ValidationError as err:
            _refused(form, err)
        else:
            messages.success(request, gettext("已保存“%(name)s”的修改。") % {"name": form.cleaned_data["name"]})
            return _back(customer, "#key-persons-card")
    elif request.method != "POST" and not masked:
        accessed.send(sender=KeyPerson, instance=person)  # the form shows the phones: a reveal
    context = {
        "customer": customer,
        "form": form,
        "person": person,
        "title": gettext("修改关键人“%(name)s”") % {"name": person.name},
        "retire_form": RetireForm(initial={"left_on": _today()}),
    }
    return render(request, "customers/key_person_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def key_person_leave(request: AuthedRequest, pk: int, person_id: int) -> HttpResponse:
    """Mark a key person as having left the customer (POST)."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    person = key_person_get(user=user, customer=customer, pk=person_id)
    if request.method != "POST":
        return redirect("customers:key_person_edit", pk=pk, person_id=person_id)
    form = RetireForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("customers:key_person_edit", pk=pk, person_id=person_id)
    try:
        key_person_retire(
            person=person, by=user, on=form.cleaned_data["left_on"], reason=form.cleaned_data["left_reason"]
        )
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("customers:key_person_edit", pk=pk, person_id=person_id)
    messages.success(request, gettext("已将“%(name)s”标记为离职。") % {"name": person.name})
    return _back(customer, "#key-persons-card")


def _today() -> Any:
    from django.utils import timezone

    return timezone.localdate()


@login_required
def contract_new(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record a new agreement with its signed file."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    form = ContractForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            contract = contract_create(
                customer=customer,
                by=user,
                products=list(form.cleaned_data["products"]),
                signed_file=form.cleaned_data.get("signed_file"),
                **form.values(),
            )
        except ValidationError as err:
            _refused(form, err)
        else:
            messages.success(request, gettext("已录入协议 %(number)s。") % {"number": contract.number})
            return _back(customer, "#contracts-card")
    context = {"customer": customer, "form": form, "title": gettext("录入新协议")}
    return render(request, "customers/contract_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def contract_renewal(request: AuthedRequest, pk: int, contract_id: int) -> HttpResponse:
    """Renew an agreement: the new one starts where the old one ends, with the same products."""
    import datetime as dt

    user = request.user
    customer = customer_get(user=user, pk=pk)
    contract = contract_get(user=user, pk=contract_id, customer=customer)
    length = contract.end - contract.start
    start = contract.end + dt.timedelta(days=1)
    initial = {
        "number": f"{contract.number}-R",
        "start": start,
        "end": start + length,
        "amount": contract.amount,
        "products": list(contract.products.all()),
        "auto_renew": contract.auto_renew,
    }
    form = ContractForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            renewal = contract_renew(
                contract=contract,
                by=user,
                products=list(form.cleaned_data["products"]),
                signed_file=form.cleaned_data.get("signed_file"),
                **form.values(),
            )
        except ValidationError as err:
            _refused(form, err)
        else:
            messages.success(
                request,
                gettext("已续签：协议 %(new)s 替代 %(old)s，到期预警与相应任务已关闭。")
                % {"new": renewal.number, "old": contract.number},
            )
            return _back(customer, "#contracts-card")
    context = {
        "customer": customer,
        "form": form,
        "contract": contract,
        "title": gettext("续签协议 %(number)s") % {"number": contract.number},
        "terminate_form": TerminateForm(initial={"terminated_on": _today()}),
    }
    return render(request, "customers/contract_form.html", context, status=400 if request.method == "POST" else 200)


@login_required
def contract_end(request: AuthedRequest, pk: int, contract_id: int) -> HttpResponse:
    """Terminate an agreement early (POST), with the day and the reason."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    contract = contract_get(user=user, pk=contract_id, customer=customer)
    if request.method != "POST":
        return redirect("customers:contract_renew", pk=pk, contract_id=contract_id)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("customers:contract_renew", pk=pk, contract_id=contract_id)
    try:
        contract_terminate(
            contract=contract,
            by=user,
            on=form.cleaned_data["terminated_on"],
            reason=form.cleaned_data["termination_reason"],
        )
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("customers:contract_renew", pk=pk, contract_id=contract_id)
    messages.success(request, gettext("协议 %(number)s 已终止。") % {"number": contract.number})
    return _back(customer, "#contracts-card")


@login_required
def contract_signed_file(request: AuthedRequest, pk: int, contract_id: int) -> FileResponse:
    """The signed agreement, for those who may see the customer; each download is logged."""
    user = request.user
    customer = customer_get(user=user, pk=pk)
    contract: Contract = contract_get(user=user, pk=contract_id, customer=customer)
    handle, name = contract_file_open(contract=contract, by=user)
    response = FileResponse(handle, as_attachment=True, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def customer_lost(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark the customer as lost (POST), with the day and the reason."""
    from .lifecycle import customer_mark_lost
    from .models import Customer as CustomerModel

    user = request.user
    customer = customer_get(user=user, pk=pk)
    if request.method == "POST":
        from zhengqi.web.forms import parse_day

        try:
            on = parse_day(request.POST.get("lost_on"), "lost_on")
            customer_mark_lost(customer=customer, by=user, reason=request.POST.get("lost_reason", ""), on=on)
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
        else:
            messages.success(request, gettext("已标记为%(status)s。") % {"status": CustomerModel.Status.CHURNED.label})
    return _back(customer, "#status-card")


@login_required
def customer_back(request: AuthedRequest, pk: int) -> HttpResponse:
    """Reactivate a lost customer (POST), with the reason."""
    from .lifecycle import customer_reactivate

    user = request.user
    customer = customer_get(user=user, pk=pk)
    if request.method == "POST":
        try:
            customer_reactivate(customer=customer, by=user, reason=request.POST.get("reason", ""))
        except ValidationError as err:
            messages.error(request, " ".join(err.messages))
        else:
            messages.success(request, gettext("客户已重新激活为在网客户。"))
    return _back(customer, "#status-card")
