"""Service and competition (F-25, F-26, F-27).

- A **service request** (集团客户响应中心: 综合受理、内部分流、全程监督、指导反馈) is accepted once for
  a customer, routed to a department's queue by the admin's routing rules, supervised against the
  deadline of its type (escalated once to the department head when overdue), resolved by the
  department and closed by the account manager with the customer's feedback.
- A **competitor event** (摸) records what another operator is doing to some customers; each of
  them gets a prevention alert; a **response plan** (应对预案) is a campaign template launched on
  those customers in one step (快速反应).
- A **survey** records a customer's (or key person's) satisfaction: after a closed request, after a
  delivery, yearly. The month run reads complaints and surveys from here.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import Region
from zhengqi.customers.models import Customer, KeyPerson


class RequestType(models.TextChoices):
    FAULT = "fault", _("故障")
    BILLING = "billing", _("计费")
    DELIVERY = "delivery", _("交付")
    CHANGE = "change", _("变更")
    COMPLAINT = "complaint", _("投诉")


class Department(models.Model):
    """A support department (支撑部门) with its queue: its members work the requests routed to it,
    its head receives the overdue ones."""

    class Kind(models.TextChoices):
        NETWORK = "network", _("网络")
        BILLING = "billing", _("计费")
        DELIVERY = "delivery", _("交付")
        PRODUCT = "product", _("产品")
        SERVICE = "service", _("客服")

    code = models.CharField(_("部门编码"), max_length=20, unique=True)
    name = models.CharField(_("部门名称"), max_length=100)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("所属区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("部门负责人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("部门人员"), blank=True, related_name="departments"
    )

    class Meta:
        verbose_name = _("支撑部门")
        verbose_name_plural = _("支撑部门")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceLevel(models.Model):
    """How long a request of one type may stay unresolved (时限)."""

    request_type = models.CharField(_("请求类型"), max_length=10, choices=RequestType.choices, unique=True)
    hours = models.PositiveIntegerField(
        _("处理时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )

    class Meta:
        verbose_name = _("处理时限")
        verbose_name_plural = _("处理时限")
        ordering = ["request_type"]

    def __str__(self) -> str:
        return f"{self.get_request_type_display()} {self.hours}h"


class RoutingRule(models.Model):
    """Requests of a type from customers in a region go to a department (内部分流). The rule of the
    deepest region that contains the customer's wins; a rule with no region applies province-wide."""

    request_type = models.CharField(_("请求类型"), max_length=10, choices=RequestType.choices)
    region = models.ForeignKey(
        Region,
        verbose_name=_("客户所在区域"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("留空表示全省。"),
    )
    department = models.ForeignKey(
        Department, verbose_name=_("处理部门"), on_delete=models.PROTECT, related_name="routing_rules"
    )

    class Meta:
        verbose_name = _("分派规则")
        verbose_name_plural = _("分派规则")
        ordering = ["request_type", "region__path"]
        constraints = [
            models.UniqueConstraint(fields=["request_type", "region"], name="uniq_route_type_region"),
            models.UniqueConstraint(
                fields=["request_type"], condition=models.Q(region__isnull=True), name="uniq_route_type_province"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_request_type_display()} → {self.department}"


class ServiceRequest(models.Model):
    """A customer's request or complaint, from acceptance to the customer's feedback."""

    class Status(models.TextChoices):
        OPEN = "open", _("处理中")
        RESOLVED = "resolved", _("已处理，待回访")
        CLOSED = "closed", _("已关闭")

    class Priority(models.TextChoices):
        NORMAL = "normal", _("普通")
        URGENT = "urgent", _("紧急")

    class Source(models.TextChoices):
        MANUAL = "manual", _("系统受理")
        IMPORT = "import", _("投诉系统导入")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="service_requests")
    request_type = models.CharField(_("类型"), max_length=10, choices=RequestType.choices)
    priority = models.CharField(_("优先级"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("客户诉求"), blank=True)
    key_person = models.ForeignKey(
        KeyPerson,
        verbose_name=_("提出人（关键人）"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    department = models.ForeignKey(
        Department, verbose_name=_("处理部门"), on_delete=models.PROTECT, related_name="requests"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("受理人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("受理时间"), default=timezone.now)
    due_at = models.DateTimeField(_("处理时限"))
    # The customer's service tier on the day the request was accepted (分层服务): it set the deadline
    # and when supervision escalates an open request (a premium tier before its deadline).
    tier = models.CharField(_("受理时服务等级"), max_length=2, blank=True)
    escalate_at = models.DateTimeField(_("升级时点"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("升级给"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolution = models.TextField(_("处理结果"), blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    satisfied = models.BooleanField(_("客户是否满意"), null=True, blank=True)
    feedback = models.TextField(_("客户反馈"), blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("回访人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    external_ref = models.CharField(
        _("投诉系统工单号"),
        max_length=40,
        null=True,
        blank=True,
        unique=True,
        help_text=_("运营商投诉系统的工单号：同一工单再次导入时只更新这一条，不重复计数。"),
    )

    class Meta:
        verbose_name = _("服务请求")
        verbose_name_plural = _("服务请求")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["department", "status"], name="service_ser_departm_1c3495_idx"),
            models.Index(fields=["customer", "created_at"], name="service_ser_custome_4a48ae_idx"),
            models.Index(fields=["status", "due_at"], name="service_ser_status_fc729a_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        return f"FW{self.pk:06d}" if self.pk else ""

    @property
    def is_overdue(self) -> bool:
        end = self.resolved_at or timezone.now()
        return end > self.due_at


class RequestEvent(models.Model):
    """One step of a request's life, for its timeline (全程监督)."""

    class Kind(models.TextChoices):
        CREATED = "created", _("受理")
        ROUTED = "routed", _("分派")
        ESCALATED = "escalated", _("超时升级")
        RESOLVED = "resolved", _("处理完成")
        CLOSED = "closed", _("回访关闭")
        REOPENED = "reopened", _("退回重办")
        IMPORTED = "imported", _("导入")
        TRANSFERRED = "transferred", _("转派")

    request = models.ForeignKey(ServiceRequest, on_delete=models.CASCADE, related_name="events")
    department = models.ForeignKey(
        Department,
        verbose_name=_("接手部门"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("分派与转派：此后由哪个部门处理（考核按各部门实际持有的时间计）。"),
    )
    kind = models.CharField(_("环节"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("处理记录")
        verbose_name_plural = _("处理记录")
        ordering = ["at", "id"]


class SupportTarget(models.Model):
    """A target the province sets for the support departments' yearly assessment (支撑体系考核): one
    per metric for all departments (no department), or for one department (overriding that)."""

    class Metric(models.TextChoices):
        ON_TIME = "on_time", _("按时办结率")
        HOURS = "hours", _("平均处理时长（小时）")
        REOPEN = "reopen", _("重办率")
        SATISFACTION = "satisfaction", _("回访满意率")

    LOWER_IS_BETTER = frozenset({Metric.HOURS, Metric.REOPEN})

    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    department = models.ForeignKey(
        Department,
        verbose_name=_("部门"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
        help_text=_("留空表示所有部门。"),
    )
    metric = models.CharField(_("指标"), max_length=15, choices=Metric.choices)
    value = models.DecimalField(_("目标值"), max_digits=8, decimal_places=3)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("设定人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("支撑部门考核目标")
        verbose_name_plural = _("支撑部门考核目标")
        ordering = ["year", "department__code", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["year", "department", "metric"], name="support_target_once"),
            models.UniqueConstraint(
                fields=["year", "metric"], condition=models.Q(department__isnull=True), name="support_target_province"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.department or _('所有部门')} {self.get_metric_display()}"


class Survey(models.Model):
    """A customer's (or one key person's) answer to a satisfaction survey."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("服务回访")
        DELIVERY = "delivery", _("交付回访")
        YEARLY = "yearly", _("年度满意度调查")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="surveys")
    key_person = models.ForeignKey(
        KeyPerson, verbose_name=_("受访关键人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("调查类型"), max_length=10, choices=Kind.choices)
    date = models.DateField(_("调查日期"))
    satisfied = models.BooleanField(_("是否满意"))
    score = models.PositiveSmallIntegerField(
        _("评分（1–5）"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("5 非常满意 … 1 非常不满意；可不填。"),
    )
    note = models.TextField(_("意见"), blank=True)
    request = models.OneToOneField(
        ServiceRequest,
        verbose_name=_("服务请求"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="survey",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("满意度调查")
        verbose_name_plural = _("满意度调查")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["customer", "date"], name="service_sur_custome_307976_idx")]


# --- service by tier (分层服务) ---------------------------------------------------------------------


class TierService(models.Model):
    """What a customer of one value tier is promised (seed 000 A+/A/B/C 分级服务管理): a visit every so
    many days, how early an open request is escalated, a dedicated service line, a yearly service
    review, and benefits (one per line: priority installation, free health checks…)."""

    tier = models.CharField(_("服务等级"), max_length=2, unique=True)
    visit_days = models.PositiveSmallIntegerField(
        _("拜访周期（天）"), validators=[MinValueValidator(1), MaxValueValidator(366)]
    )
    escalate_percent = models.PositiveSmallIntegerField(
        _("升级时点（处理时限的百分比）"),
        default=100,
        validators=[MinValueValidator(10), MaxValueValidator(100)],
        help_text=_("未办结的请求用去多少处理时限时升级给部门负责人：100 为超时才升级，75 为提前预警。"),
    )
    dedicated_line = models.BooleanField(_("专席服务热线"), default=False)
    annual_review = models.BooleanField(_("年度服务回顾"), default=False)
    benefits = models.TextField(_("服务权益"), blank=True, help_text=_("每行一项。"))

    class Meta:
        verbose_name = _("分层服务标准")
        verbose_name_plural = _("分层服务标准")
        ordering = ["tier"]

    def __str__(self) -> str:
        return str(_("%(tier)s 级服务") % {"tier": self.tier})

    @property
    def benefit_list(self) -> list[str]:
        return [line.strip() for line in self.benefits.splitlines() if line.strip()]


class TierDeadline(models.Model):
    """A tier's own deadline for a type of request, overriding the general one (处理时限)."""

    service = models.ForeignKey(
        TierService, verbose_name=_("服务等级"), on_delete=models.CASCADE, related_name="deadlines"
    )
    request_type = models.CharField(_("请求类型"), max_length=10, choices=RequestType.choices)
    hours = models.PositiveIntegerField(
        _("处理时限（小时）"), validators=[MinValueValidator(1), MaxValueValidator(24 * 90)]
    )

    class Meta:
        verbose_name = _("分层处理时限")
        verbose_name_plural = _("分层处理时限")
        ordering = ["service", "request_type"]
        constraints = [models.UniqueConstraint(fields=["service", "request_type"], name="uniq_tier_deadline")]


class TierHistory(models.Model):
    """A customer's service tier changed: the new tier's entitlements count from ``effective_from``,
    the day after the change was recorded (a request accepted today keeps today's terms)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="tier_history")
    from_tier = models.CharField(_("原等级"), max_length=2, blank=True)
    to_tier = models.CharField(_("新等级"), max_length=2, blank=True)
    effective_from = models.DateField(_("生效日期"))
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务等级变动")
        verbose_name_plural = _("服务等级变动")
        ordering = ["customer", "effective_from", "id"]
        indexes = [models.Index(fields=["customer", "effective_from"], name="support_tierhist_cust_idx")]
