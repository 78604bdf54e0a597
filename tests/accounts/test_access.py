"""Who manages a region — the one test behind approving registrations, partner statements and
grade changes, following referrals, assigning customers and setting KPI targets — checked for every
user and every region of the tiny province against the region tree walked by its parents (not by
the stored paths the function reads), and for users with no region."""

from __future__ import annotations

import pytest

from zhengqi.accounts.access import manages_region
from zhengqi.accounts.models import Region, User

pytestmark = pytest.mark.django_db


def ancestors(region: Region, by_pk: dict[int, Region]) -> set[int]:
    seen: set[int] = set()
    cursor: Region | None = region
    while cursor is not None:
        seen.add(cursor.pk)
        cursor = by_pk.get(cursor.parent_id) if cursor.parent_id else None
    return seen


def test_a_region_is_managed_by_the_admin_and_the_regional_managers_above_it() -> None:
    regions = list(Region.objects.all())
    by_pk = {r.pk: r for r in regions}
    users = list(User.objects.select_related("region"))
    assert {u.role for u in users} >= {User.Role.REGIONAL_MANAGER, User.Role.ACCOUNT_MANAGER}
    for user in users:
        for region in [*regions, None]:
            expected = user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN
            if user.role == User.Role.REGIONAL_MANAGER and user.region is not None and region is not None:
                expected = user.region.pk in ancestors(region, by_pk)
            assert manages_region(user, region) == expected, (user.username, region and region.name)


def test_a_regional_manager_without_a_region_manages_nothing() -> None:
    manager = User.objects.filter(role=User.Role.REGIONAL_MANAGER).first()
    assert manager is not None
    manager.region = None
    assert not any(manages_region(manager, r) for r in Region.objects.all())
