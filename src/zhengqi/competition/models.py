"""Competitor intelligence (F-26): what other operators do to our customers, and the prepared answers.

- A **competitor event** (摸) records what another operator is doing to some customers; each of
  them gets a prevention alert; a **response plan** (应对预案) is a campaign template launched on
  those customers in one step.
- A **quick-reaction team** (快速反应小组, seed 004 “建”) is formed for an event at or above the
  province's severity threshold: the customers' account manager, a solution engineer and the regional
  manager, a deadline for the first response and a checklist of steps.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqi.customers.models import Customer, Product


class ResponsePlan(models.Model):
    """A prepared answer to a competitor's move (应对预案): what a campaign launched from it offers."""

    name = models.CharField(_("预案名称"), max_length=100, unique=True)
    operator = models.CharField(
        _("针对运营商"),
        max_length=20,
        choices=Customer.Operator.choices,
        blank=True,
        help_text=_("留空表示任一运营商。"),
    )
    products = models.ManyToManyField(Product, verbose_name=_("推广产品"), related_name="+")
    offer = models.TextField(_("优惠内容"))
    message = models.TextField(_("话术"), blank=True)
    channels = models.JSONField(_("渠道"), default=list)
    days = models.PositiveSmallIntegerField(
        _("活动天数"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("应对预案")
        verbose_name_plural = _("应对预案")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Severity(models.TextChoices):
    """How serious a competitor's move is: what decides whether a quick-reaction team is formed."""

    NORMAL = "normal", _("一般")
    MAJOR = "major", _("较大")
    CRITICAL = "critical", _("重大")


SEVERITY_RANK = {Severity.NORMAL: 0, Severity.MAJOR: 1, Severity.CRITICAL: 2}


class CompetitorEvent(models.Model):
    """What another operator did, to which customers, and what was done about it."""

    class Kind(models.TextChoices):
        OFFER = "offer", _("优惠资费")
        VISIT = "visit", _("上门拜访")
        HANDSET = "handset", _("赠送终端")
        BID = "bid", _("项目投标")
        PRICE = "price", _("降价")

    operator = models.CharField(_("竞争对手"), max_length=20, choices=Customer.Operator.choices)
    kind = models.CharField(_("动向"), max_length=10, choices=Kind.choices)
    summary = models.CharField(_("内容"), max_length=200)
    evidence = models.TextField(_("依据"), blank=True, help_text=_("从哪里得知：客户转述、宣传单、投标公告……"))
    date = models.DateField(_("发生日期"))
    severity = models.CharField(
        _("严重程度"),
        max_length=10,
        choices=Severity.choices,
        default=Severity.NORMAL,
        help_text=_("较大、重大的动向按省公司设定组建快速反应小组。"),
    )
    customers = models.ManyToManyField(Customer, verbose_name=_("涉及客户"), related_name="competitor_events")
    plan = models.ForeignKey(
        ResponsePlan,
        verbose_name=_("应对预案"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    campaign = models.ForeignKey(
        "marketing.Campaign",
        verbose_name=_("应对活动"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="competitor_events",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("竞争动向")
        verbose_name_plural = _("竞争动向")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["date"], name="service_com_date_d322d6_idx")]

    def __str__(self) -> str:
        return f"{self.get_operator_display()} {self.get_kind_display()}：{self.summary}"


DEFAULT_STEPS = [
    "联系客户核实对手动向",
    "制定应对方案（终端、资费、行业应用）",
    "区域经理审定方案",
    "向客户提交方案",
    "回访确认客户去留",
]


class ReactionPolicy(models.Model):
    """The province's rule for quick reaction (one row): from which severity a team is formed, how
    many hours it has for its first response, and the checklist each team starts with."""

    threshold = models.CharField(
        _("组建小组的最低严重程度"), max_length=10, choices=Severity.choices, default=Severity.MAJOR
    )
    hours = models.PositiveSmallIntegerField(
        _("首次响应时限（小时）"), default=24, validators=[MinValueValidator(1), MaxValueValidator(24 * 14)]
    )
    steps = models.JSONField(_("处置清单"), default=list, help_text=_("每个小组的处置步骤，按顺序。"))

    class Meta:
        verbose_name = _("快速反应机制")
        verbose_name_plural = _("快速反应机制")

    def __str__(self) -> str:
        return str(_("快速反应机制"))


class ReactionTeam(models.Model):
    """A quick-reaction team for one competitor event: who answers, by when, and what is done."""

    event = models.OneToOneField(CompetitorEvent, on_delete=models.CASCADE, related_name="team")
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="+"
    )
    engineer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("解决方案工程师"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="engineering_teams",
    )
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("区域经理"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    formed_at = models.DateTimeField(_("组建时间"))
    formed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("组建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(_("首次响应时限"))
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("处置完成时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超时督办时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("快速反应小组")
        verbose_name_plural = _("快速反应小组")
        ordering = ["-formed_at", "-pk"]
        indexes = [models.Index(fields=["formed_at"], name="reaction_team_formed")]

    def __str__(self) -> str:
        return str(_("快速反应小组：%(e)s") % {"e": self.event.summary})

    def member_ids(self) -> set[int]:
        return {i for i in (self.account_manager_id, self.engineer_id, self.manager_id) if i is not None}

    @property
    def response_hours(self) -> float | None:
        if self.first_response_at is None:
            return None
        return (self.first_response_at - self.formed_at).total_seconds() / 3600


class ReactionStep(models.Model):
    """One item of a team's checklist; the first one done is the team's first response."""

    team = models.ForeignKey(ReactionTeam, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("顺序"))
    title = models.CharField(_("步骤"), max_length=100)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("完成人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("处置步骤")
        verbose_name_plural = _("处置步骤")
        ordering = ["team", "position"]
        constraints = [models.UniqueConstraint(fields=["team", "position"], name="reaction_step_once")]

    def __str__(self) -> str:
        return self.title


# --- 终端与资费: terminals, tariff plans and bundles (seed 004 攻: 终端 + 资费 + 行业应用) ------------


class Terminal(models.Model):
    """A terminal we offer in bundles (手机、网关、物联网模组…) with its price."""

    class Kind(models.TextChoices):
        PHONE = "phone", _("手机")
        GATEWAY = "gateway", _("网关/CPE")
        MODULE = "module", _("物联网模组")
        PAD = "pad", _("平板")

    name = models.CharField(_("型号"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    price = models.DecimalField(_("单价（元）"), max_digits=10, decimal_places=2)
    active = models.BooleanField(_("在售"), default=True)

    class Meta:
        verbose_name = _("终端")
        verbose_name_plural = _("终端")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class TariffPlan(models.Model):
    """A tariff plan per line: ours (no operator), or a competitor's as collected from a competitor event."""

    name = models.CharField(_("资费名称"), max_length=100)
    operator = models.CharField(
        _("运营商"), max_length=20, choices=Customer.Operator.choices, blank=True, help_text=_("留空为我方资费。")
    )
    monthly_fee = models.DecimalField(_("月费（元/线）"), max_digits=10, decimal_places=2)
    data_gb = models.DecimalField(_("流量（GB）"), max_digits=8, decimal_places=1, null=True, blank=True)
    minutes = models.PositiveIntegerField(_("通话（分钟）"), null=True, blank=True)
    event = models.ForeignKey(
        CompetitorEvent,
        verbose_name=_("来源动向"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tariffs",
    )
    active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资费方案")
        verbose_name_plural = _("资费方案")
        ordering = ["operator", "monthly_fee", "id"]

    def __str__(self) -> str:
        return f"{self.get_operator_display() or _('我方')} {self.name}"


class Bundle(models.Model):
    """A bundle offered to a customer (攻): terminals + our tariff for its lines + an industry
    application, priced per month against the competitor's tariff for the same lines."""

    class Status(models.TextChoices):
        OFFERED = "offered", _("已报价")
        WON = "won", _("已签约")
        LOST = "lost", _("未成交")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="bundles")
    tariff = models.ForeignKey(TariffPlan, verbose_name=_("我方资费"), on_delete=models.PROTECT, related_name="bundles")
    lines = models.PositiveIntegerField(_("线路数"))
    terminal = models.ForeignKey(
        Terminal, verbose_name=_("终端"), null=True, blank=True, on_delete=models.PROTECT, related_name="bundles"
    )
    terminals = models.PositiveIntegerField(_("终端数量"), default=0)
    application = models.ForeignKey(
        "customers.Product",
        verbose_name=_("行业应用"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    application_fee = models.DecimalField(_("应用月费（元）"), max_digits=10, decimal_places=2, default=0)
    months = models.PositiveSmallIntegerField(_("合约期（月）"), default=24)
    competitor_tariff = models.ForeignKey(
        TariffPlan,
        verbose_name=_("对手资费"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="compared_in",
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OFFERED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("报价时间"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("结果登记时间"), null=True, blank=True)
    lost_reason = models.CharField(_("未成交原因"), max_length=200, blank=True)
    opportunity = models.ForeignKey(
        "marketing.Opportunity",
        verbose_name=_("签约商机"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bundles",
    )

    class Meta:
        verbose_name = _("终端资费组合")
        verbose_name_plural = _("终端资费组合")
        ordering = ["-created_at", "-id"]
