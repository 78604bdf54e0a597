"""Annual revenue targets per region, against which the dashboards and the monthly report measure
completion (完成率) and time progress (时间进度)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import Region


class Metric(models.TextChoices):
    REVENUE_INFO = "revenue_info", _("信息化收入")
    REVENUE_LINE = "revenue_line", _("专线收入")


class Target(models.Model):
    """A region's annual target for one revenue metric, in yuan. A region without a target of its
    own is measured against the sum of its children's (a city against its districts')."""

    region = models.ForeignKey(Region, verbose_name=_("区域"), on_delete=models.CASCADE, related_name="targets")
    year = models.PositiveIntegerField(_("年度"))
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    amount = models.DecimalField(
        _("年度目标（元）"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度收入目标")
        verbose_name_plural = _("年度收入目标")
        ordering = ["year", "region__path", "metric"]
        constraints = [models.UniqueConstraint(fields=["region", "year", "metric"], name="uniq_target")]

    def __str__(self) -> str:
        return f"{self.year} {self.region} {self.get_metric_display()}"


class ManagerTarget(models.Model):
    """An account manager's annual KPI target (F-18): informatization revenue in yuan, or a rate (0–1)."""

    class Metric(models.TextChoices):
        REVENUE_INFO = "revenue_info", _("信息化收入（元）")
        RETENTION = "retention", _("目标市场保有率")
        IN_NETWORK = "in_network", _("成员在网率")
        TASK_COMPLETION = "task_completion", _("任务完成率")

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.CASCADE, related_name="kpi_targets"
    )
    year = models.PositiveIntegerField(_("年度"))
    metric = models.CharField(_("指标"), max_length=20, choices=Metric.choices)
    value = models.DecimalField(_("目标值"), max_digits=16, decimal_places=4, validators=[MinValueValidator(0)])
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户经理考核目标")
        verbose_name_plural = _("客户经理考核目标")
        ordering = ["year", "manager", "metric"]
        constraints = [models.UniqueConstraint(fields=["manager", "year", "metric"], name="uniq_manager_target")]

    def __str__(self) -> str:
        return f"{self.year} {self.manager} {self.get_metric_display()}"
