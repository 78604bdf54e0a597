"""Back office for competitor intelligence: response plans (what planners prepare) and events to look
up (recorded on the pages, where each raises its alerts)."""

from __future__ import annotations

from django.contrib import admin

from zhengqi.web.admin import LookUp

from .models import CompetitorEvent, ResponsePlan


@admin.register(ResponsePlan)
class ResponsePlanAdmin(admin.ModelAdmin[ResponsePlan]):
    list_display = ["name", "operator", "days", "active"]
    list_filter = ["operator", "active"]
    filter_horizontal = ["products"]


@admin.register(CompetitorEvent)
class CompetitorEventAdmin(LookUp):
    list_display = ["date", "operator", "kind", "summary", "campaign"]
    list_filter = ["operator", "kind"]
