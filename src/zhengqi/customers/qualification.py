"""任职资格 (seed 004): which tiers a grade may serve. A customer whose tier now exceeds its account
manager's grade — the month run moved it up, or the manager's grade went down — is listed for the
regional managers with a proposed qualified manager (one click to reassign), re-checked after every
month run."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from zhengqi.accounts.access import nearest_manager
from zhengqi.accounts.models import User
from zhengqi.notifications.models import Kind
from zhengqi.notifications.services import notify

from .models import Customer
from .selectors import customers_visible_to
from .services import QUALIFIED_GRADE, QUALIFIED_TIERS


@dataclass
class Violation:
    customer: Customer
    proposal: User | None  # a qualified account manager of the customer's city with the fewest customers


def unqualified(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Active customers of a qualified tier whose account manager's grade is below the rule's."""
    low = Q(account_manager__grade__lt=QUALIFIED_GRADE) | Q(account_manager__grade__isnull=True)
    return customers.filter(low, status=Customer.Status.ACTIVE, tier__in=QUALIFIED_TIERS, account_manager__isnull=False)


def proposals(customers: list[Customer]) -> dict[int, User | None]:
    """For each customer, a qualified active account manager of its city (not its own) with the
    fewest customers in service — read in one query for all the customers' cities."""
    cities = {c.region.city_path for c in customers}
    if not cities:
        return {}
    where = Q()
    for path in cities:
        where |= Q(region__path__startswith=path)
    active = Q(customers__status=Customer.Status.ACTIVE)
    qualified = list(
        User.objects.filter(where, role=User.Role.ACCOUNT_MANAGER, is_active=True, grade__gte=QUALIFIED_GRADE)
        .select_related("region")
        .annotate(n=Count("customers", filter=active))
    )
    out: dict[int, User | None] = {}
    for c in customers:
        pool = [
            u
            for u in qualified
            if u.region and u.region.path.startswith(c.region.city_path) and u.pk != c.account_manager_id
        ]
        out[c.pk] = min(pool, key=lambda u: (u.n, -(u.grade or 0), u.pk), default=None)  # type: ignore[attr-defined]  # annotated by the queryset
    return out


def violations(user: User, limit: int = 200) -> tuple[list[Violation], int]:
    """The customers the user sees whose tier exceeds their manager's grade (the first ``limit``),
    with a proposed manager each, and how many there are in all."""
    qs = unqualified(customers_visible_to(user)).select_related("account_manager", "region").order_by("tier", "code")
    total = qs.count()
    rows = list(qs[:limit])
    proposed = proposals(rows)
    return [Violation(c, proposed[c.pk]) for c in rows], total


def check_after_month_run(month: dt.date) -> int:
    """After a month run: tell each customer's nearest regional manager how many of their customers
    now exceed their manager's grade (once per manager and month). Returns the province's count."""
    rows = list(unqualified(Customer.objects.all()).select_related("region"))
    per_manager: dict[int, int] = {}
    by_region: dict[int, User | None] = {}  # one look-up per region, not per customer
    for customer in rows:
        if customer.region_id not in by_region:
            by_region[customer.region_id] = nearest_manager(customer.region)
        manager = by_region[customer.region_id]
        if manager is not None:
            per_manager[manager.pk] = per_manager.get(manager.pk, 0) + 1
    for pk, n in per_manager.items():
        notify(
            [pk],
            Kind.APPROVAL_WAITING,
            _("%(n)s 个客户的等级高于其客户经理的任职资格") % {"n": n},
            body=_("%(month)s 月度运行后复核：请按建议调整客户经理。") % {"month": f"{month:%Y-%m}"},
            link=reverse("insight:talent") + "#qualification",
            key=f"qualification:{month:%Y-%m}",
        )
    return len(rows)
