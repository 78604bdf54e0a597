"""What other pages show of service and satisfaction (the customer's page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer

from .models import ServiceRequest, Survey


def customer_service(user: User, customer: Customer) -> dict[str, Any]:
    """What the customer's page shows of service and satisfaction."""
    today = timezone.localdate()
    surveys = list(Survey.objects.filter(customer=customer).select_related("key_person")[:5])
    year = Survey.objects.filter(customer=customer, date__gt=today - dt.timedelta(days=365)).aggregate(
        answers=Count("pk"), satisfied=Count("pk", filter=Q(satisfied=True))
    )
    answers = year["answers"] or 0
    return {
        "service_requests": ServiceRequest.objects.filter(customer=customer).select_related("department")[:8],
        "surveys": surveys,
        "satisfaction_answers": answers,
        "satisfaction_rate": (year["satisfied"] / answers) if answers else None,
        "survey_kinds": [(k, v) for k, v in Survey.Kind.choices if k != Survey.Kind.REQUEST],
    }
