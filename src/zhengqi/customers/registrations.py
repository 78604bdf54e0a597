"""Registering a new group customer (集团客户认定): an account manager registers an organisation with
its credit code, industry, scale, the members expected and evidence (the business licence); the
regional manager approves or rejects. Rules against fake groups (seeds 000/004): at approval, at
least ``ZHENGQI_GROUP_MIN_MEMBERS`` members expected and no customer with that credit code or name on
file; ``ZHENGQI_GROUP_PROOF_MONTHS`` later, each month run checks the members really arrived and are
not mostly “三无” (``registration_proofs``), raising 集团认定未落实 where they did not."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import manages_region, regions_visible_to
from zhengqi.accounts.models import Region, User
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import deciders_over, notify

from .contracts import signed_file_check
from .models import Customer, Registration
from .services import customer_create, normalise_name

GROUP_PROOF_CODE = "GROUP_PROOF"  # the alert of a registered group whose members never arrived


def _may_register_in(user: User, region: Region) -> bool:
    return (
        matrix.role_of(user) in matrix.WORKERS
        and Region.objects.filter(regions_visible_to(user), pk=region.pk).exists()
    )


def _may_decide(user: User, registration: Registration) -> bool:
    return user.pk != registration.proposed_by_id and manages_region(user, registration.region)


def _already_a_customer(credit_code: str, name: str) -> str | None:
    """The sentence refusing an organisation that is already on file, or None."""
    found = Customer.objects.filter(credit_code=credit_code).first() if credit_code else None
    if found is not None:
        return _("信用代码 %(code)s 已属于客户“%(name)s”（%(number)s）。") % {
            "code": credit_code,
            "name": found.name,
            "number": found.code,
        }
    key = normalise_name(name)
    for other, code in Customer.objects.values_list("name", "code").iterator():
        if normalise_name(other) == key:
            return _("已有名称相同的客户“%(name)s”（%(number)s）。") % {"name": other, "number": code}
    return None


@transaction.atomic
def registration_submit(
    *, by: User, region: Region | None, evidence: UploadedFile | None, members_expected: Any, **fields: Any
) -> Registration:
    """Register an organisation as a group customer, pending the regional manager's approval."""
    if region is None:
        raise ValidationError({"region": _("请选择所属区域。")})
    if not _may_register_in(by, region):
        raise PermissionDenied(_("只能在本人负责的区域内申请集团客户认定。"))
    registration = Registration(proposed_by=by, region=region, members_expected=members_expected, **fields)
    registration.full_clean(exclude=["evidence"])
    if evidence is None:
        raise ValidationError({"evidence": _("请上传营业执照或单位证明（PDF 或照片）。")})
    if (sentence := _already_a_customer(registration.credit_code, registration.name)) is not None:
        raise ValidationError({"credit_code": sentence})
    if Registration.objects.filter(credit_code=registration.credit_code, status=Registration.Status.PENDING).exists():
        raise ValidationError({"credit_code": _("该信用代码已有待审批的认定申请。")})
    signed_file_check(evidence, field="evidence")
    registration.evidence_name = (evidence.name or "")[:200]
    registration.evidence.save(evidence.name or "evidence", evidence, save=False)
    registration.save()
    notify(
        set(deciders_over(region)) - {by.pk},
        Kind.APPROVAL_WAITING,
        _("待审批：%(name)s 的集团客户认定申请") % {"name": registration.name},
        body=_("%(who)s 提交，预计入网成员 %(n)s 人") % {"who": by, "n": registration.members_expected},
        link=reverse("customers:registration", args=[registration.pk]),
        key=f"registration-waiting:{registration.pk}",
    )
    return registration


