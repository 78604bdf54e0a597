"""Service by tier, as delivered (分层服务): the visits each account manager owes by the frequency of
their customers' tiers (the workbench), and each tier's promised vs delivered service in a month —
visits made against visits promised, customers visited within their tier's cycle, requests resolved
within the tier's deadlines (the dashboard 分层服务).

A visit is a contact of kind 拜访 or 会议 (face to face). The tier that counts is the one in force on
the day (``zhengqi.support.tiers``): a customer moved up today is owed the new frequency from tomorrow.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q, QuerySet
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import customers_visible_to
from zhengqi.engine.value.tiers import TIER_ORDER
from zhengqi.support.models import ServiceRequest, TierService
from zhengqi.support.tiers import TierBook, catalogue

from .models import Interaction

VISIT_KINDS = (Interaction.Kind.VISIT, Interaction.Kind.MEETING)


@dataclass
class VisitDue:
    customer_id: int
    name: str
    tier: str
    last: dt.date | None  # the last visit (None: never visited)
    due: dt.date

    @property
    def days_late(self) -> int:
        return (timezone.localdate() - self.due).days


def next_visit(last: dt.date | None, every: int, today: dt.date) -> dt.date:
    """When the next visit is owed: ``every`` days after the last; today for one never visited."""
    return last + dt.timedelta(days=every) if last else today


def _last_visits(customers: QuerySet[Customer], until: dt.date) -> dict[int, dt.date]:
    rows = (
        Interaction.objects.filter(customer__in=customers.values("pk"), kind__in=VISIT_KINDS, date__lte=until)
        .values("customer")
        .annotate(last=Max("date"))
        .values_list("customer", "last")
    )
    return dict(rows)


def workbench_visits(user: User, today: dt.date | None = None, shown: int = 8) -> dict[str, object]:
    """The workbench's card 应拜访客户: the first few visits due and their count."""
    due = visits_due(user, today)
    return {"visits_due": (due[:shown], len(due))}


def visits_due(user: User, today: dt.date | None = None, *, within: int = 7) -> list[VisitDue]:
    """The user's own active customers whose tier's visit falls due within ``within`` days (or is
    past due), most overdue first, then the higher tier."""
    today = today or timezone.localdate()
    mine = customers_visible_to(user).filter(account_manager=user, status=Customer.Status.ACTIVE)
    visited = Q(interactions__kind__in=VISIT_KINDS, interactions__date__lte=today)
    rows = list(mine.annotate(last=Max("interactions__date", filter=visited)).values_list("pk", "name", "tier", "last"))
    if not rows:
        return []
    every = dict(TierService.objects.values_list("tier", "visit_days"))
    book = TierBook.of(pk for pk, *_rest in rows)
    horizon = today + dt.timedelta(days=within)
    due: list[VisitDue] = []
    for pk, name, current, last in rows:
        tier = book.tier_on(pk, current, today)
        if tier not in every:
            continue
        when = next_visit(last, every[tier], today)
        if when <= horizon:
            due.append(VisitDue(pk, name, tier, last, when))
    due.sort(key=lambda v: (v.due, TIER_ORDER.get(v.tier, len(TIER_ORDER)), v.name))  # the higher tier first
    return due


# --- promised vs delivered, per tier and month ----------------------------------------------------


@dataclass
class TierDelivery:
    service: TierService
    customers: int = 0
    visits_promised: float = 0.0  # the month's days ÷ the tier's visit cycle, summed over its customers
    visits_done: int = 0
    in_cycle: int = 0  # customers whose last visit by the month's end lies within the cycle
    requests: int = 0  # accepted in the month under this tier's terms
    on_time: int = 0
    late: int = 0  # resolved after the deadline, or still open past it
    escalated: int = 0

    @property
    def coverage(self) -> float | None:
        return self.in_cycle / self.customers if self.customers else None

    @property
    def visit_rate(self) -> float | None:
        return self.visits_done / self.visits_promised if self.visits_promised else None

    @property
    def on_time_rate(self) -> float | None:
        judged = self.on_time + self.late
        return self.on_time / judged if judged else None


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def tier_delivery(user: User, month: dt.date, now: dt.datetime | None = None) -> list[TierDelivery]:
    """Each tier's promised vs delivered service in ``month`` for the customers the user sees: a
    customer counts under the tier in force on the month's last day (today, for this month)."""
    now = now or timezone.now()
    first, last_day = month_bounds(month)
    end = min(last_day, timezone.localdate(now))
    days = (end - first).days + 1
    rows = {s.tier: TierDelivery(s) for s in catalogue()}
    if not rows or days <= 0:
        return list(rows.values())
    customers = customers_visible_to(user).filter(status=Customer.Status.ACTIVE)
    book = TierBook.of_customers(customers)
    last = _last_visits(customers, end)
    done = dict(
        Interaction.objects.filter(customer__in=customers.values("pk"), kind__in=VISIT_KINDS, date__range=(first, end))
        .values("customer")
        .annotate(n=Count("pk"))
        .values_list("customer", "n")
    )
    for pk, current in customers.values_list("pk", "tier").iterator(chunk_size=5000):
        row = rows.get(book.tier_on(pk, current, end))
        if row is None:
            continue
        every = row.service.visit_days
        row.customers += 1
        row.visits_promised += days / every
        row.visits_done += done.get(pk, 0)
        seen = last.get(pk)
        if seen is not None and (end - seen).days < every:
            row.in_cycle += 1
    start = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    stop = timezone.make_aware(dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min))
    requests = (
        ServiceRequest.objects.filter(customer__in=customers.values("pk"), created_at__gte=start, created_at__lt=stop)
        .values("tier")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(resolved_at__isnull=False, resolved_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(resolved_at__gt=F("due_at")) | Q(resolved_at__isnull=True, due_at__lt=now)),
            escalated=Count("pk", filter=Q(escalated_at__isnull=False)),
        )
    )
    for r in requests:
        row = rows.get(r["tier"])
        if row is not None:
            row.requests, row.on_time, row.late, row.escalated = r["n"], r["on_time"], r["late"], r["escalated"]
    return list(rows.values())


@dataclass
class Entitlement:
    """What the customer's page shows of its tier's promises today."""

    tier: str
    service: TierService | None
    last_visit: dt.date | None
    next_visit: dt.date | None
    pending: str | None  # a new tier recorded today, in force from tomorrow

    @property
    def visit_late(self) -> bool:
        return self.next_visit is not None and self.next_visit < timezone.localdate()


def customer_entitlement(customer: Customer, today: dt.date | None = None) -> Entitlement:
    today = today or timezone.localdate()
    book = TierBook.of([customer.pk])
    tier = book.tier_on(customer.pk, customer.tier, today)
    tomorrow = book.tier_on(customer.pk, customer.tier, today + dt.timedelta(days=1))
    service = TierService.objects.filter(tier=tier).first() if tier else None
    last = (
        Interaction.objects.filter(customer=customer, kind__in=VISIT_KINDS, date__lte=today)
        .aggregate(last=Max("date"))
        .get("last")
    )
    due = next_visit(last, service.visit_days, today) if service else None
    return Entitlement(tier, service, last, due, tomorrow if tomorrow != tier else None)
