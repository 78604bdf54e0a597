"""What other pages show of competitor intelligence (the customer's page)."""

from __future__ import annotations

from typing import Any

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer

from .services import may_record


def customer_competition(user: User, customer: Customer) -> dict[str, Any]:
    """The customer's latest competitor events and whether the user may record one."""
    return {
        "competitor_events": customer.competitor_events.order_by("-date")[:5],
        "may_record_competition": may_record(user),
    }
