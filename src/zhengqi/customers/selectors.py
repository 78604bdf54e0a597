"""Reads of customers, always limited by row-level access (zhengqi.accounts.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User

from .models import Customer, CustomerMonth, KeyPerson, Product, Subscription

SORTS = {
    "code": "code",
    "name": "name",
    "-value_score": "-value_score",
    "value_score": "value_score",
    "tier": "tier",
    "region": "region__path",
    "-updated_at": "-updated_at",
}


@dataclass(frozen=True)
class CustomerFilter:
    """The filters of the customer list, shared by the page and the API."""

    q: str = ""
    region: str = ""  # a region code; its whole subtree matches
    tier: str = ""
    industry: str = ""
    customer_type: str = ""
    status: str = ""
    account_manager: int | None = None
    sort: str = "code"


def customers_visible_to(user: User) -> QuerySet[Customer]:
    return Customer.objects.filter(customer_scope(user)).select_related("region", "account_manager", "parent")


def customer_list(*, user: User, filters: CustomerFilter) -> QuerySet[Customer]:
    qs = customers_visible_to(user)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(Q(name__icontains=term) | Q(credit_code__iexact=term.upper()) | Q(code__iexact=term))
    if filters.region:
        qs = qs.filter(Q(region__code=filters.region) | Q(region__path__contains=f"/{filters.region}/"))
    for field in ("tier", "industry", "customer_type", "status"):
        value = getattr(filters, field)
        if value:
            qs = qs.filter(**{field: value})
    if filters.account_manager:
        qs = qs.filter(account_manager_id=filters.account_manager)
    return qs.order_by(SORTS.get(filters.sort, "code"), "pk")


def customer_get(*, user: User, pk: int) -> Customer:
    """The customer if the user may see it; otherwise 404, as if it did not exist."""
    customer = customers_visible_to(user).filter(pk=pk).first()
    if customer is None:
        raise Http404("客户不存在或无权查看。")
    return customer


def customer_revenue_trend(*, customer: Customer, months: int = 12) -> list[CustomerMonth]:
    rows = list(customer.months.order_by("-month")[:months])
    rows.reverse()
    return rows


@dataclass(frozen=True)
class HierarchyNode:
    customer: Customer
    depth: int
    visible: bool
    revenue: Decimal  # latest month, this node and everything below it
    members: int


def customer_hierarchy(*, user: User, customer: Customer) -> list[HierarchyNode]:
    """The legal-entity tree the customer belongs to, from its top, with roll-ups of the latest
    month's revenue and active members. Nodes the user may not see are listed by name only and
    add nothing to the roll-ups."""
    top = customer
    seen = {top.pk}
    while top.parent_id is not None and top.parent_id not in seen:
        top = Customer.objects.select_related("parent").get(pk=top.parent_id)
        seen.add(top.pk)

    # Collect the tree level by level: one query per level, hierarchies are shallow but wide.
    children: dict[int | None, list[Customer]] = {}
    nodes: dict[int, Customer] = {top.pk: top}
    frontier = [top.pk]
    while frontier:
        level = list(Customer.objects.filter(parent_id__in=frontier).exclude(pk__in=nodes.keys()).order_by("code"))
        for child in level:
            nodes[child.pk] = child
            children.setdefault(child.parent_id, []).append(child)
        frontier = [c.pk for c in level]

    latest = (
        CustomerMonth.objects.filter(customer_id__in=nodes).order_by("-month").values_list("month", flat=True).first()
    )
    own: dict[int, tuple[Decimal, int]] = {}
    if latest is not None:
        for row in (
            CustomerMonth.objects.filter(customer_id__in=nodes, month=latest)
            .values("customer_id")
            .annotate(revenue=Sum("revenue_total"), members=Sum("members_active"))
        ):
            own[row["customer_id"]] = (row["revenue"] or Decimal(0), row["members"] or 0)
    visible_ids = set(customers_visible_to(user).filter(pk__in=nodes).values_list("pk", flat=True))

    out: list[HierarchyNode] = []

    def walk(node: Customer, depth: int) -> tuple[Decimal, int]:
        index = len(out)
        out.append(HierarchyNode(node, depth, node.pk in visible_ids, Decimal(0), 0))
        # Only what the user may see is counted: a roll-up must not reveal another's customers.
        revenue, members = own.get(node.pk, (Decimal(0), 0)) if node.pk in visible_ids else (Decimal(0), 0)
        for child in children.get(node.pk, []):
            r, m = walk(child, depth + 1)
            revenue += r
            members += m
        out[index] = HierarchyNode(node, depth, node.pk in visible_ids, revenue, members)
        return revenue, members

    walk(top, 0)
    return out


def reassignment_candidates(customer: Customer) -> QuerySet[User]:
    """Active account managers of the customer's city, most senior first, but its current one."""
    qs = User.objects.filter(
        role=User.Role.ACCOUNT_MANAGER, is_active=True, region__path__startswith=customer.region.city_path
    )
    if customer.account_manager_id is not None:
        qs = qs.exclude(pk=customer.account_manager_id)
    return qs.select_related("region").order_by("-grade", "display_name")


