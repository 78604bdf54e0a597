from typing import Any

from django.contrib import admin

from .models import Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin[Any]):
    list_display = ("year", "region", "metric", "amount", "updated_at")
    list_filter = ("year", "metric")
    search_fields = ("region__name", "region__code")
