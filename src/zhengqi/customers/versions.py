"""Versions of what the pages show, for caching what is costly to compute or render (issue 25).

Tokens in the shared cache: the **data version**, which changes whenever much may have
changed at once (a month run, an import, a bulk change, an edit of a customer record, which other
customers' pages show in their group hierarchy), and one **customer version** per customer, which
changes whenever a row that belongs to the customer is saved or deleted through the ORM (its key
persons, agreements, subscriptions, contacts, tasks, alerts, service requests…: every model with a
``customer`` foreign key, caught by the signal receivers below), and one **scope version** per
account manager, region and the province, which changes with the customers in it (the workbench).
A cache key that holds the tokens is stale the moment one changes; nothing is ever deleted, old
entries expire.

A token is random, never a counter: if the cache loses it (a full cache evicts entries) the next
reader draws a new one, so a lost token can only cost a miss, never bring back an old entry. Tokens
change at once and again when the transaction that changed the data commits: a request that read
the first new token with the rows not yet committed caches them under a token nobody reads again.

Writes that bypass the ORM's signals (``bulk_create``, ``QuerySet.update``, raw SQL) call
:func:`data_changed` or :func:`customers_changed` themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Model
from django.db.models.signals import m2m_changed, post_delete, post_save

from zhengqi.accounts.models import User

DATA_KEY = "zq:version:data"
# What a cached entry may be at most, whatever its version: the backstop for a change that reached
# the database without telling (an operator's SQL, a user's renamed display name).
MAX_AGE = 3600


def _customer_key(pk: int) -> str:
    return f"zq:version:customer:{pk}"


def _token(key: str) -> str:
    value = cache.get(key)
    if value is None:
        cache.add(key, uuid.uuid4().hex, None)  # the first of several racing readers wins
        value = cache.get(key)
    return str(value) if value is not None else uuid.uuid4().hex  # a cache that keeps nothing: never a hit


def data_version() -> str:
    return _token(DATA_KEY)


def customer_version(pk: int) -> str:
    """The version of everything one customer's page shows: the data version and the customer's."""
    return f"{data_version()}.{_token(_customer_key(pk))}"


def data_changed() -> None:
    """Anything may have changed: every cached page is stale, now and again once the transaction
    commits (an entry cached in between, of rows not yet committed, is never read)."""
    cache.set(DATA_KEY, uuid.uuid4().hex, None)
    transaction.on_commit(lambda: cache.set(DATA_KEY, uuid.uuid4().hex, None))


def scope_version(user: User) -> str:
    """The version of what a user's own pages show of their customers (the workbench): the data
    version and the token of the user's scope — their own customers for an account manager, the
    region's for a regional manager or planner, the province's for the rest."""
    from zhengqi.accounts.access import sees_whole_province

    if user.role == user.Role.ACCOUNT_MANAGER and not sees_whole_province(user):
        key = _scope_key(f"am:{user.pk}")
    elif user.role in (user.Role.REGIONAL_MANAGER, user.Role.MARKETING_PLANNER) and user.region is not None:
        key = _scope_key(user.region.path)
    else:
        key = _scope_key("/")
    return f"{data_version()}.{_token(key)}"


def _scope_key(scope: str) -> str:
    return f"zq:version:scope:{scope}"


def _scopes(pks: set[int], users: set[int]) -> set[str]:
    """The scopes these customers are in: their account managers', their region's and every region
    above it, the province's; and the users' own (a task assigned to someone else)."""
    from .models import Customer

    keys = {_scope_key("/")} | {_scope_key(f"am:{pk}") for pk in users}
    ordered = sorted(pks)
    for start in range(0, len(ordered), 5000):  # a campaign's thousands of targets, in batches
        rows = Customer.objects.filter(pk__in=ordered[start : start + 5000]).values_list(
            "account_manager_id", "region__path"
        )
        for manager, path in rows.distinct():
            if manager is not None:
                keys.add(_scope_key(f"am:{manager}"))
            parts = (path or "").strip("/").split("/")
            keys |= {_scope_key("/" + "/".join(parts[:n]) + "/") for n in range(1, len(parts) + 1) if parts[0]}
    return keys


def customers_changed(pks: Iterable[int | None], *, users: Iterable[int | None] = ()) -> None:
    """These customers' rows changed: their pages, and the workbenches of those who see them (and
    of ``users``), are stale, now and again once the transaction commits."""
    wanted = {pk for pk in pks if pk}
    if not wanted:
        return
    keys = {_customer_key(pk) for pk in wanted} | _scopes(wanted, {u for u in users if u})

    def bump() -> None:
        cache.set_many({key: uuid.uuid4().hex for key in keys}, None)

    bump()
    transaction.on_commit(bump)


def customer_of(instance: Model) -> int | None:
    """The customer a saved row belongs to, if any (a key person's buying role through its person)."""
    pk = getattr(instance, "customer_id", None)
    if pk is None and hasattr(instance, "key_person_id"):
        from .models import KeyPerson

        pk = KeyPerson.objects.filter(pk=instance.key_person_id).values_list("customer_id", flat=True).first()
    return pk if isinstance(pk, int) else None


def _saved(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    from .models import Customer, Product

    if isinstance(instance, Customer | Product) or sender._meta.label in WHOLE_PAGES:
        data_changed()  # a record shown on other customers' pages too (the group, the product's name)
        return
    pk = customer_of(instance)
    if pk is not None:
        people = [getattr(instance, "assignee_id", None), getattr(instance, "escalated_to_id", None)]
        customers_changed([pk], users=people)


def _m2m(sender: type[Model], instance: Model, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _saved(type(instance), instance)


# Rows without a customer that many customers' pages show: a campaign's name and dates, the KPI
# targets on the workbench, the sales kit's materials, a rule's name (the customer list's rule picker, alerts' names), a
# region's name (the dashboards' and the list's region pickers, every customer's region).
WHOLE_PAGES = {
    "marketing.Campaign",
    "marketing.Material",  # the sales kit's links beside the products to offer next
    "insight.Target",
    "insight.ManagerTarget",
    "scoring.Rule",
    "accounts.Region",
    "support.TierService",  # a tier's visit cycle and benefits on every customer's page
    "support.TierDeadline",
}


# The tables that only the bulk writers fill and empty (the month run's results, the imported
# months): they bump the versions themselves, once for the whole write. A delete receiver on them
# would make Django fetch every row of a ``QuerySet.delete()`` and send a signal for each (a month
# run's re-run deleting 40,000 snapshots took minutes instead of a second).
BULK_WRITTEN = {
    "scoring.CustomerSnapshot",
    "scoring.TierChange",
    "scoring.Alert",
    "scoring.SegmentMember",
    "customers.CustomerMonth",
}


def connect() -> None:
    """Every save and delete of a row that belongs to a customer bumps that customer's version
    (deletes: of every table but the bulk-written ones, which keep their fast delete)."""
    from django.apps import apps

    post_save.connect(_saved, dispatch_uid="zq-version-save")
    m2m_changed.connect(_m2m, dispatch_uid="zq-version-m2m")
    for model in apps.get_models():
        label = model._meta.label
        if label in BULK_WRITTEN or not (_belongs_to_customer(model) or label in WHOLE_PAGES):
            continue
        post_delete.connect(_saved, sender=model, dispatch_uid=f"zq-version-delete-{label}")


def _belongs_to_customer(model: type[Model]) -> bool:
    from .models import Customer, Product

    if issubclass(model, Customer | Product):
        return True
    names = {f.name for f in model._meta.get_fields() if f.concrete}
    return "customer" in names or "key_person" in names
