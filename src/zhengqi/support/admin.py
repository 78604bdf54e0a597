"""Back office for service requests: departments with their members and head, routing
rules and deadlines (what the provincial admin sets); requests and surveys
to look up (their life is on the pages, where each step is checked and logged)."""

from __future__ import annotations

from django.contrib import admin

from zhengqi.web.admin import LookUp

from .models import Department, RoutingRule, ServiceLevel, ServiceRequest, Survey, TierDeadline, TierService


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["code", "name", "kind", "region", "head"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["head"]
    filter_horizontal = ["members"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin[RoutingRule]):
    list_display = ["request_type", "region", "department"]
    list_filter = ["request_type", "department"]


@admin.register(ServiceLevel)
class ServiceLevelAdmin(admin.ModelAdmin[ServiceLevel]):
    list_display = ["request_type", "hours"]


class TierDeadlineInline(admin.TabularInline[TierDeadline, TierService]):
    model = TierDeadline
    extra = 0


@admin.register(TierService)
class TierServiceAdmin(admin.ModelAdmin[TierService]):
    list_display = ["tier", "visit_days", "escalate_percent", "dedicated_line", "annual_review"]
    inlines = [TierDeadlineInline]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(LookUp):
    list_display = ["number", "customer", "request_type", "department", "status", "due_at", "escalated_at"]
    list_filter = ["status", "request_type", "department", "source"]
    search_fields = ["customer__name", "title", "external_ref"]


@admin.register(Survey)
class SurveyAdmin(LookUp):
    list_display = ["date", "customer", "kind", "satisfied", "score"]
    list_filter = ["kind", "satisfied"]
