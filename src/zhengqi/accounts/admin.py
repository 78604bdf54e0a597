"""Back-office admin for regions and staff; scoped to the user's region subtree."""

from __future__ import annotations

from typing import Any

import axes.admin as axes_admin  # registers axes' pages first, so that they can be replaced below
from axes.models import AccessAttempt, AccessFailureLog
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from .access import NOTHING, regions_visible_to, sees_whole_province
from .models import ApiToken, Region, User
from .requests import signed_in
from .tokens import token_revoke


def _province(request: HttpRequest) -> bool:
    """The provincial admin's (or a superuser's) own back-office pages; nobody else's, not even a
    visitor on the login page, for whom the admin asks before anyone has signed in."""
    user = request.user
    return bool(user.is_authenticated and isinstance(user, User) and sees_whole_province(user))


class ScopedAdminMixin(admin.ModelAdmin[Any]):
    """Admin pages show only rows in the user's scope, and answer 404 for ids outside it."""

    def scope(self, request: HttpRequest) -> Q:
        return NOTHING  # safe default: an admin class that forgets to say its scope shows nothing

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(self.scope(request))

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("对象不存在或无权查看。")
        return obj


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")

    def scope(self, request: HttpRequest) -> Q:
        return regions_visible_to(signed_in(request))


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "region", "grade", "is_active")
    list_filter = ("role", "grade", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        ("政企", {"fields": ("display_name", "role", "region", "grade", "phone")}),
    )

    def scope(self, request: HttpRequest) -> Q:
        user = signed_in(request)
        if sees_whole_province(user):
            return Q()
        if user.region is None:
            return Q(pk=user.pk)
        return Q(region__path__startswith=user.region.path) | Q(pk=user.pk)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """The provincial admin's view of every API token: read-only, with a revoke action (the key
    itself is never stored, so it cannot be shown here)."""

    list_display = ("user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("user__username", "name", "prefix")
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ("digest",)
    actions = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _province(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _province(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _province(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are made by their user, on the API page

    @admin.action(description="吊销所选令牌")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset.filter(revoked_at__isnull=True):
            token_revoke(by=signed_in(request), token_id=token.pk)


# The lockouts of django-axes, for the provincial admin who unlocks accounts (docs/access.md): axes'
# own admin pages, opened to the province (a staff login without Django's model permissions) and
# read-only but for deleting an attempt, which is what unlocks.


class ProvinceUnlocks:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return _province(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _province(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _province(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


for model, base in (
    (AccessAttempt, axes_admin.AccessAttemptAdmin),
    (AccessFailureLog, axes_admin.AccessFailureLogAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, type(f"Province{base.__name__}", (ProvinceUnlocks, base), {}))
