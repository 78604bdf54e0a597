"""Back-office admin for regions and staff; scoped to the user's region subtree."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from .access import NOTHING, regions_visible_to, sees_whole_province
from .models import Region, User


class ScopedAdminMixin:
    """Admin pages show only rows in the user's scope, and answer 404 for ids outside it."""

    def scope(self, request: HttpRequest) -> Q:
        return NOTHING  # safe default: an admin class that forgets to say its scope shows nothing

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(self.scope(request))  # type: ignore[misc]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None:
            raise Http404("对象不存在或无权查看。")
        return obj


@admin.register(Region)
class RegionAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent")
    list_filter = ("level",)
    search_fields = ("name", "code")

    def scope(self, request: HttpRequest) -> Q:
        return regions_visible_to(request.user)  # type: ignore[arg-type]


@admin.register(User)
class UserAdmin(ScopedAdminMixin, BaseUserAdmin):
    list_display = ("username", "display_name", "role", "region", "grade", "is_active")
    list_filter = ("role", "grade", "is_active")
    search_fields = ("username", "display_name")
    fieldsets = (*BaseUserAdmin.fieldsets, ("政企", {"fields": ("display_name", "role", "region", "grade", "phone")}))  # type: ignore[misc]

    def scope(self, request: HttpRequest) -> Q:
        user: User = request.user  # type: ignore[assignment]
        if sees_whole_province(user):
            return Q()
        if user.region is None:
            return Q(pk=user.pk)
        return Q(region__path__startswith=user.region.path) | Q(pk=user.pk)