@dataclass(frozen=True)
class ProductSuggestion:
    product: Product
    penetration: float  # share of active peers (same industry and scale) holding it
    peers: int


def next_products(customer: Customer, *, limit: int = 5) -> list[ProductSuggestion]:
    """Products the customer does not hold, ranked by how many similar customers (same industry
    and scale, in service) hold them: what to offer next. Peer shares are aggregates over the
    whole province (no single customer is revealed) and are cached for ten minutes."""
    key = f"zhengqi:penetration:{customer.industry}:{customer.scale}"
    shares: dict[int, float] | None = cache.get(key)
    peers: int = cache.get(key + ":n") or 0
    if shares is None:
        peer_qs = Customer.objects.filter(industry=customer.industry, scale=customer.scale, status="active")
        peers = peer_qs.count()
        rows = (
            Subscription.objects.filter(customer__in=peer_qs, status=Subscription.Status.ACTIVE)
            .values("product_id")
            .annotate(n=Count("customer_id", distinct=True))
        )
        shares = {row["product_id"]: row["n"] / peers for row in rows} if peers else {}
        cache.set(key, shares, 600)
        cache.set(key + ":n", peers, 600)
    held = set(customer.subscriptions.filter(status=Subscription.Status.ACTIVE).values_list("product_id", flat=True))
    ranked = sorted(((pid, share) for pid, share in shares.items() if pid not in held), key=lambda x: -x[1])[:limit]
    products = Product.objects.in_bulk([pid for pid, _share in ranked])
    return [ProductSuggestion(products[pid], share, peers) for pid, share in ranked if pid in products]


@dataclass(frozen=True)
class FieldChange:
    at: dt.datetime
    actor: str
    subject: str  # the customer, or the key person whose data changed
    field: str
    old: str
    new: str


