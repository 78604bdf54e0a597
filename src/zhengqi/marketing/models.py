"""Work items of account managers: tasks (F-13). Opportunities, campaigns and interactions follow."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqi.customers.models import Customer
from zhengqi.insight.models import Severity


class Task(models.Model):
    class Source(models.TextChoices):
        ALERT = "alert", _("预警")
        MANUAL = "manual", _("手工")
        CAMPAIGN = "campaign", _("营销活动")
        APPROVAL = "approval", _("审批")

    Priority = Severity  # a task from an alert takes the alert's severity as its priority

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已完成")
        CANCELLED = "cancelled", _("已取消")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tasks")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="tasks"
    )
    title = models.CharField(_("任务"), max_length=200)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    # For tasks from alerts: the alert's rule and first month identify it across re-runs of a month.
    rule_code = models.CharField(_("规则编码"), max_length=20, blank=True)
    alert_month = models.DateField(_("预警月份"), null=True, blank=True)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    due = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    outcome = models.TextField(_("处理结果"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Overdue tasks are escalated once to the nearest regional manager above the customer.
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("已上报给"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="escalated_tasks",
    )
    escalated_at = models.DateTimeField(_("上报时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("工作任务")
        verbose_name_plural = _("工作任务")
        ordering = ["status", "due", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "rule_code", "alert_month"],
                condition=models.Q(source="alert"),
                name="uniq_task_per_alert",
            )
        ]
        indexes = [models.Index(fields=["assignee", "status", "due"])]

    def __str__(self) -> str:
        return self.title


class Interaction(models.Model):
    """A contact with the customer (接触记录, F-15): who met whom, what came of it, what is next."""

    class Kind(models.TextChoices):
        VISIT = "visit", _("拜访")
        CALL = "call", _("电话")
        MEETING = "meeting", _("会议")
        EMAIL = "email", _("邮件")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("方式"), max_length=10, choices=Kind.choices, default=Kind.VISIT)
    date = models.DateField(_("日期"))
    key_persons = models.ManyToManyField("customers.KeyPerson", verbose_name=_("接触的关键人"), blank=True)
    summary = models.TextField(_("内容摘要"))
    outcome = models.TextField(_("结果"), blank=True)
    next_step = models.CharField(_("下一步"), max_length=200, blank=True)
    task = models.ForeignKey(
        Task, verbose_name=_("关联任务"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接触记录")
        verbose_name_plural = _("接触记录")
        ordering = ["-date", "-pk"]
