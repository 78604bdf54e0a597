"""The churn model registry as the web app sees it: the model cards and activating a version.
Pages and API call these; the registry itself lives in the lake (``zhengqi.engine.churn.registry``)."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User
from zhengqi.engine.catalogue import CATALOGUE
from zhengqi.engine.churn import registry
from zhengqi.engine.lake import Lake

log = logging.getLogger("zhengqi.churn")


def _lake() -> Lake:
    return Lake(settings.ZHENGQI_LAKE)


def churn_models() -> list[dict[str, Any]]:
    """Every version's card, newest first, with ``active`` set on the one in use."""
    lake = _lake()
    active = registry.active_version(lake)
    return [{**card, "active": card["version"] == active} for card in registry.versions(lake)]


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
