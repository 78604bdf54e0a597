"""Competitor intelligence (F-26): what other operators do to our customers, and the prepared answers.

- A **competitor event** (摸) records what another operator is doing to some customers; each of
  them gets a prevention alert; a **response plan** (应对预案) is a campaign template launched on
  those customers in one step (快速反应).
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
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
