from typing import Any

from django.contrib import admin

from .models import ImportBatch, ImportRejection


class RejectionInline(admin.TabularInline[Any, Any]):
    model = ImportRejection
    extra = 0
    can_delete = False
    readonly_fields = ("line", "column", "value", "reason")


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin[Any]):
    list_display = (
        "pk",
        "kind",
        "filename",
        "by",
        "started_at",
        "status",
        "rows_total",
        "inserted",
        "updated",
        "rejected",
    )
    list_filter = ("kind", "status", "dry_run")
    readonly_fields = [f.name for f in ImportBatch._meta.fields]
    inlines = [RejectionInline]

    def has_add_permission(self, request: object) -> bool:
        return False
