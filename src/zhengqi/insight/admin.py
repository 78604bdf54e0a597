from typing import Any

from django.contrib import admin

from .models import Course, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Any]):
    list_display = ("year", "region", "metric", "amount", "updated_at")
    list_filter = ("year", "metric")
    search_fields = ("region__name", "region__code")


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin[Any]):
    """The training catalogue the regional managers record scores against (客户经理培养)."""

    list_display = ("name", "kind", "hours", "pass_score")
    list_filter = ("kind",)
    search_fields = ("name",)
