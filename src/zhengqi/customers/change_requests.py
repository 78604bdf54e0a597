"""Change requests for the master data that BSS owns (name, credit code, type, industry, scale,
address) and for the group structure (a parent/child link): whoever works the customer proposes;
a regional manager over the customer — for a new parent, over both sides — approves or rejects with
a comment; an approved change applies with field-level history naming the approver."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import deciders_over, notify

from .key_persons import _require_keeper
from .models import MASTER_FIELDS, ChangeRequest, Customer, customer_field
from .services import may_manage_region


def _value(customer: Customer, name: str) -> str:
    return str(getattr(customer, name) or "")


@transaction.atomic
def change_request_propose(*, customer: Customer, by: User, changes: dict[str, Any], reason: str) -> ChangeRequest:
    """Propose new values for some master-data fields. Only fields that differ count; the new values
    are checked now (a credit code with a wrong check digit is refused at once); a field already
    waiting in another request is refused."""
    _require_keeper(by, customer)
    unknown = set(changes) - set(MASTER_FIELDS)
    if unknown:
        raise ValidationError(_("不能申请修改这些字段：%(fields)s") % {"fields": "、".join(sorted(unknown))})
    wanted = {k: (v.strip() if isinstance(v, str) else v) for k, v in changes.items()}
    if wanted.get("credit_code"):
        wanted["credit_code"] = str(wanted["credit_code"]).upper()
    differ = {k: v for k, v in wanted.items() if str(v or "") != _value(customer, k)}
    if not differ:
        raise ValidationError(_("没有要修改的内容：填写的值与现有资料相同。"))
    if not reason.strip():
        raise ValidationError({"reason": _("请写明修改理由（例如：客户已更名，见新营业执照）。")})
    trial = Customer.objects.get(pk=customer.pk)
    for name, value in differ.items():
        setattr(trial, name, value or (None if name == "credit_code" else ""))
    trial.full_clean(exclude=["account_manager", "parent"])
    waiting = ChangeRequest.objects.filter(customer=customer, kind=ChangeRequest.Kind.MASTER, status="pending")
    busy = sorted({f for r in waiting for f in r.changes} & set(differ))
    if busy:
        labels = "、".join(str(customer_field(f).verbose_name) for f in busy)
        raise ValidationError(
            _("这些字段已有待审批的变更申请：%(fields)s。请等待审批或撤回原申请。") % {"fields": labels}
        )
    request = ChangeRequest(
        customer=customer,
        kind=ChangeRequest.Kind.MASTER,
        changes={k: [_value(customer, k), str(v or "")] for k, v in differ.items()},
        reason=reason.strip(),
        proposed_by=by,
    )
    request.full_clean()
    request.save()
    _waiting(request)
    return request


@transaction.atomic
def parent_link_propose(*, customer: Customer, by: User, parent_code: str, reason: str) -> ChangeRequest:
    """Propose a parent for the customer (a branch office under its head office, a subsidiary under
    its group), or none (an empty code). Cycles are refused now and again at approval."""
    _require_keeper(by, customer)
    code = parent_code.strip()
    parent = Customer.objects.filter(code=code).first() if code else None
    if code and parent is None:
        raise ValidationError({"parent_code": _("没有客户编码为“%(code)s”的客户。") % {"code": code}})
    if (parent.pk if parent else None) == customer.parent_id:
        raise ValidationError({"parent_code": _("该单位已经是（或已不是）本客户的上级单位。")})
    if not reason.strip():
        raise ValidationError({"reason": _("请写明理由（例如：客户为该集团的分公司）。")})
    trial = Customer.objects.get(pk=customer.pk)
    trial.parent = parent
    trial.clean()
    if ChangeRequest.objects.filter(customer=customer, kind=ChangeRequest.Kind.PARENT, status="pending").exists():
        raise ValidationError(_("本客户已有待审批的上级单位申请。请等待审批或撤回原申请。"))
    request = ChangeRequest.objects.create(
        customer=customer,
        kind=ChangeRequest.Kind.PARENT,
        new_parent=parent,
        old_parent=customer.parent,
        reason=reason.strip(),
        proposed_by=by,
    )
    _waiting(request)
    return request


def _waiting(request: ChangeRequest) -> None:
    """Tell those who may decide (the proposer excepted) that a change waits for them."""
    deciders = set(deciders_over(request.customer.region))
    if request.new_parent is not None:
        deciders |= set(deciders_over(request.new_parent.region))
    notify(
        deciders - {request.proposed_by_id},
        Kind.APPROVAL_WAITING,
        _("待审批：%(customer)s 的资料变更申请") % {"customer": request.customer.name},
        body=_("%(who)s 提交，理由：%(reason)s") % {"who": request.proposed_by, "reason": request.reason},
        link=reverse("customers:change", args=[request.pk]),
        key=f"change-waiting:{request.pk}",
    )


def _decided(request: ChangeRequest) -> None:
    notify(
        [request.proposed_by_id],
        Kind.APPROVAL_DECIDED,
        _("您的资料变更申请（%(customer)s）%(status)s")
        % {"customer": request.customer.name, "status": request.get_status_display()},
        body=request.comment,
        link=reverse("customers:change", args=[request.pk]),
        key=f"change-decided:{request.pk}",
    )


def _sides(request: ChangeRequest, user: User) -> tuple[bool, bool]:
    """Whether the user may decide for the customer's side and for the new parent's side."""
    child = may_manage_region(user, request.customer) and user.pk != request.proposed_by_id
    if request.kind != ChangeRequest.Kind.PARENT or request.new_parent is None:
        return child, child
    parent = may_manage_region(user, request.new_parent) and user.pk != request.proposed_by_id
    return child, parent


def may_decide(request: ChangeRequest, user: User) -> bool:
    if request.status != ChangeRequest.Status.PENDING:
        return False
    child, parent = _sides(request, user)
    return (child and request.child_side_by_id is None) or (parent and request.parent_side_by_id is None)


@transaction.atomic
def change_request_decide(*, request: ChangeRequest, by: User, approve: bool, comment: str = "") -> ChangeRequest:
    """Approve or reject (a rejection needs a comment). An approved data change applies at once; a
    new parent applies once both sides have approved. The one who proposed may not decide."""
    locked = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("customer", "new_parent")
        .get(pk=request.pk)
    )
    if locked.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("该申请%(status)s，不能再审批。") % {"status": locked.get_status_display()})
    child, parent = _sides(locked, by)
    if not (child or parent):
        raise PermissionDenied(_("变更申请由客户所在区域的区域经理审批（申请人本人不能审批）。"))
    comment = comment.strip()
    now = timezone.now()
    if not approve:
        if not comment:
            raise ValidationError({"comment": _("驳回时请写明原因。")})
        locked.status, locked.comment, locked.decided_at = ChangeRequest.Status.REJECTED, comment, now
        locked.child_side_by = locked.child_side_by or by
        locked.save()
        _decided(locked)
        return locked
    if child and locked.child_side_by_id is None:
        locked.child_side_by = by
    if parent and locked.parent_side_by_id is None:
        locked.parent_side_by = by
    locked.comment = "\n".join(x for x in (locked.comment, comment) if x)
    if locked.child_side_by_id is not None and locked.parent_side_by_id is not None:
        _apply(locked, by)
        locked.status, locked.decided_at = ChangeRequest.Status.APPROVED, now
    locked.save()
    if locked.status == ChangeRequest.Status.APPROVED:
        _decided(locked)
    return locked


def _apply(request: ChangeRequest, by: User) -> None:
    """Write the approved values (checked again: the data may have moved since the proposal), with
    the approval in the change's history."""
    from auditlog.context import set_actor

    customer = Customer.objects.select_for_update().get(pk=request.customer_id)
    if request.kind == ChangeRequest.Kind.PARENT:
        customer.parent = request.new_parent
    else:
        for name, (_old, new) in request.changes.items():
            setattr(customer, name, new or (None if name == "credit_code" else ""))
    customer.full_clean(exclude=["account_manager"])
    customer._approval = {  # type: ignore[attr-defined]  # read by Customer.get_additional_data
        "change_request": request.pk,
        "proposed_by": str(request.proposed_by),
        "approved_by": str(by),
    }
    with set_actor(by):
        customer.save()


