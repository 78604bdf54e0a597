"""Shared fixtures: the `tiny` demo province, loaded once per test session through the real
generator and loader, and its users by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.demo.load import build
from zhengqi.engine.lake import Lake

TINY_SEED = 7


def load_tiny() -> None:
    build(size="tiny", seed=TINY_SEED, lake=Lake(settings.ZHENGQI_LAKE), replace=True)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> None:
    with django_db_blocker.unblock():
        load_tiny()


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test starts with an empty cache: a page cached by an earlier test, whose rows were rolled
    back (and whose ids the next test may reuse), must not show."""
    from django.core.cache import cache

    cache.clear()


@dataclass
class Cast:
    """One user per role of the tiny province, and another account manager to trespass on."""

    admin: User
    planner: User
    partner: User
    city_manager: User
    district_manager: User
    am: User
    other_am: User

    def customer_of_other_am(self) -> Customer:
        return Customer.objects.filter(account_manager=self.other_am).first()


@pytest.fixture
def cast(db: None) -> Cast:
    am = User.objects.get(username="am")
    other = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, customers__isnull=False).exclude(pk=am.pk).first()
    assert other is not None
    return Cast(
        admin=User.objects.get(username="admin"),
        planner=User.objects.get(username="planner"),
        partner=User.objects.get(username="partner"),
        city_manager=User.objects.get(username="city_mgr"),
        district_manager=User.objects.get(username="district_mgr"),
        am=am,
        other_am=other,
    )


@pytest.fixture(autouse=True)
def chinese_first() -> None:
    """Each test starts in the product's default language, whatever a previous request chose."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


def listed_count(page: Any) -> int:
    """The number of customers a customer list page says it lists ("共 N 个客户"), read from the page
    itself: a list seen before comes from the cache, with no template context to look into."""
    import re

    shown = re.search(r'data-testid="result-count">[^<\d]*(\d+)', page.content.decode())
    assert shown is not None, page.content.decode()[:2000]
    return int(shown.group(1))
