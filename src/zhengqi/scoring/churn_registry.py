"""The churn model registry as the web app sees it: the model cards and activating a version.
Pages and API call these; the registry itself lives in the lake (``zhengqi.engine.churn.registry``)."""

from __future__ import annotations

import itertools
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.engine.catalogue import CATALOGUE
from zhengqi.engine.churn import registry
from zhengqi.engine.churn.model import setting_label
from zhengqi.engine.lake import Lake

from .models import CustomerSnapshot

log = logging.getLogger("zhengqi.churn")


def _lake() -> Lake:
    return Lake(settings.ZHENGQI_LAKE)


def churn_models() -> list[dict[str, Any]]:
    """Every version's card, newest first, with ``active`` set on the one in use."""
    lake = _lake()
    active = registry.active_version(lake)
    return [
        {**card, "active": card["version"] == active, "created": _when(card.get("created_at"))}
        for card in registry.versions(lake)
    ]


def _when(value: object) -> str:
    """An ISO timestamp of the registry as the reader's local date and time."""
    import datetime as dt

    from django.utils import timezone

    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return "—"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, dt.UTC)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _param_rows(params: object) -> list[tuple[str, str]]:
    """A model's parameters as (name, value) rows for a table, not a Python dict."""
    if not isinstance(params, dict):
        return []
    return [(str(k), ", ".join(map(str, v)) if isinstance(v, list | tuple) else str(v)) for k, v in params.items()]


def churn_model_card(version: str | None = None) -> dict[str, Any] | None:
    """One version's card (the active one by default), with importances labelled in Chinese."""
    lake = _lake()
    version = version or registry.active_version(lake)
    if version is None:
        return None
    try:
        card = registry.card(lake, version)
    except registry.UnknownVersion as err:
        raise ValidationError(str(err)) from err
    card["active"] = registry.active_version(lake) == version
    card["created"] = _when(card.get("created_at"))
    card["customer_param_rows"] = _param_rows(card.get("customer_params"))
    card["member_param_rows"] = _param_rows(card.get("member_params"))
    chosen = str(card.get("customer_setting") or "")
    card["selection_rows"] = [
        {"setting": setting_label(str(s.get("setting", ""))), "auc": s.get("auc"), "rounds": s.get("rounds") or [],
         "chosen": s.get("setting") == chosen}
        for s in card.get("customer_selection") or []
        if isinstance(s, dict)
    ]  # fmt: skip
    card["feature_labels"] = [CATALOGUE[n].label if n in CATALOGUE else n for n in card.get("features") or []]
    card["importance_rows"] = [
        {"feature": name, "label": CATALOGUE[name].label if name in CATALOGUE else name, "gain": gain}
        for name, gain in (card.get("importances") or {}).items()
    ]
    return card


def may_activate(user: User) -> bool:
    return bool(user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)


def churn_model_activate(*, by: User, version: str) -> None:
    """Make ``version`` the one the month run scores with (provincial admin only)."""
    if not may_activate(by):
        raise PermissionDenied(_("只有省公司管理员可以启用流失模型版本。"))
    try:
        registry.set_active(_lake(), version)
    except registry.UnknownVersion as err:
        raise ValidationError(str(err)) from err
    log.info("churn model %s activated by %s", version, by.username)


def visit_capacity(scope: Q | None = None) -> tuple[int, int]:
    """(account managers, customers they can visit this month) for the customers in ``scope``
    (all by default): the active account managers who look after a customer in service there,
    times ``ZHENGQI_VISITS_PER_MANAGER``."""
    customers = Customer.objects.filter(status=Customer.Status.ACTIVE)
    if scope is not None:
        customers = customers.filter(scope)
    managers = (
        User.objects.filter(is_active=True, role=User.Role.ACCOUNT_MANAGER, pk__in=customers.values("account_manager"))
        .distinct()
        .count()
    )
    return managers, managers * int(settings.ZHENGQI_VISITS_PER_MANAGER)


def capacity_view(user: User) -> dict[str, Any]:
    """The latest month run's high band beside the visits the user's account managers can make:
    the risk threshold it implies, the customers in it, how many of the expected churners they are
    (calibrated risks summed) — and the curve of expected churners reached by visits, for a chart.
    Only the user's own customers (row-level access); before a scored month run, month is None
    and there are no customers to count."""
    scope = customer_scope(user, prefix="customer__")
    latest = (
        CustomerSnapshot.objects.filter(churn_risk__isnull=False)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    rows = (
        list(
            CustomerSnapshot.objects.filter(scope, month=latest, churn_risk__isnull=False)
            .order_by("-churn_risk", "customer_id")
            .values_list("churn_risk", "churn_band")
        )
        if latest is not None
        else []
    )
    managers, capacity = visit_capacity(customer_scope(user))
    risks = [float(r or 0.0) for r, _band in rows]
    expected = sum(risks)
    high = [float(r or 0.0) for r, band in rows if band == "high"]
    reached = sum(risks[:capacity])
    steps = sorted({round(len(risks) * k / 20) for k in range(21)} | ({capacity} if capacity <= len(risks) else set()))
    cumulative = list(itertools.accumulate(risks))
    return {
        "month": latest,
        "customers": len(rows),
        "managers": managers,
        "visits_per_manager": int(settings.ZHENGQI_VISITS_PER_MANAGER),
        "capacity": capacity,
        "high": len(high),
        "threshold": min(high) if high else None,
        "expected": expected,
        "reached": reached,
        "reached_share": reached / expected if expected else None,
        "curve": [{"visits": n, "expected": cumulative[n - 1] if n else 0.0} for n in steps],
    }
