"""Reads of customers, always limited by row-level access (zhengqi.accounts.access)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.http import Http404

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User

from .models import Customer, CustomerMonth

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
