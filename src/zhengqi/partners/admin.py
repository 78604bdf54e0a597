"""Back office for the partner channel: partners and their logins (a partner's login is linked
here), claims, rules (read-only: a rule changes by a new version) and statements (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Attribution, CommissionRule, Partner, PartnerAccount, Statement


class PartnerAccountInline(admin.TabularInline[Any, Any]):
    model = PartnerAccount
    extra = 1
    autocomplete_fields = ["user"]
    verbose_name_plural = "代理商登录账号（角色须为“代理商”）"


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin[Any]):
    list_display = ["code", "name", "region", "is_marketing", "is_service", "is_solution", "contract_end", "active"]
    list_filter = ["is_marketing", "is_service", "is_solution", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["products"]
    inlines = [PartnerAccountInline]


@admin.register(Attribution)
class AttributionAdmin(admin.ModelAdmin[Any]):
    list_display = ["partner", "role", "customer", "subscription", "opportunity", "status", "claimed_at"]
    list_filter = ["status", "role", "source"]
    search_fields = ["partner__name", "customer__name"]
    raw_id_fields = ["customer", "subscription", "opportunity", "claimed_by", "decided_by"]


class ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CommissionRule)
class CommissionRuleAdmin(ReadOnly):
    list_display = ["code", "version", "name", "effective_from", "role", "method", "value", "retired"]
    list_filter = ["role", "method"]


@admin.register(Statement)
class StatementAdmin(ReadOnly):
    list_display = ["partner", "month", "status", "total", "approved_by", "approved_at"]
    list_filter = ["status", "month"]
