"""Key persons (关键人) kept by the people who work the customer (seed 002 §8 客户资料整理, seed 004
摸): add, edit, retire. The account manager of the customer and the managers over its region may;
each save is validated whole, and a save made on a version someone else has since changed is
refused (``StaleEdit``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts import matrix
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.web.forms import StaleEdit

from .models import BuyingRole, Customer, KeyPerson, KeyPersonRole, RecordSource

# What a user may set on a key person (the roles go separately).
KEY_PERSON_FIELDS = (
    "name",
    "title",
    "department",
    "phone",
    "office_phone",
    "birthday",
    "closeness",
    "preferred_channel",
    "notes",
)
# Personal data: never shown or echoed unmasked to a role that may not see it.
PERSONAL_FIELDS = ("phone", "office_phone", "birthday")


def may_keep_records(user: User, customer: Customer) -> bool:
    """The account manager of the customer, the regional managers over it and the province keep its
    key persons and agreements."""
    return (
        matrix.role_of(user) in matrix.WORKERS
        and Customer.objects.filter(customer_scope(user), pk=customer.pk).exists()
    )


def _require_keeper(user: User, customer: Customer) -> None:
    if not may_keep_records(user, customer):
        raise PermissionDenied(_("只有该客户的客户经理、区域经理或省公司管理员可以维护客户资料。"))


def _roles(roles: list[str]) -> list[str]:
    valid = set(BuyingRole.values)
    bad = [r for r in roles if r not in valid]
    if bad:
        raise ValidationError({"roles": _("未知的购买角色：%(roles)s") % {"roles": "、".join(bad)}})
    return list(dict.fromkeys(roles))


def _refuse_same_person(person: KeyPerson) -> None:
    """A person already on the customer is not added twice: the same mobile number, or the same
    name where the phones cannot tell the two apart."""
    others = KeyPerson.objects.filter(customer_id=person.customer_id, left_on__isnull=True).exclude(pk=person.pk)
    if person.phone and (same := others.filter(phone=person.phone).first()) is not None:
        raise ValidationError(
            {
                "phone": _("该手机号已登记为本客户的关键人“%(name)s”：请修改该人员，而不是重复添加。")
                % {"name": same.name}
            }
        )
    for other in others.filter(name=person.name):
        if not person.phone or not other.phone:
            raise ValidationError(
                {
                    "name": _(
                        "本客户已有关键人“%(name)s”：如是同一人请修改原记录；如是同名的另一人，请填写其手机号以便区分。"
                    )
                    % {"name": other.name}
                }
            )


def key_person_warnings(person: KeyPerson) -> list[str]:
    """What is allowed but worth a second look: a namesake on the customer, or the same mobile
    number registered at another customer (the person may have moved)."""
    out: list[str] = []
    namesakes = KeyPerson.objects.filter(customer_id=person.customer_id, name=person.name, left_on__isnull=True)
    if namesakes.exclude(pk=person.pk).exists():
        out.append(_("本客户另有同名关键人“%(name)s”，请确认是两个人。") % {"name": person.name})
    if person.phone:
        elsewhere = (
            KeyPerson.objects.filter(phone=person.phone, left_on__isnull=True)
            .exclude(customer_id=person.customer_id)
            .select_related("customer")
            .first()
        )
        if elsewhere is not None:
            out.append(
                _("该手机号也登记为“%(customer)s”的关键人“%(name)s”：如其已调动，请在原单位将其标记为离职。")
                % {"customer": elsewhere.customer.name, "name": elsewhere.name}
            )
    return out


@transaction.atomic
def key_person_create(
    *,
    customer: Customer,
    by: User,
    roles: list[str],
    source: str = RecordSource.USER,
    source_ref: str = "",
    **fields: Any,
) -> KeyPerson:
    """Add a key person with their buying roles; refused input saves nothing."""
    _require_keeper(by, customer)
    unknown = set(fields) - set(KEY_PERSON_FIELDS)
    if unknown:
        raise ValidationError(_("不能设置这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    person = KeyPerson(customer=customer, created_by=by, source=source, source_ref=source_ref, **_cleaned(fields))
    person.full_clean()
    wanted = _roles(roles)
    _refuse_same_person(person)
    person.save()
    KeyPersonRole.objects.bulk_create([KeyPersonRole(key_person=person, role=r) for r in wanted])
    return person


@transaction.atomic
def key_person_update(
    *, person: KeyPerson, by: User, roles: list[str] | None = None, version: int | None = None, **fields: Any
) -> KeyPerson:
    """Save the editor's changes if nobody saved since they opened it (``version``). Fields not
    given are kept; the change of each field is kept in the customer's history (personal data
    masked there)."""
    _require_keeper(by, person.customer)
    unknown = set(fields) - set(KEY_PERSON_FIELDS)
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    locked = KeyPerson.objects.select_for_update().get(pk=person.pk)
    if version is not None and locked.version != version:
        raise StaleEdit(_("该关键人已被他人修改：您的修改没有保存。请刷新页面，在最新内容上重新修改。"))
    if locked.left_on is not None:
        raise ValidationError(_("“%(name)s”已离职，不能再修改。") % {"name": locked.name})
    for name, value in _cleaned(fields).items():
        setattr(locked, name, value)
    locked.full_clean()
    wanted = _roles(roles) if roles is not None else None
    _refuse_same_person(locked)
    locked.version += 1
    locked.save()
    if wanted is not None and set(wanted) != set(locked.roles.values_list("role", flat=True)):
        KeyPersonRole.objects.filter(key_person=locked).delete()
        KeyPersonRole.objects.bulk_create([KeyPersonRole(key_person=locked, role=r) for r in wanted])
    return locked


@transaction.atomic
def key_person_retire(*, person: KeyPerson, by: User, reason: str, on: dt.date | None = None) -> KeyPerson:
    """The person has left the customer: kept for the contact history, no longer a buying role's
    cover (the role map shows the gap again)."""
    _require_keeper(by, person.customer)
    on = on or timezone.localdate()
    reason = reason.strip()
    if not reason:
        raise ValidationError({"left_reason": _("请写明离职说明（例如：调往其他单位、退休）。")})
    if on > timezone.localdate():
        raise ValidationError({"left_on": _("离职日期不能晚于今天。")})
    locked = KeyPerson.objects.select_for_update().get(pk=person.pk)
    if locked.left_on is not None:
        raise ValidationError(_("“%(name)s”已于 %(day)s 标记为离职。") % {"name": locked.name, "day": locked.left_on})
    locked.left_on, locked.left_reason = on, reason[:200]
    locked.full_clean()
    locked.version += 1
    locked.save()
    return locked


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """Text trimmed; None for text fields read as blank."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if name in ("birthday", "closeness"):
            out[name] = value
        else:
            out[name] = (value or "").strip() if isinstance(value, str | type(None)) else value
    return out


def key_persons_of(customer: Customer) -> QuerySet[KeyPerson]:
    """The customer's key persons, those still there first, with their roles and the day of the last
    contact recorded with them."""
    return (
        customer.key_persons.prefetch_related("roles")
        .select_related("created_by")
        .annotate(last_contact=Max("interaction__date"))
        .order_by(F("left_on").asc(nulls_first=True), "id")
    )


def key_person_get(*, user: User, customer: Customer, pk: int) -> KeyPerson:
    """One key person of a customer the user may see, or 404."""
    from django.http import Http404

    person = (
        KeyPerson.objects.filter(customer_scope(user, prefix="customer__"), customer=customer, pk=pk)
        .select_related("customer")
        .first()
    )
    if person is None:
        raise Http404(_("关键人不存在或无权查看。"))
    return person
