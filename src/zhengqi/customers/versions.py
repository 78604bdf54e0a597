"""Versions of what the pages show, for caching what is costly to compute or render (issue 25).

Two tokens, both in the shared cache: the **data version**, which changes whenever much may have
changed at once (a month run, an import, a bulk change, an edit of a customer record, which other
customers' pages show in their group hierarchy), and one **customer version** per customer, which
changes whenever a row that belongs to the customer is saved or deleted through the ORM (its key
persons, agreements, subscriptions, contacts, tasks, alerts, service requests…: every model with a
``customer`` foreign key, caught by the signal receivers below). A cache key that holds both is
stale the moment either changes; nothing is ever deleted, old entries expire.

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


def customers_changed(pks: Iterable[int | None]) -> None:
    """These customers' rows changed: their pages are stale, now and again once the transaction
    commits."""
    wanted = {pk for pk in pks if pk}
    if wanted:
        cache.set_many({_customer_key(pk): uuid.uuid4().hex for pk in wanted}, None)
        transaction.on_commit(lambda: cache.set_many({_customer_key(pk): uuid.uuid4().hex for pk in wanted}, None))


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
        customers_changed([pk])


def _m2m(sender: type[Model], instance: Model, action: str, **kwargs: Any) -> None:
    if action.startswith("post_"):
        _saved(type(instance), instance)


# Rows without a customer that many customers' pages show: a campaign's name and dates.
WHOLE_PAGES = {"marketing.Campaign"}


def connect() -> None:
    """Every save and delete of a row that belongs to a customer bumps that customer's version."""
    post_save.connect(_saved, dispatch_uid="zq-version-save")
    post_delete.connect(_saved, dispatch_uid="zq-version-delete")
    m2m_changed.connect(_m2m, dispatch_uid="zq-version-m2m")
