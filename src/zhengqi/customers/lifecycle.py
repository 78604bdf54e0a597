"""A customer's life: a prospect won by an opportunity comes into service (its account manager, its
won products as subscriptions pending until BSS confirms them); a customer in service can be marked
lost with a reason — what the churn model learns from — and reactivated."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User

from .key_persons import _require_keeper
from .models import Customer, Product, RecordSource, Subscription
from .services import customer_assign_manager
from .versions import customers_changed


def _save_with_note(customer: Customer, by: User, note: str) -> None:
    from auditlog.context import set_actor

    customer._approval = {"note": note}  # type: ignore[attr-defined]  # read by Customer.get_additional_data
    customer.full_clean(exclude=["account_manager", "parent"])
    with set_actor(by):
        customer.save()


@transaction.atomic
def customer_won(
    *, customer: Customer, by: User, owner: User | None, opportunity_ref: str, products: list[Product]
) -> list[Subscription]:
    """An opportunity was won. A prospect comes into service (source “商机赢单”), owned by the
    opportunity's account manager where it had none; each won product the customer does not hold
    yet becomes a subscription pending BSS's confirmation. Returns the pending subscriptions made."""
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status == Customer.Status.PROSPECT:
        locked.status = Customer.Status.ACTIVE
        locked.source = Customer.Source.OPPORTUNITY
        locked.source_batch = opportunity_ref[:64]
        _save_with_note(locked, by, _("商机 %(ref)s 赢单，转为在网客户") % {"ref": opportunity_ref})
        if locked.account_manager_id is None and owner is not None and owner.role == User.Role.ACCOUNT_MANAGER:
            customer_assign_manager(customer=locked, to_manager=owner, by=None, reason=_("商机赢单"))
    held = set(
        Subscription.objects.filter(
            customer=locked, status__in=[Subscription.Status.ACTIVE, Subscription.Status.PENDING]
        ).values_list("product_id", flat=True)
    )
    today = timezone.localdate()
    made = [
        Subscription(
            customer=locked,
            product=product,
            start=today,
            monthly_fee=product.list_price,
            status=Subscription.Status.PENDING,
            source=RecordSource.OPPORTUNITY,
            source_ref=opportunity_ref[:64],
            created_by=by,
        )
        for product in products
        if product.pk not in held
    ]
    Subscription.objects.bulk_create(made)
    customers_changed([customer.pk])
    customer.refresh_from_db()
    return made


@transaction.atomic
def customer_mark_lost(*, customer: Customer, by: User, reason: str, on: dt.date | None = None) -> Customer:
    """The customer has left (离网): the day and the reason are kept, and the month run and the churn
    model read it as lost."""
    _require_keeper(by, customer)
    reason = reason.strip()
    on = on or timezone.localdate()
    if not reason:
        raise ValidationError({"lost_reason": _("请写明离网原因（例如：转投其他运营商、单位撤销）。")})
    if on > timezone.localdate():
        raise ValidationError({"lost_on": _("离网日期不能晚于今天。")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status != Customer.Status.ACTIVE:
        raise ValidationError(
            _("只有在网客户可以标记为离网（该客户现为“%(status)s”）。") % {"status": locked.get_status_display()}
        )
    locked.status, locked.lost_on, locked.lost_reason = Customer.Status.CHURNED, on, reason[:200]
    _save_with_note(locked, by, reason)
    return locked


@transaction.atomic
def customer_reactivate(*, customer: Customer, by: User, reason: str) -> Customer:
    """A lost customer is back in service; why is kept in the history."""
    _require_keeper(by, customer)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("请写明重新激活的原因（例如：客户回归、误标离网）。")})
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if locked.status != Customer.Status.CHURNED:
        raise ValidationError(
            _("只有离网客户可以重新激活（该客户现为“%(status)s”）。") % {"status": locked.get_status_display()}
        )
    locked.status, locked.lost_on, locked.lost_reason = Customer.Status.ACTIVE, None, ""
    _save_with_note(locked, by, reason)
    return locked
