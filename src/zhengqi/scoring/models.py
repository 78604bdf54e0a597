"""Results of the month run written back to the web database, and the configuration it runs with:
rules (with version history), value-model versions, run records, snapshots, tier moves, alerts."""

from __future__ import annotations

import datetime as dt
import os
import socket

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqi.customers.models import Customer, money_field


class Family(models.TextChoices):
    DEVELOP = "develop", _("发展")
    MAINTAIN = "maintain", _("维系")
    RETAIN = "retain", _("挽留")
    UPLIFT = "uplift", _("提升")
    PREVENT = "prevent", _("防范")


# The alert the month run raises from the churn model (not a rule of the rule language).
CHURN_CODE = "CHURN_RISK"
# The prevention alert a competitor event raises (zhengqi.support): the month run leaves it alone.
COMPETITOR_CODE = "COMPETITOR"


class Severity(models.TextChoices):
    HIGH = "high", _("高")
    MEDIUM = "medium", _("中")
    LOW = "low", _("低")


class TaskPolicy(models.TextChoices):
    """What a rule's hit becomes: a task for someone to do, or only a mark on the customer (a segment)."""

    FAMILY = "family", _("按因子族（挽留、防范、发展生成任务；维系、提升只标记）")
    TASK = "task", _("生成任务")
    MARK = "mark", _("只标记客户，不生成任务")


# Families whose hits are work to do (seed 002 §6.4): 挽留, 防范 and 发展; 维系 and 提升 mark segments.
TASK_FAMILIES = frozenset({"retain", "prevent", "develop"})


def makes_task(family: str, policy: str = TaskPolicy.FAMILY) -> bool:
    """Whether a hit of a rule with this family and task policy becomes a task."""
    if policy == TaskPolicy.TASK:
        return True
    if policy == TaskPolicy.MARK:
        return False
    return family in TASK_FAMILIES


