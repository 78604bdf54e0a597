"""Every import is recorded as a batch (who, when, which file, what came of each row)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportBatch(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("导入中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("导入类型"), max_length=30)
    filename = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("文件大小"), default=0)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    dry_run = models.BooleanField(_("试运行（不写入）"), default=False)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    message = models.TextField(_("说明"), blank=True)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    inserted = models.PositiveIntegerField(_("新增"), default=0)
    updated = models.PositiveIntegerField(_("更新"), default=0)
    unchanged = models.PositiveIntegerField(_("未变"), default=0)
    rejected = models.PositiveIntegerField(_("拒绝"), default=0)
    months = models.JSONField(_("涉及月份"), default=list, blank=True)
    # Cells that would have undone an approved change request: kept as approved, listed for the admin.
    conflicts = models.JSONField(_("与已批准变更的冲突"), default=list, blank=True)
    header = models.JSONField(_("表头"), default=list, blank=True)  # the file's, for the rejected-rows report
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind_label} · {self.filename}"

    @property
    def kind_label(self) -> str:
        from .kinds import KINDS

        kind = KINDS.get(self.kind)
        return kind.label if kind else self.kind

    @property
    def encoding_label(self) -> str:
        from .readers import ENCODING_LABELS

        return ENCODING_LABELS.get(self.encoding, self.encoding)


class ImportRejection(models.Model):
    """One refused row: where it is in the file, which column, and why (in Chinese)."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField(_("行号"))
    column = models.CharField(_("列"), max_length=60, blank=True)
    value = models.CharField(_("值"), max_length=200, blank=True)
    reason = models.CharField(_("原因"), max_length=300)
    cells = models.JSONField(_("原始行"), default=list, blank=True)  # on the first reason of its line

    class Meta:
        verbose_name = _("被拒绝的行")
        verbose_name_plural = _("被拒绝的行")
        ordering = ["batch", "line", "pk"]
