"""Writes to customers and what hangs off them. Every write validates (``full_clean``) inside a
transaction, so a refused input saves nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.accounts.privacy import may_reveal_personal_data

from .models import AccountAssignment, Contract, Customer, KeyPerson, KeyPersonRole, Product

# 任职资格制度 (seed 004): only senior grades may own the top tiers.
QUALIFIED_TIERS = ("A+", "A")
QUALIFIED_GRADE = User.Grade.SENIOR

CUSTOMER_EDITABLE = {
    "name",
    "credit_code",
    "customer_type",
    "industry",
    "scale",
    "region",
    "address",
    "status",
    "competitor_operator",
    "parent",
}
# What an account manager may correct in passing, while logging a contact (客户资料整理, F-15).
CUSTOMER_CORRECTABLE = ("name", "address", "customer_type", "industry", "scale", "competitor_operator")


def may_manage_region(user: User, customer: Customer) -> bool:
    """Creating, re-parenting and re-assigning are for managers over the customer's region."""
    if user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN:
        return True
    return (
        user.role == User.Role.REGIONAL_MANAGER
        and user.region is not None
        and customer.region.path.startswith(user.region.path)
    )


@transaction.atomic
def customer_create(*, by: User, account_manager: User | None = None, **fields: Any) -> Customer:
    customer = Customer(**fields)
    customer.full_clean(exclude=["account_manager"])
    if not may_manage_region(by, customer) and by.role != User.Role.ACCOUNT_MANAGER:
        raise PermissionDenied(_("您无权在该区域新建客户。"))
    if by.role == User.Role.ACCOUNT_MANAGER:
        if by.region is None or not customer.region.path.startswith(by.region.path):
            raise PermissionDenied(_("客户经理只能在本人所属区域内录入客户。"))
        account_manager = by
    customer.save()
    if account_manager is not None:
        customer_assign_manager(customer=customer, to_manager=account_manager, by=by, reason=_("新建客户"))
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User, **fields: Any) -> Customer:
    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权修改该客户。"))
    unknown = set(fields) - CUSTOMER_EDITABLE
    if unknown:
        raise ValidationError(_("不能修改这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    return customer


@transaction.atomic
def customer_assign_manager(
    *, customer: Customer, to_manager: User, by: User | None, reason: str = "", on: dt.date | None = None
) -> AccountAssignment:
    """Make ``to_manager`` the customer's account manager, closing the previous assignment."""
    if (
        by is not None
        and not may_manage_region(by, customer)
        and not (by.role == User.Role.ACCOUNT_MANAGER and by == to_manager and customer.account_manager_id is None)
    ):
        raise PermissionDenied(_("只有区域经理或省公司管理员可以调整客户经理。"))
    if to_manager.role != User.Role.ACCOUNT_MANAGER or not to_manager.is_active:
        raise ValidationError(_("“%(name)s”不是在职的客户经理。") % {"name": to_manager})
    if to_manager.region is None or not customer.region.path.startswith(to_manager.region.city_path):
        raise ValidationError(_("客户经理“%(name)s”不属于该客户所在地市。") % {"name": to_manager})
    if customer.tier in QUALIFIED_TIERS and (to_manager.grade or 0) < QUALIFIED_GRADE:
        raise ValidationError(
            _("%(tier)s 级客户只能由高级及以上客户经理负责（任职资格制度），“%(name)s”是%(grade)s。")
            % {"tier": customer.tier, "name": to_manager, "grade": to_manager.get_grade_display() or _("未定级")}
        )
    on = on or timezone.localdate()
    AccountAssignment.objects.filter(customer=customer, end__isnull=True).update(end=on)
    assignment = AccountAssignment.objects.create(
        customer=customer, manager=to_manager, start=on, assigned_by=by, reason=reason
    )
    customer.account_manager = to_manager
    customer.save(update_fields=["account_manager", "updated_at"])
    return assignment


@transaction.atomic
def customer_correct(*, customer: Customer, by: User, **fields: Any) -> list[str]:
    """Apply the fields that differ from what is stored; return their names. The history of each
    change (who, when, old → new) is kept by django-auditlog. Refused input saves nothing."""
    unknown = set(fields) - set(CUSTOMER_CORRECTABLE)
    if unknown:
        raise ValidationError(_("不能在此更正这些字段：%(fields)s") % {"fields": ", ".join(sorted(unknown))})
    changed = {name: value for name, value in fields.items() if getattr(customer, name) != value}
    if changed:
        customer_update(customer=customer, by=by, **changed)
    return sorted(changed)


@transaction.atomic
def customers_bulk_assign(*, customer_ids: list[int], to_manager: User, by: User, reason: str = "") -> int:
    """Give several customers to one account manager: all of them, or — if any is refused — none,
    with every refusal named."""
    customers = list(
        Customer.objects.filter(customer_scope(by), pk__in=customer_ids).select_related("region", "account_manager")
    )
    if len(customers) != len(set(customer_ids)):
        raise ValidationError(_("部分客户不存在或无权调整。"))
    problems: list[str] = []
    moved = 0
    for customer in customers:
        if customer.account_manager_id == to_manager.pk:
            continue
        try:
            with transaction.atomic():
                customer_assign_manager(customer=customer, to_manager=to_manager, by=by, reason=reason)
        except ValidationError as err:
            problems.append(f"{customer.name}：{' '.join(err.messages)}")
        else:
            moved += 1
    if problems:
        raise ValidationError(problems)
    return moved


def key_persons_reveal(*, customer: Customer, by: User) -> list[KeyPerson]:
    """The customer's key persons with their phones and birthdays, for a role that may see them;
    each reveal is written to the access log (django-auditlog, action "access")."""
    from auditlog.signals import accessed

    if not may_reveal_personal_data(by):
        raise PermissionDenied(_("您的角色无权查看关键人的完整联系方式。"))
    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权查看该客户。"))
    people = list(customer.key_persons.prefetch_related("roles"))
    for person in people:
        accessed.send(sender=KeyPerson, instance=person)
    return people


@transaction.atomic
def key_person_create(*, customer: Customer, by: User, roles: list[str], **fields: Any) -> KeyPerson:
    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权修改该客户。"))
    person = KeyPerson(customer=customer, **fields)
    person.full_clean()
    valid = {value for value, _label in KeyPersonRole._meta.get_field("role").choices or []}
    bad = [r for r in roles if r not in valid]
    if bad:
        raise ValidationError(_("未知的购买角色：%(roles)s") % {"roles": ", ".join(bad)})
    person.save()
    KeyPersonRole.objects.bulk_create([KeyPersonRole(key_person=person, role=r) for r in dict.fromkeys(roles)])
    return person


@transaction.atomic
def contract_create(*, customer: Customer, by: User, products: list[Product] | None = None, **fields: Any) -> Contract:
    if not Customer.objects.filter(customer_scope(by), pk=customer.pk).exists():
        raise PermissionDenied(_("您无权修改该客户。"))
    contract = Contract(customer=customer, **fields)
    contract.full_clean()
    contract.save()
    if products:
        contract.products.set(products)
    return contract