@transaction.atomic
def registration_decide(*, registration: Registration, by: User, approve: bool, comment: str = "") -> Registration:
    """Approve (the organisation becomes a group customer in service, owned by the account manager
    who registered it) or reject with a comment. An approval the rules refuse is refused with why."""
    locked = Registration.objects.select_for_update().select_related("region").get(pk=registration.pk)
    if locked.status != Registration.Status.PENDING:
        raise ValidationError(_("该认定申请%(status)s，不能再审批。") % {"status": locked.get_status_display()})
    if not _may_decide(by, locked):
        raise PermissionDenied(_("集团客户认定由所属区域的区域经理审批（申请人本人不能审批）。"))
    comment = comment.strip()
    if not approve:
        if not comment:
            raise ValidationError({"comment": _("驳回时请写明原因。")})
        locked.status = Registration.Status.REJECTED
    else:
        minimum = settings.ZHENGQI_GROUP_MIN_MEMBERS
        if locked.members_expected < minimum:
            raise ValidationError(
                _("预计入网成员 %(n)d 人，少于集团客户的最低要求 %(min)d 人：不能认定，请驳回或请申请人补充。")
                % {"n": locked.members_expected, "min": minimum}
            )
        if (sentence := _already_a_customer(locked.credit_code, locked.name)) is not None:
            raise ValidationError(sentence)
        proposer = User.objects.get(pk=locked.proposed_by_id)
        customer = customer_create(
            by=by,
            account_manager=proposer if proposer.role == User.Role.ACCOUNT_MANAGER else None,
            code=f"G{timezone.localdate():%Y%m%d}{secrets.token_hex(3).upper()}",
            name=locked.name,
            credit_code=locked.credit_code,
            customer_type=locked.customer_type,
            industry=locked.industry,
            scale=locked.scale,
            region=locked.region,
            address=locked.address,
            status=Customer.Status.ACTIVE,
            source=Customer.Source.REGISTRATION,
        )
        locked.status, locked.customer = Registration.Status.APPROVED, customer
        locked.proof_month = _months_after(timezone.localdate(), settings.ZHENGQI_GROUP_PROOF_MONTHS)
    locked.decided_by, locked.decided_at, locked.comment = by, timezone.now(), comment
    locked.save()
    notify(
        [locked.proposed_by_id],
        Kind.APPROVAL_DECIDED,
        _("您的集团客户认定申请（%(name)s）%(status)s") % {"name": locked.name, "status": locked.get_status_display()},
        body=comment,
        link=reverse("customers:registration", args=[locked.pk]),
        key=f"registration-decided:{locked.pk}",
    )
    return locked


def _months_after(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def registrations_visible_to(user: User) -> QuerySet[Registration]:
    return Registration.objects.filter(_region_scope(user)).select_related(
        "region", "proposed_by", "decided_by", "customer"
    )


def _region_scope(user: User) -> Any:
    from django.db.models import Q

    from zhengqi.accounts.access import NOTHING, sees_whole_province

    if sees_whole_province(user):
        return Q()
    if user.role == User.Role.ACCOUNT_MANAGER:
        return Q(proposed_by=user)
    if user.region is None or matrix.role_of(user) not in matrix.STAFF:
        return NOTHING
    return Q(region__path__startswith=user.region.path)


def registration_get(*, user: User, pk: int) -> Registration:
    found = registrations_visible_to(user).filter(pk=pk).first()
    if found is None:
        raise Http404(_("认定申请不存在或无权查看。"))
    return found


def registrations_to_decide(user: User) -> list[Registration]:
    pending = registrations_visible_to(user).filter(status=Registration.Status.PENDING).order_by("proposed_at")
    return [r for r in pending[:200] if _may_decide(user, r)]


def may_decide_registration(user: User, registration: Registration) -> bool:
    return registration.status == Registration.Status.PENDING and _may_decide(user, registration)


@dataclass(frozen=True)
class Proof:
    customer_code: str
    members_active: int
    idle_share: float | None
    passed: bool
    evidence: dict[str, Any]


def registration_proofs(month: dt.date, features: Mapping[str, Mapping[str, Any]]) -> list[Proof]:
    """For each registered group due for proof by ``month``: did its members arrive (at least the
    minimum in the network, at most the “三无” share)? Records the result on the registration; the
    month run raises 集团认定未落实 for each that did not (and resolves it once they have)."""
    minimum = settings.ZHENGQI_GROUP_MIN_MEMBERS
    ceiling = settings.ZHENGQI_GROUP_MAX_IDLE_SHARE
    out = []
    due = Registration.objects.filter(
        status=Registration.Status.APPROVED, proof_month__lte=month, customer__isnull=False
    ).select_related("customer")
    for registration in due:
        assert registration.customer is not None
        row = features.get(registration.customer.code) or {}
        members = int(row.get("members_active") or 0)
        idle = row.get("idle_share")
        idle_share = float(idle) if idle is not None else None
        passed = members >= minimum and (idle_share is None or idle_share <= ceiling)
        registration.proof = Registration.Proof.PASSED if passed else Registration.Proof.FAILED
        registration.proof_members, registration.proof_idle_share = members, idle_share
        registration.save(update_fields=["proof", "proof_members", "proof_idle_share"])
        said = _(
            "%(day)s 认定为集团客户，预计 %(expected)d 名成员入网；"
            "要求至少 %(min)d 名在网成员、“三无”占比不超过 %(idle).0f%%。"
        ) % {
            "day": f"{registration.decided_at:%Y-%m-%d}" if registration.decided_at else "",
            "expected": registration.members_expected,
            "min": minimum,
            "idle": ceiling * 100,
        }
        evidence = {"members_active": members, "idle_share": idle_share, "registration": str(said)}
        out.append(Proof(registration.customer.code, members, idle_share, passed, evidence))
    return out
