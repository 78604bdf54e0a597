"""Writes to customers and what hangs off them. Every write validates (``full_clean``) inside a
transaction, so a refused input saves nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope, manages_region
from zhengqi.accounts.models import User
from zhengqi.accounts.privacy import may_reveal_personal_data
from zhengqi.engine.value.tiers import VIP_TIERS

from .models import (
    AccountAssignment,
    Customer,
    CustomerMerge,
    CustomerMonth,
    KeyPerson,
    NotDuplicate,
)

# 任职资格制度 (seed 004): only senior grades may own the top tiers.
QUALIFIED_TIERS = VIP_TIERS
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
    return manages_region(user, customer.region)


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
    from .key_persons import key_persons_of

    people = list(key_persons_of(customer))
    for person in people:
        accessed.send(sender=KeyPerson, instance=person)
    return people


# --- de-duplication (F-20) ---------------------------------------------------------------------

_LEGAL_FORMS = (("有限责任公司", "有限公司"), ("股份有限公司", "股份公司"))


def normalise_name(name: str) -> str:
    """The form two spellings of one name share: full-width → half-width, no spaces or
    punctuation, brackets alike, “有限责任公司” read as “有限公司”."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKC", name).lower()
    text = re.sub(r"[\s·•.,，、\-_'\"“”‘’]", "", text)
    text = text.replace("(", "").replace(")", "").replace("[", "").replace("]", "")
    for long, short in _LEGAL_FORMS:
        text = text.replace(long, short)
    return text


def may_merge(user: User) -> bool:
    return bool(user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)


@transaction.atomic
def customers_merge(*, survivor: Customer, duplicate: Customer, by: User, lake_root: Any = None) -> CustomerMerge:
    """Make ``duplicate`` part of ``survivor``: every record that hangs off it (key persons,
    subscriptions, contracts, assignments, interactions, tasks, alerts, monthly facts, child units —
    whatever the schema holds) moves to the survivor; facts of the same month are added up, derived
    rows the survivor already has for that month are dropped (the next month run recomputes them);
    the lake's facts are recoded; the duplicate is deleted and the merge recorded."""
    from django.conf import settings
    from django.db.models import Model

    from zhengqi.engine.lake import Lake

    if not may_merge(by):
        raise PermissionDenied(_("只有省公司管理员可以合并客户。"))
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("不能把客户与自己合并。"))
    moved: dict[str, int] = {}
    # The duplicate's open assignment ends today: the survivor keeps its own account manager.
    AccountAssignment.objects.filter(customer=duplicate, end__isnull=True).update(end=timezone.localdate())
    if survivor.parent_id == duplicate.pk:
        survivor.parent_id = duplicate.parent_id if duplicate.parent_id != survivor.pk else None
        survivor.save(update_fields=["parent", "updated_at"])
    for relation in Customer._meta.related_objects:
        if relation.many_to_many or relation.one_to_one or not relation.field.concrete:
            continue
        model: type[Model] = relation.related_model  # type: ignore[assignment]  # related_model is a model class for every relation walked here
        if model is CustomerMerge:
            continue
        fk = relation.field.name
        rows = model._default_manager.filter(**{fk: duplicate})
        conflicts = _unique_conflicts(model, fk, survivor, duplicate)
        if model is CustomerMonth:
            _add_up_months(conflicts, survivor)
        for row in conflicts:
            row.delete()
        n = rows.update(**{fk: survivor})
        if n or conflicts:
            moved[model._meta.label] = n + (len(conflicts) if model is CustomerMonth else 0)
    if not survivor.credit_code and duplicate.credit_code:
        credit = duplicate.credit_code
        Customer.objects.filter(pk=duplicate.pk).update(credit_code=None)
        survivor.credit_code = credit
        survivor.save(update_fields=["credit_code", "updated_at"])
    merge = CustomerMerge.objects.create(
        survivor=survivor,
        duplicate_code=duplicate.code,
        duplicate_name=duplicate.name,
        duplicate_credit_code=duplicate.credit_code or "",
        moved=moved,
        by=by,
    )
    lake = Lake(lake_root or settings.ZHENGQI_LAKE)
    duplicate_code = duplicate.code
    duplicate.delete()
    # The lake is rewritten last, month by month atomically; if the database part fails, nothing
    # of the lake has been touched. Recoding is idempotent, so a retry after a crash completes it.
    merge.moved["lake_rows"] = lake.recode_customer(duplicate_code, survivor.code)
    merge.save(update_fields=["moved"])
    return merge


def _unique_conflicts(model: Any, fk: str, survivor: Customer, duplicate: Customer) -> list[Any]:
    """The duplicate's rows that would break a unique constraint once moved to the survivor."""
    from django.db.models import UniqueConstraint

    out: list[Any] = []
    for constraint in model._meta.constraints:
        if not isinstance(constraint, UniqueConstraint) or fk not in constraint.fields:
            continue
        others = [f for f in constraint.fields if f != fk]
        taken = set(
            model._default_manager.filter(**{fk: survivor}).filter(constraint.condition or Q()).values_list(*others)
        )
        for row in model._default_manager.filter(**{fk: duplicate}).filter(constraint.condition or Q()):
            if (
                tuple(getattr(row, f if not model._meta.get_field(f).is_relation else f + "_id") for f in others)
                in taken
            ):
                out.append(row)
    return out


def _add_up_months(rows: list[CustomerMonth], survivor: Customer) -> None:
    """A month both records had: the survivor's facts become the sum of the two."""
    from django.db.models import DecimalField, IntegerField

    numeric = [
        f.name
        for f in CustomerMonth._meta.concrete_fields
        if isinstance(f, DecimalField | IntegerField) and not f.primary_key
    ]
    for row in rows:
        target = CustomerMonth.objects.get(customer=survivor, month=row.month)
        for name in numeric:
            setattr(target, name, getattr(target, name) + getattr(row, name))
        target.save()


@transaction.atomic
def duplicates_dismiss(*, customer_ids: list[int], by: User) -> int:
    """Mark every pair of the given customers as different customers (never proposed again)."""
    if not may_merge(by):
        raise PermissionDenied(_("只有省公司管理员可以合并客户。"))
    ordered = sorted(set(customer_ids))
    made = 0
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            made += NotDuplicate.objects.get_or_create(first_id=a, second_id=b, defaults={"by": by})[1]
    return made


@transaction.atomic
def customers_merge_into(
    *, survivor_id: int | None, customer_ids: list[int], by: User
) -> tuple[Customer, list[Customer]]:
    """Merge the ticked customers into the one kept (all or none); returns the survivor and those
    merged into it."""
    survivor = Customer.objects.filter(pk=survivor_id or 0).first()
    others = list(Customer.objects.filter(pk__in=customer_ids).exclude(pk=survivor.pk if survivor else 0))
    if survivor is None or not others:
        raise ValidationError(_("请选择保留的客户，并勾选要合并进来的客户。"))
    for duplicate in others:
        customers_merge(survivor=survivor, duplicate=duplicate, by=by)
    return survivor, others
