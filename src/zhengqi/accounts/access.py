"""Row-level access: which customers (and so which of their records) a user may see.

One place decides it; every selector, page, export and API call filters through
:func:`customer_scope`. A user who may not see a customer gets a 404, never a 403, so that
ids outside one's scope reveal nothing.

| role              | customers visible                                   |
| ----------------- | --------------------------------------------------- |
| provincial admin  | all                                                 |
| regional manager  | those in their region subtree                       |
| marketing planner | those in their region subtree (to build segments)   |
| account manager   | those assigned to them                              |
| partner           | none (their deals come with the partner channel)    |
| department user   | none (their service queue comes with F-25)          |
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Region, User

NOTHING = Q(pk__in=[])


def sees_whole_province(user: User) -> bool:
    return bool(user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN)


def manages_region(user: User, region: Region | None) -> bool:
    """Whether ``user`` manages ``region``: the provincial admin everywhere, a regional manager in
    their own subtree (the one test behind approving, assigning and setting targets there)."""
    if sees_whole_province(user):
        return True
    return (
        user.role == User.Role.REGIONAL_MANAGER
        and user.region is not None
        and region is not None
        and region.path.startswith(user.region.path)
    )


def customer_scope(user: User, *, prefix: str = "") -> Q:
    """A filter on customers (or, with ``prefix="customer__"``, on rows that hang off one)."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if sees_whole_province(user):
        return Q()
    if user.role in (User.Role.REGIONAL_MANAGER, User.Role.MARKETING_PLANNER):
        if user.region is None:
            return NOTHING
        return Q(**{f"{prefix}region__path__startswith": user.region.path})
    if user.role == User.Role.ACCOUNT_MANAGER:
        return Q(**{f"{prefix}account_manager": user})
    return NOTHING


def regions_visible_to(user: User) -> Q:
    """A filter on regions: the user's own subtree (all for the province)."""
    if sees_whole_province(user):
        return Q()
    if user.region is None:
        return NOTHING
    return Q(path__startswith=user.region.path)


def regions_of(user: User, *, under: Region | None = None) -> QuerySet[Region]:
    """The regions the user may see, by path; only those under ``under`` when given (the filter
    forms of the dashboards and the development pages)."""
    qs = Region.objects.filter(regions_visible_to(user)).order_by("path")
    return qs.filter(path__startswith=under.path) if under is not None else qs


def region_by_code(code: str) -> Region | None:
    return Region.objects.filter(code=code).first()


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def active_users_named(usernames: list[str]) -> list[User]:
    """Active users among the given login names (a project team typed on a page or sent to the API)."""
    return list(User.objects.filter(username__in=[u.strip() for u in usernames if u.strip()], is_active=True))


def user_get(pk: int) -> User | None:
    return User.objects.filter(pk=pk).first()


def region_get(pk: int) -> Region | None:
    return Region.objects.filter(pk=pk).first()


def ancestor_paths(region: Region) -> list[str]:
    """The paths of the region and of every region above it, the province first."""
    parts = region.path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def nearest_manager(region: Region | None) -> User | None:
    """The active regional manager of ``region`` or of the nearest region above it (a district's own
    before its city's); None where there is none."""
    if region is None:
        return None
    managers = User.objects.filter(
        is_active=True, role=User.Role.REGIONAL_MANAGER, region__path__in=ancestor_paths(region)
    ).select_related("region")
    return max(managers, key=lambda u: (len(u.region.path) if u.region else 0, -u.pk), default=None)
