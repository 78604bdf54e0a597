"""Back office for service and competition: departments with their members and head, routing
rules and deadlines (what the provincial admin sets), response plans; requests, events and surveys
to look up (their life is on the pages, where each step is checked and logged)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import CompetitorEvent, Department, ResponsePlan, RoutingRule, ServiceLevel, ServiceRequest, Survey


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "kind", "region", "head"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["head"]
    filter_horizontal = ["members"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["request_type", "region", "department"]
    list_filter = ["request_type", "department"]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["request_type", "hours"]


@admin.register(ResponsePlan)
class ResponsePlanAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "operator", "days", "active"]
    list_filter = ["operator", "active"]
    filter_horizontal = ["products"]


class LookUp(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-only: the pages and the API change these, through the services' checks."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(ServiceRequest)
class ServiceRequestAdmin(LookUp):
    list_display = ["number", "customer", "request_type", "department", "status", "due_at", "escalated_at"]
    list_filter = ["status", "request_type", "department", "source"]
    search_fields = ["customer__name", "title", "external_ref"]


@admin.register(CompetitorEvent)
class CompetitorEventAdmin(LookUp):
    list_display = ["date", "operator", "kind", "summary", "campaign"]
    list_filter = ["operator", "kind"]


@admin.register(Survey)
class SurveyAdmin(LookUp):
    list_display = ["date", "customer", "kind", "satisfied", "score"]
    list_filter = ["kind", "satisfied"]