class Rule(models.Model):
    """A segmentation / alert rule of the rule language (F-04). Every save adds a RuleVersion."""

    code = models.CharField(_("规则编码"), max_length=20, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    family = models.CharField(_("因子族"), max_length=10, choices=Family.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    expression = models.TextField(_("规则表达式"))
    description = models.CharField(_("说明"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    enabled = models.BooleanField(_("启用"), default=True)
    task_policy = models.CharField(_("命中后"), max_length=10, choices=TaskPolicy.choices, default=TaskPolicy.FAMILY)
    builtin = models.BooleanField(_("内置规则"), default=False)
    version = models.PositiveIntegerField(_("版本"), default=1)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("规则")
        verbose_name_plural = _("规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def makes_task(self) -> bool:
        return makes_task(self.family, self.task_policy)


class RuleVersion(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("版本"))
    expression = models.TextField(_("规则表达式"))
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    enabled = models.BooleanField(_("启用"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("规则版本")
        verbose_name_plural = _("规则版本")
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="uniq_rule_version")]


class ValueModelVersion(models.Model):
    """A version of the value model's configuration (factors, weights, thresholds, overrides)."""

    version = models.CharField(_("版本"), max_length=40, unique=True)
    config = models.JSONField(_("配置"))
    active = models.BooleanField(_("当前使用"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("价值模型版本")
        verbose_name_plural = _("价值模型版本")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.version


STEP_LABELS = {
    "export": _("导出维度"),
    "features": _("计算特征"),
    "value": _("价值评分"),
    "hits": _("规则命中"),
    "churn": _("流失评分"),
    "write_back": _("写回结果"),
}
COUNT_LABELS = {
    "dim_customers": _("客户"),
    "dim_hierarchy": _("上下级关系"),
    "dim_subscriptions": _("产品订购"),
    "dim_contracts": _("协议"),
    "dim_service_month": _("服务记录（客户月）"),
    "snapshots": _("客户快照"),
    "tier_changes": _("等级变化"),
    "hits": _("规则命中"),
    "churn_hits": _("流失预警命中"),
    "alerts_opened": _("新开预警"),
    "tasks_created": _("新建任务"),
    "tasks_backlog": _("超出容量、进入待办池的预警"),
    "tasks_to_regional": _("无客户经理、派给区域经理的任务"),
    "alerts_marked": _("只标记客户（不生成任务）的预警"),
    "segments": _("更新成员的客户细分"),
    "rerun_later_months": _("随后重跑的月份"),
}
STALE_AFTER = dt.timedelta(hours=6)  # no step of a province's month run takes this long


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, another user's
        return True
    return True


class MonthRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("成功")
        FAILED = "failed", _("失败")

    month = models.DateField(_("月份"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    backend = models.CharField(_("引擎"), max_length=20)
    current_step = models.CharField(_("已完成步骤"), max_length=20, blank=True)
    run_id = models.CharField(_("运行编号"), max_length=60, blank=True)
    value_model = models.CharField(_("价值模型版本"), max_length=40, blank=True)
    churn_model = models.CharField(_("流失模型版本"), max_length=100, blank=True)
    rules = models.JSONField(_("规则及版本"), default=dict)
    steps = models.JSONField(_("步骤耗时"), default=list)
    counts = models.JSONField(_("行数"), default=dict)
    error = models.TextField(_("错误"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    worker = models.CharField(_("运行进程"), max_length=120, blank=True)  # host:pid
    heartbeat_at = models.DateTimeField(_("最近进展"), null=True, blank=True)

    class Meta:
        verbose_name = _("月度运行")
        verbose_name_plural = _("月度运行")
        ordering = ["-started_at"]

    @property
    def step_lines(self) -> list[tuple[str, float, int]]:
        """The engine's steps as (name in the reader's language, seconds, rows)."""
        return [(str(STEP_LABELS.get(s["name"], s["name"])), s["seconds"], s.get("rows") or 0) for s in self.steps]

    @property
    def count_lines(self) -> list[tuple[str, str]]:
        """What the run wrote, as (label, figure): no internal table names on the page."""
        lines = []
        for key, value in self.counts.items():
            label = COUNT_LABELS.get(key)
            if label is None:
                continue
            shown = "、".join(value) if isinstance(value, list) else f"{value:,}"
            lines.append((str(label), shown))
        return lines

    @property
    def abandoned(self) -> bool:
        """A run shown "running" whose process is gone: on this machine its process no longer
        exists; elsewhere, no step has finished for ``STALE_AFTER``."""
        if self.status != self.Status.RUNNING:
            return False
        host, _sep, pid = self.worker.rpartition(":")
        if host == socket.gethostname() and pid.isdigit():
            return not _alive(int(pid))
        last = self.heartbeat_at or self.started_at
        return last is not None and timezone.now() - last > STALE_AFTER

    @property
    def progress_percent(self) -> int:
        from .month_run import STEPS

        if self.status == self.Status.SUCCEEDED:
            return 100
        done = STEPS.index(self.current_step) + 1 if self.current_step in STEPS else 0
        return round(100 * done / len(STEPS))


# Features the snapshot also keeps as columns, for the dashboards and the monthly report to add up
# in the database (the ``features`` JSON holds all of them, for reading one customer).
MONEY_MEASURES = (
    "revenue",
    "revenue_prev",
    "revenue_info",
    "revenue_info_prev",
    "revenue_line",
    "revenue_line_prev",
    "revenue_info_ytd",
    "revenue_line_ytd",
    "revenue_info_ytd_ly",
    "revenue_line_ytd_ly",
    "arrears",
)
COUNT_MEASURES = (
    "arrears_streak",
    "members_active",
    "members_idle",
    "members_idle_prev",
    "idle_cleaned",
    "product_count",
)


class CustomerSnapshot(models.Model):
    """The month run's result for one customer and month: score, tier, breakdown, features."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="snapshots")
    month = models.DateField(_("月份"))
    value_score = models.DecimalField(_("价值得分"), max_digits=6, decimal_places=2, null=True)
    tier = models.CharField(_("价值等级"), max_length=2, blank=True)
    tier_prev = models.CharField(_("上月等级"), max_length=2, blank=True)
    tier_reason = models.CharField(_("定级依据"), max_length=30, blank=True)
    axis_revenue = models.DecimalField(_("收入轴"), max_digits=6, decimal_places=2, null=True)
    axis_new_business = models.DecimalField(_("新业务轴"), max_digits=6, decimal_places=2, null=True)
    potential_score = models.DecimalField(_("潜力得分"), max_digits=6, decimal_places=2, null=True)
    retention_flag = models.BooleanField(_("低价值高潜力"), default=False)
    breakdown = models.JSONField(_("因子得分"), default=dict)
    features = models.JSONField(_("特征"), default=dict)
    churn_risk = models.FloatField(_("流失风险"), null=True, blank=True)
    churn_band = models.CharField(_("流失风险等级"), max_length=10, blank=True)
    churn_reasons = models.JSONField(_("流失风险原因"), default=list, blank=True)
    revenue = money_field(_("当月总收入"), default=0)
    revenue_prev = money_field(_("上月总收入"), default=0)
    revenue_info = money_field(_("信息化收入"), default=0)
    revenue_info_prev = money_field(_("上月信息化收入"), default=0)
    revenue_line = money_field(_("专线收入"), default=0)
    revenue_line_prev = money_field(_("上月专线收入"), default=0)
    revenue_info_ytd = money_field(_("本年累计信息化收入"), default=0)
    revenue_line_ytd = money_field(_("本年累计专线收入"), default=0)
    revenue_info_ytd_ly = money_field(_("上年同期累计信息化收入"), default=0)
    revenue_line_ytd_ly = money_field(_("上年同期累计专线收入"), default=0)
    arrears = money_field(_("欠费金额"), default=0)
    arrears_streak = models.PositiveIntegerField(_("连续欠费月数"), default=0)
    members_active = models.PositiveIntegerField(_("在网成员数"), default=0)
    members_idle = models.PositiveIntegerField(_("“三无”成员数"), default=0)
    members_idle_prev = models.PositiveIntegerField(_("上月“三无”成员数"), default=0)
    idle_cleaned = models.PositiveIntegerField(_("“三无”成员清理数"), default=0)
    product_count = models.PositiveIntegerField(_("在用产品数"), default=0)

    class Meta:
        verbose_name = _("客户月度快照")
        verbose_name_plural = _("客户月度快照")
        ordering = ["customer", "-month"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="uniq_snapshot")]
        indexes = [
            models.Index(fields=["month", "tier"], name="snapshot_month_tier"),
            # The month's high-risk customers (notifications after each month run, the churn lists).
            models.Index(fields=["month", "churn_band"], name="snapshot_month_churn"),
        ]


class TierChange(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_changes")
    month = models.DateField(_("月份"))
    from_tier = models.CharField(_("原等级"), max_length=2, blank=True)
    to_tier = models.CharField(_("新等级"), max_length=2, blank=True)
    value_score = models.DecimalField(_("价值得分"), max_digits=6, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("等级变动")
        verbose_name_plural = _("等级变动")
        ordering = ["customer", "-month"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="uniq_tier_change")]


class Alert(models.Model):
    """A rule firing on a customer (预警). It opens the first month the rule fires, stays open (its
    last month moving on) while it keeps firing, and is resolved the first month it does not."""

    class Status(models.TextChoices):
        OPEN = "open", _("未处理")
        RESOLVED = "resolved", _("已消除")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="alerts")
    rule_code = models.CharField(_("规则编码"), max_length=20)
    rule_name = models.CharField(_("规则名称"), max_length=100)
    family = models.CharField(_("因子族"), max_length=10, choices=Family.choices)
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices)
    first_month = models.DateField(_("首次触发月份"))
    last_month = models.DateField(_("最近触发月份"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    resolved_month = models.DateField(_("消除月份"), null=True, blank=True)
    evidence = models.JSONField(_("触发时的特征值"), default=dict)

    class Meta:
        verbose_name = _("预警")
        verbose_name_plural = _("预警")
        ordering = ["-last_month", "customer"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "rule_code", "first_month"], name="uniq_alert_episode")
        ]
        indexes = [models.Index(fields=["customer", "status"], name="insight_ale_custome_9a41d2_idx")]


class Segment(models.Model):
    """A saved segment (细分): a named condition in the rule language, owned by a user and shared with
    a role, a region or both; its members are the customers the condition selects in a month run's
    results (each user sees those in their own scope), counted each month for a trend (issue 23)."""

    name = models.CharField(_("名称"), max_length=100)
    expression = models.TextField(_("条件（规则语言）"))
    description = models.CharField(_("说明"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), on_delete=models.CASCADE, related_name="+"
    )
    shared = models.BooleanField(_("共享"), default=False)
    shared_role = models.CharField(_("共享给角色"), max_length=30, blank=True)  # blank: every role
    shared_region = models.ForeignKey(
        "accounts.Region",
        verbose_name=_("共享给区域"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # empty: the whole province
    # The months its members were counted for ("YYYY-MM"), so that a month with none still shows as 0.
    counted = models.JSONField(_("已计算的月份"), default=list, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("客户细分")
        verbose_name_plural = _("客户细分")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class SegmentMember(models.Model):
    """A customer the segment selected in one month run: the members list, the export and the
    monthly trend (counted within each user's own scope) all read these rows."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    month = models.DateField(_("月份"))
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["segment", "month", "customer"], name="uniq_segment_member")]
