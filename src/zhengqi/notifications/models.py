"""Notifications, each user's choice of channel per kind, the outgoing messages (e-mail, 企业微信
robot) with their retries, and the schedules of the built-in scheduler with a record of every run."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ESCALATION = "escalation", _("逾期升级")
    APPROVAL_WAITING = "approval_waiting", _("待我审批")
    APPROVAL_DECIDED = "approval_decided", _("审批结果")
    TASK_ASSIGNED = "task_assigned", _("派给我的任务")
    CUSTOMER_RISK = "customer_risk", _("重要客户预警")
    REQUEST_ASSIGNED = "request_assigned", _("部门新工单")
    COMPETITOR = "competitor", _("竞争动向")
    REACTION = "reaction", _("快速反应小组")
    REFERRAL = "referral", _("全员营销推荐")
    STATEMENT = "statement", _("结算单审批")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("仅站内通知")
    EMAIL = "email", _("站内通知并发邮件")
    DIGEST = "digest", _("站内通知，邮件并入每日摘要")


# What a user gets before choosing: the escalations that wait for them by e-mail at once, the rest in
# the app (and so also in nobody's inbox until they ask for it).
DEFAULT_CHANNEL = {Kind.ESCALATION: Channel.EMAIL}


class Notification(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    # The same fact notified twice (a job re-run, two processes at once) is one notification.
    key = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("通知")
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["user", "key"], condition=~Q(key=""), name="notification_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title


class Preference(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("接收方式"), max_length=10, choices=Channel.choices)

    class Meta:
        verbose_name = _("通知设置")
        verbose_name_plural = _("通知设置")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once")]


class Delivery(models.Model):
    """One outgoing message. Sent by the scheduler's delivery job (and at once after the job that made
    it); a failure is recorded and retried later, up to ``MAX_ATTEMPTS``; the in-app notification it
    carries stays whatever happens to the message."""

    class Medium(models.TextChoices):
        EMAIL = "email", _("邮件")
        WECOM = "wecom", _("企业微信群机器人")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    medium = models.CharField(_("渠道"), max_length=10, choices=Medium.choices)
    to = models.CharField(_("收件人"), max_length=300)  # an address, or a region's code for its robot
    subject = models.CharField(_("主题"), max_length=200)
    text = models.TextField(_("正文"))
    html = models.TextField(blank=True)
    attachment_name = models.CharField(max_length=100, blank=True)
    attachment = models.BinaryField(null=True, blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_try_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外发消息")
        verbose_name_plural = _("外发消息")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_try_at"], name="delivery_due")]


class Schedule(models.Model):
    """When the scheduler runs one job: a cron expression in the province's time zone, editable by the
    provincial admin. ``next_run_at`` is claimed by a conditional UPDATE, so that two schedulers (or a
    restart in the middle of a minute) never run one job twice."""

    job = models.CharField(_("任务"), max_length=30, unique=True)
    cron = models.CharField(_("执行时间（cron）"), max_length=100)
    enabled = models.BooleanField(_("启用"), default=True)
    next_run_at = models.DateTimeField(_("下次执行"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("定时任务")
        verbose_name_plural = _("定时任务")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.job


class ScheduleRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("按计划")
        MANUAL = "manual", _("手工执行")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    trigger = models.CharField(_("触发"), max_length=10, choices=Trigger.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("开始"), db_index=True)
    finished_at = models.DateTimeField(_("结束"), null=True, blank=True)
    ok = models.BooleanField(_("成功"), null=True)
    outcome = models.TextField(_("结果"), blank=True)

    class Meta:
        verbose_name = _("定时任务执行记录")
        verbose_name_plural = _("定时任务执行记录")
        ordering = ["-started_at", "-pk"]

    @property
    def label(self) -> str:
        """The job's name as people know it (the job's key if it is no longer registered)."""
        from .schedules import JOBS

        job = JOBS.get(self.schedule.job)
        return str(job.label) if job else self.schedule.job