@transaction.atomic
def change_request_withdraw(*, request: ChangeRequest, by: User) -> ChangeRequest:
    locked = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if locked.proposed_by_id != by.pk:
        raise ValidationError(_("只有申请人本人可以撤回申请。"))
    if locked.status != ChangeRequest.Status.PENDING:
        raise ValidationError(_("该申请%(status)s，不能撤回。") % {"status": locked.get_status_display()})
    locked.status, locked.decided_at = ChangeRequest.Status.WITHDRAWN, timezone.now()
    locked.save()
    return locked


def change_requests_visible_to(user: User) -> QuerySet[ChangeRequest]:
    """Requests on customers in the user's scope, and — for a manager over a new parent — those that
    would put a customer under one of theirs."""
    return (
        ChangeRequest.objects.filter(
            customer_scope(user, prefix="customer__") | customer_scope(user, prefix="new_parent__")
        )
        .select_related("customer", "new_parent", "old_parent", "proposed_by", "child_side_by", "parent_side_by")
        .distinct()
    )


def change_requests_to_decide(user: User) -> list[ChangeRequest]:
    """Pending requests the user may decide, oldest first."""
    pending = change_requests_visible_to(user).filter(status=ChangeRequest.Status.PENDING).order_by("proposed_at")
    return [r for r in pending[:200] if may_decide(r, user)]


def change_request_get(*, user: User, pk: int) -> ChangeRequest:
    found = change_requests_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("变更申请不存在或无权查看。"))
    return found


def held_values(customer_ids: list[int]) -> dict[int, dict[str, tuple[str, ChangeRequest]]]:
    """For each customer, the fields whose approved value the operator's system has not confirmed yet
    (the latest approved request per field): an import must not silently undo them."""
    out: dict[int, dict[str, tuple[str, ChangeRequest]]] = {}
    approved = ChangeRequest.objects.filter(
        Q(customer_id__in=customer_ids), status=ChangeRequest.Status.APPROVED, settled_at__isnull=True
    ).order_by("decided_at", "pk")
    for request in approved.select_related("new_parent", "child_side_by"):
        fields = out.setdefault(request.customer_id, {})
        if request.kind == ChangeRequest.Kind.PARENT:
            fields["parent"] = (request.new_parent.code if request.new_parent else "", request)
        else:
            for name, (_old, new) in request.changes.items():
                fields[name] = (new, request)
    return out
