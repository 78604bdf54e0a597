"""Reads of customers, always limited by row-level access (zhengqi.accounts.access)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404
from django.utils.translation import gettext

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.engine.value.tiers import TIERS
from zhengqi.web.forms import parse_int

from .models import BuyingRole, Contract, Customer, CustomerMerge, CustomerMonth, KeyPerson, Product, Subscription

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
        for m in CustomerMerge.objects.filter(survivor=customer).select_related("by")
    ]
    for entry in entries:
        subject = customer.name if entry.content_type_id == types[Customer].pk else people.get(entry.object_id or 0, "")
        actor = str(entry.actor) if entry.actor else gettext("系统")
        approval = entry.additional_data if isinstance(entry.additional_data, dict) else None
        if approval and approval.get("note"):
            actor = gettext("%(actor)s（说明：%(note)s）") % {"actor": actor, "note": approval["note"]}
        elif approval and approval.get("change_request"):
            actor = gettext("%(approver)s 批准（%(proposer)s 申请）") % {
                "approver": approval.get("approved_by", actor),
                "proposer": approval.get("proposed_by", ""),
            }
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


def _regions(condition: Q) -> Any:
    from zhengqi.accounts.models import Region

    return Region.objects.filter(condition)


def workbench_customers(user: User, today: dt.date) -> dict[str, Any]:
    """The workbench's customer panels: customers in service by tier, agreements ending within 90
    days, key persons' birthdays and subscription anniversaries this month."""
    customers = customers_visible_to(user)
    active = customers.filter(status=Customer.Status.ACTIVE)
    birthdays = KeyPerson.objects.filter(customer__in=active, birthday__month=today.month)
    anniversaries = Subscription.objects.filter(
        customer__in=active, status="active", start__month=today.month, start__year__lt=today.year
    )
    return {
        "tiers": tier_counts(customers),
        "expiring": first_rows(
            Contract.objects.filter(customer__in=active, end__gte=today, end__lte=today + dt.timedelta(days=90))
            .select_related("customer")
            .order_by("end")
        ),
        "birthdays": first_rows(birthdays.select_related("customer").order_by("customer__name", "name")),
        "anniversaries": first_rows(anniversaries.select_related("customer", "product").order_by("customer__name")),
    }


def tier_counts(customers: QuerySet[Customer]) -> dict[str, int]:
    """Customers in service per tier, A+ first; those not yet tiered last."""
    rows = customers.filter(status=Customer.Status.ACTIVE).values("tier").annotate(n=Count("pk"))
    counts = {row["tier"] or "—": row["n"] for row in rows}
    return {t: counts[t] for t in (*TIERS, "—") if t in counts}


def customer_profile(*, user: User, customer: Customer, today: dt.date) -> dict[str, Any]:
    """What the customer's page shows of the customer record itself: hierarchy, key persons by
    buying role, subscriptions, agreements with days left, assignments, revenue and members, the
    products to propose next and the field history."""
    from zhengqi.accounts.privacy import may_reveal_personal_data

    from .key_persons import key_persons_of, may_keep_records
    from .services import may_manage_region

    people = list(key_persons_of(customer))
    covered = {r.role for p in people if p.left_on is None for r in p.roles.all()}
    trend = customer_revenue_trend(customer=customer, months=24)
    contracts = list(customer.contracts.prefetch_related("products").select_related("created_by", "replaces"))
    may_reassign = may_manage_region(user, customer)
    return {
        "hierarchy": customer_hierarchy(user=user, customer=customer),
        "people": people,
        "role_coverage": [(value, label, value in covered) for value, label in BuyingRole.choices],
        "may_keep": may_keep_records(user, customer),
        "subscriptions": customer.subscriptions.select_related("product", "created_by").order_by("status", "-start"),
        "contracts": [(c, c.days_left(today)) for c in contracts],
        "assignments": customer.assignments.select_related("manager", "assigned_by"),
        "trend": trend,
        "chart": {
            "labels": [gettext("总收入"), gettext("信息化收入")],
            "months": [f"{m.month:%Y-%m}" for m in trend],
            "total": [float(m.revenue_total) for m in trend],
            "info": [float(m.revenue_info) for m in trend],
            "members": [m.members_active for m in trend],
        },
        "next_products": next_products(customer),
        "history": customer_history(customer),
        "pending_changes": list(
            customer.change_requests.filter(status="pending").select_related("new_parent", "old_parent")
        ),
        "may_reveal": may_reveal_personal_data(user),
        "may_reassign": may_reassign,
        "candidates": list(reassignment_candidates(customer)) if may_reassign else [],
        "today": today,
        "soon": today + dt.timedelta(days=90),
    }


def members_panel(trend: list[CustomerMonth], features: dict[str, Any]) -> dict[str, object]:
    """Members at a glance: count and its trend, V网 share (集团纯度) and “三无” members."""
    latest = trend[-1] if trend else None
    return {
        "active": latest.members_active if latest else 0,
        "joined": latest.members_joined if latest else 0,
        "left": latest.members_left if latest else 0,
        "vnet_share": (latest.members_vnet / latest.members_active) if latest and latest.members_active else None,
        "idle": features.get("members_idle"),
        "idle_share": features.get("idle_share"),
        "series": [m.members_active for m in trend],
    }


def account_manager_get(pk: int | str | None) -> User | None:
    """An account manager picked on a page (reassignment, a task's assignee), or None."""
    wanted = str(pk or "").strip()
    return User.objects.filter(pk=parse_int(wanted) or 0, role=User.Role.ACCOUNT_MANAGER).first()


def duplicate_counts(groups: list[DuplicateGroup]) -> dict[int, dict[str, int]]:
    """Key persons, agreements and subscriptions of each customer in the duplicate groups."""
    ids = [c.pk for g in groups for c in g.customers]
    return {
        row["pk"]: row
        for row in Customer.objects.filter(pk__in=ids)
        .annotate(
            n_people=Count("key_persons", distinct=True),
            n_contracts=Count("contracts", distinct=True),
            n_subscriptions=Count("subscriptions", distinct=True),
        )
        .values("pk", "n_people", "n_contracts", "n_subscriptions")
    }


def first_rows(qs: QuerySet[Any], shown: int = 10) -> tuple[list[Any], int]:
    """The first few rows of a panel and how many there are in all."""
    return list(qs[:shown]), qs.count()


def products_catalogue() -> QuerySet[Product]:
    """The operator's products, by category and code (for pickers on the pages)."""
    return Product.objects.order_by("category", "code")
