"""What other pages show of competitor intelligence (the customer's page)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer

from .models import ResponsePlan
from .services import may_record


def customer_competition(user: User, customer: Customer) -> dict[str, Any]:
    """The customer's latest competitor events and whether the user may record one."""
    return {
        "competitor_events": customer.competitor_events.order_by("-date")[:5],
        "may_record_competition": may_record(user),
    }


def plans(*, active_only: bool = False) -> QuerySet[ResponsePlan]:
    """Response plans with their products, by name; only those in use where one is to be chosen."""
    qs = ResponsePlan.objects.prefetch_related("products").order_by("name")
    return qs.filter(active=True) if active_only else qs


def plan_get(pk: int | None, *, active_only: bool = False) -> ResponsePlan | None:
    return plans(active_only=active_only).filter(pk=pk or 0).first()
