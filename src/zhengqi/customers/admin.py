"""Back-office admin for customers and their records, under the same row-level access."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Q
from django.http import HttpRequest

from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.admin import ScopedAdminMixin
from zhengqi.accounts.requests import signed_in

from .models import (
    AccountAssignment,
    Contract,
    Customer,
    CustomerMonth,
    KeyPerson,
    KeyPersonRole,
    Product,
    Subscription,
)


class CustomerScoped(ScopedAdminMixin):
    customer_prefix = "customer__"

    def scope(self, request: HttpRequest) -> Q:
        return customer_scope(signed_in(request), prefix=self.customer_prefix)


class KeyPersonRoleInline(admin.TabularInline):
    model = KeyPersonRole
    extra = 0


@admin.register(Customer)
class CustomerAdmin(CustomerScoped, admin.ModelAdmin):
    customer_prefix = ""
    list_display = ("code", "name", "customer_type", "industry", "region", "tier", "status", "account_manager")
    list_filter = ("status", "tier", "customer_type", "industry", "scale")
    search_fields = ("name", "code", "credit_code")
    list_select_related = ("region", "account_manager")
    raw_id_fields = ("parent", "account_manager", "region")
    readonly_fields = ("account_manager", "source", "source_batch", "created_at", "updated_at")


@admin.register(KeyPerson)
class KeyPersonAdmin(CustomerScoped, admin.ModelAdmin):
    list_display = ("name", "customer", "title", "closeness")
    search_fields = ("name", "customer__name")
    raw_id_fields = ("customer",)
    inlines = [KeyPersonRoleInline]
    exclude = ("phone", "birthday")  # personal data stays masked; it is edited where access is logged


@admin.register(Subscription)
class SubscriptionAdmin(CustomerScoped, admin.ModelAdmin):
    list_display = ("customer", "product", "start", "end", "monthly_fee", "status")
    list_filter = ("status", "product")
    raw_id_fields = ("customer",)


@admin.register(Contract)
class ContractAdmin(CustomerScoped, admin.ModelAdmin):
    list_display = ("number", "customer", "start", "end", "amount", "auto_renew")
    search_fields = ("number", "customer__name")
    raw_id_fields = ("customer",)


@admin.register(AccountAssignment)
class AccountAssignmentAdmin(CustomerScoped, admin.ModelAdmin):
    list_display = ("customer", "manager", "start", "end", "reason")
    raw_id_fields = ("customer", "manager", "assigned_by")


@admin.register(CustomerMonth)
class CustomerMonthAdmin(CustomerScoped, admin.ModelAdmin):
    list_display = ("customer", "month", "revenue_total", "revenue_info", "members_active")
    list_filter = ("month",)
    raw_id_fields = ("customer",)


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "category", "complexity", "is_informatization", "list_price")