def customer_history(customer: Customer, *, limit: int = 30) -> list[FieldChange]:
    """Field-level corrections of the customer's and its key persons' data, newest first."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    people = dict(customer.key_persons.values_list("pk", "name"))
    types = ContentType.objects.get_for_models(Customer, KeyPerson)
    entries = (
        LogEntry.objects.filter(
            Q(content_type=types[Customer], object_id=customer.pk)
            | Q(content_type=types[KeyPerson], object_id__in=list(people)),
            action=LogEntry.Action.UPDATE,
        )
        .select_related("actor", "content_type")
        .order_by("-timestamp")[:limit]
    )
    out: list[FieldChange] = [
        FieldChange(
            m.at,
            str(m.by) if m.by else gettext("系统"),
            customer.name,
            gettext("合并客户"),
            f"{m.duplicate_name}（{m.duplicate_code}）",
            customer.name,
        )
        for m in customer.merges.select_related("by")  # type: ignore[attr-defined]
    ]
    for entry in entries:
        subject = customer.name if entry.content_type_id == types[Customer].pk else people.get(entry.object_id or 0, "")
        actor = str(entry.actor) if entry.actor else gettext("系统")
        for field, (old, new) in entry.changes_display_dict.items():
            out.append(FieldChange(entry.timestamp, actor, subject, str(field), str(old), str(new)))
    out.sort(key=lambda c: c.at, reverse=True)
    return out[: limit * 2]


@dataclass(frozen=True)
class DuplicateGroup:
    key: str  # the normalised name they share
    customers: list[Customer]


def duplicate_candidates(*, limit: int = 100) -> list[DuplicateGroup]:
    """Customers whose names read the same once normalised (services.normalise_name), largest
    groups first, leaving out pairs the admin has marked as different customers."""
    from .models import NotDuplicate
    from .services import normalise_name

    groups: dict[str, list[int]] = {}
    for pk, name in Customer.objects.values_list("pk", "name").iterator(chunk_size=5000):
        groups.setdefault(normalise_name(name), []).append(pk)
    dismissed = {frozenset(pair) for pair in NotDuplicate.objects.values_list("first_id", "second_id")}
    keep: dict[str, list[int]] = {}
    for key, ids in groups.items():
        if len(ids) < 2:
            continue
        pairs = {frozenset((a, b)) for i, a in enumerate(ids) for b in ids[i + 1 :]}
        if pairs <= dismissed:
            continue
        keep[key] = ids
    chosen = sorted(keep.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:limit]
    objects = Customer.objects.select_related("region", "account_manager").in_bulk(
        [i for _k, ids in chosen for i in ids]
    )
    return [DuplicateGroup(key, [objects[i] for i in sorted(ids)]) for key, ids in chosen]


@dataclass(frozen=True)
class Workload:
    manager: User
    customers: int
    by_tier: dict[str, int]
    revenue: Decimal  # latest month, customers in service
    open_tasks: int
    overdue_tasks: int


def account_managers_visible_to(user: User) -> QuerySet[User]:
    """Active account managers of the user's region subtree (all of them for the province)."""
    from zhengqi.accounts.access import regions_visible_to

    return (
        User.objects.filter(
            role=User.Role.ACCOUNT_MANAGER, is_active=True, region__in=_regions(regions_visible_to(user))
        )
        .select_related("region")
        .order_by("region__path", "-grade", "display_name")
    )


def manager_workload(user: User) -> list[Workload]:
    """Per account manager in the user's region: portfolio size by tier, revenue of the latest
    month and open/overdue tasks — four grouped queries whatever the number of managers."""
    from zhengqi.marketing.models import Task

    managers = list(account_managers_visible_to(user))
    ids = [m.pk for m in managers]
    tiers: dict[int, dict[str, int]] = {}
    for row in (
        Customer.objects.filter(account_manager_id__in=ids, status="active")
        .values("account_manager_id", "tier")
        .annotate(n=Count("pk"))
    ):
        tiers.setdefault(row["account_manager_id"], {})[row["tier"] or "—"] = row["n"]
    latest = CustomerMonth.objects.order_by("-month").values_list("month", flat=True).first() or dt.date.min
    revenue = dict(
        CustomerMonth.objects.filter(month=latest, customer__account_manager_id__in=ids, customer__status="active")
        .values("customer__account_manager_id")
        .annotate(r=Sum("revenue_total"))
        .values_list("customer__account_manager_id", "r")
    )
    today = timezone.localdate()
    tasks: dict[int, tuple[int, int]] = {
        row["assignee_id"]: (row["n"], row["late"])
        for row in Task.objects.filter(assignee_id__in=ids, status=Task.Status.OPEN)
        .values("assignee_id")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(due__lt=today)))
    }
    return [
        Workload(
            manager=m,
            customers=sum(tiers.get(m.pk, {}).values()),
            by_tier={t: tiers.get(m.pk, {}).get(t, 0) for t in ("A+", "A", "B", "C")},
            revenue=revenue.get(m.pk) or Decimal(0),
            open_tasks=tasks.get(m.pk, (0, 0))[0],
            overdue_tasks=tasks.get(m.pk, (0, 0))[1],
        )
        for m in managers
    ]


def _regions(condition: Q) -> Any:
    from zhengqi.accounts.models import Region

    return Region.objects.filter(condition)
