"""The partner channel (F-19, seed 003): partners and their logins, deals attributed to them,
versioned commission rules and the monthly settlement statements, frozen once approved."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import Region
from zhengqi.customers.models import Customer, Product, Subscription, money_field


class Role(models.TextChoices):
    """What a partner is paid for on a deal: selling it (销售酬金) or serving it (服务酬金)."""

    SALES = "sales", _("销售")
    SERVICE = "service", _("服务")


class Partner(models.Model):
    """An agent of the operator (代理商). One partner may be of more than one kind."""

    code = models.CharField(_("代理商编码"), max_length=30, unique=True)
    name = models.CharField(_("代理商名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    is_marketing = models.BooleanField(_("营销代理商"), default=False, help_text=_("推广与销售集团产品，获销售酬金"))
    is_service = models.BooleanField(_("服务代理商"), default=False, help_text=_("产品服务与客户培训，获服务酬金"))
    is_solution = models.BooleanField(
        _("解决方案提供商"), default=False, help_text=_("在解决方案中捆绑销售，获销售酬金（及服务酬金）")
    )
    region = models.ForeignKey(Region, verbose_name=_("合作区域"), on_delete=models.PROTECT, related_name="+")
    qualifications = models.TextField(_("资质"), blank=True, help_text=_("每行一项，如：ICP 许可证、系统集成资质"))
    contract_start = models.DateField(_("合作协议开始"))
    contract_end = models.DateField(_("合作协议结束"))
    products = models.ManyToManyField(Product, verbose_name=_("可代理产品"), blank=True, related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    active = models.BooleanField(_("合作中"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("代理商")
        verbose_name_plural = _("代理商")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(contract_end__gte=models.F("contract_start")), name="partner_contract_order"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if not (self.is_marketing or self.is_service or self.is_solution):
            raise ValidationError(_("请至少选择一种代理商类型。"))
        if self.contract_start and self.contract_end and self.contract_end < self.contract_start:
            raise ValidationError({"contract_end": _("合作协议结束日期不能早于开始日期。")})

    @property
    def kinds(self) -> list[str]:
        labels = [(self.is_marketing, _("营销代理商")), (self.is_service, _("服务代理商"))]
        labels.append((self.is_solution, _("解决方案提供商")))
        return [str(label) for on, label in labels if on]

    def may_earn(self, role: str) -> bool:
        """Sales commission for marketing agents and solution providers; service commission for
        service agents and solution providers (seed 003, 成果共享)."""
        if role == Role.SALES:
            return self.is_marketing or self.is_solution
        return self.is_service or self.is_solution

    def contracted_on(self, day: dt.date) -> bool:
        return self.contract_start <= day <= self.contract_end


class PartnerAccount(models.Model):
    """A login of a partner's staff: the user sees this partner's deals and statements only."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_account")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="accounts")

    class Meta:
        verbose_name = _("代理商登录账号")
        verbose_name_plural = _("代理商登录账号")

    def __str__(self) -> str:
        return f"{self.user} → {self.partner}"


class Attribution(models.Model):
    """A deal (a subscription or an opportunity) claimed for a partner in one role.

    A claim that no other partner contests is in force at once; two partners claiming one deal
    in one role are both *disputed* until the regional manager of the customer decides."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("有效")
        DISPUTED = "disputed", _("争议待裁决")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤销")

    class Source(models.TextChoices):
        MANUAL = "manual", _("人工登记")
        IMPORT = "import", _("BSS 导入")
        DEMO = "demo", _("演示数据")

    partner = models.ForeignKey(Partner, verbose_name=_("代理商"), on_delete=models.PROTECT, related_name="deals")
    role = models.CharField(_("酬金类型"), max_length=10, choices=Role.choices)
    customer = models.ForeignKey(Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="+")
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("产品订购"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    opportunity = models.ForeignKey(
        "marketing.Opportunity",
        verbose_name=_("商机"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    service_request = models.ForeignKey(
        "support.ServiceRequest",
        verbose_name=_("服务工单"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("裁决人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("裁决时间"), null=True, blank=True)
    decision_note = models.CharField(_("裁决意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("业务归属")
        verbose_name_plural = _("业务归属")
        ordering = ["-claimed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(subscription__isnull=False, opportunity__isnull=True, service_request__isnull=True)
                    | models.Q(subscription__isnull=True, opportunity__isnull=False, service_request__isnull=True)
                    | models.Q(subscription__isnull=True, opportunity__isnull=True, service_request__isnull=False)
                ),
                name="attribution_one_deal",
            ),
            models.UniqueConstraint(fields=["partner", "role", "subscription"], name="uniq_attr_subscription"),
            models.UniqueConstraint(fields=["partner", "role", "opportunity"], name="uniq_attr_opportunity"),
            models.UniqueConstraint(fields=["partner", "role", "service_request"], name="uniq_attr_ticket"),
        ]
        indexes = [models.Index(fields=["status", "partner"], name="channels_at_status_645ca0_idx")]

    def __str__(self) -> str:
        return f"{self.partner} · {self.deal_label}"

    @property
    def deal_type(self) -> str:
        if self.subscription_id:
            return "subscription"
        return "ticket" if self.service_request_id else "opportunity"

    @property
    def deal_key(self) -> dict[str, int | None]:
        """The deal this claim is on, as a filter: claims on the same deal and role compete."""
        if self.subscription_id:
            return {"subscription_id": self.subscription_id}
        if self.service_request_id:
            return {"service_request_id": self.service_request_id}
        return {"opportunity_id": self.opportunity_id}

    @property
    def deal_label(self) -> str:
        if self.subscription_id:
            sub = self.subscription
            assert sub is not None
            opened = _("%(date)s 开通") % {"date": f"{sub.start:%Y-%m-%d}"}
            return f"{self.customer.name} · {sub.product.name}（{opened}）"
        if self.service_request_id:
            ticket = self.service_request
            assert ticket is not None
            return f"{_('工单')} {ticket.number} {self.customer.name} · {ticket.title}"
        opp = self.opportunity
        assert opp is not None
        return f"{self.customer.name} · {_('商机')}“{opp.name}”"


class CommissionRule(models.Model):
    """One version of a commission rule. A change is a new version from a month on; the versions in
    force in a month decide that month's commission, so a rule's history is never rewritten."""

    class DealType(models.TextChoices):
        SUBSCRIPTION = "subscription", _("产品订购")
        OPPORTUNITY = "opportunity", _("商机签约")
        TICKET = "ticket", _("服务工单")

    class Method(models.TextChoices):
        RATE = "rate", _("按比例")
        FIXED = "fixed", _("固定金额")

    class TierMode(models.TextChoices):
        ALL = "all", _("全量适用达到的档位")
        MARGINAL = "marginal", _("分段累进")

    code = models.CharField(_("规则编码"), max_length=30)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("规则名称"), max_length=100)
    effective_from = models.DateField(_("生效月份"), help_text=_("该月 1 日起生效"))
    role = models.CharField(_("酬金类型"), max_length=10, choices=Role.choices)
    deal_type = models.CharField(_("业务类型"), max_length=12, choices=DealType.choices, default=DealType.SUBSCRIPTION)
    product = models.ForeignKey(
        Product,
        verbose_name=_("产品"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("留空表示所有产品"),
    )
    method = models.CharField(_("计酬方式"), max_length=10, choices=Method.choices)
    value = models.DecimalField(_("比例或金额"), max_digits=12, decimal_places=4, validators=[MinValueValidator(0)])
    pay_months = models.PositiveSmallIntegerField(
        _("计酬月数"), null=True, blank=True, help_text=_("自开通月起计酬的月数；1 为一次性，留空为在网期间每月")
    )
    tiers = models.JSONField(_("阶梯"), default=list, blank=True)  # [{"start": 6, "value": "0.10"}, …]
    tier_mode = models.CharField(_("阶梯方式"), max_length=10, choices=TierMode.choices, default=TierMode.ALL)
    clawback_months = models.PositiveSmallIntegerField(
        _("追回期（月）"), default=0, help_text=_("开通后该月数内离网则追回已付酬金；0 为不追回")
    )
    retired = models.BooleanField(_("停用"), default=False)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("酬金规则")
        verbose_name_plural = _("酬金规则")
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="uniq_commission_rule_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version} {self.name}"

    def show(self, value: object) -> str:
        """A rate as "8.35%", an amount as "¥200.00"."""
        from decimal import Decimal

        v = Decimal(str(value))
        return f"{v * 100:.2f}%" if self.method == self.Method.RATE else f"¥{v:,.2f}"

    @property
    def value_display(self) -> str:
        return self.show(self.value)

    @property
    def tiers_display(self) -> str:
        return "；".join(f"≥{t['start']}: {self.show(t['value'])}" for t in self.tiers or [])


class Statement(models.Model):
    """A partner's settlement statement (结算单) for one month. A draft is recomputed at will; an
    approved one is frozen, and later corrections go to the next month as adjustments."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批")

    partner = models.ForeignKey(Partner, verbose_name=_("代理商"), on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(_("结算月份"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    total = money_field(_("应付合计"), default=0)
    computed_at = models.DateTimeField(_("计算时间"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("结算单")
        verbose_name_plural = _("结算单")
        ordering = ["-month", "partner"]
        constraints = [models.UniqueConstraint(fields=["partner", "month"], name="uniq_statement_month")]

    def __str__(self) -> str:
        return f"{self.partner} {self.month:%Y-%m}"

    @property
    def frozen(self) -> bool:
        return self.status == self.Status.APPROVED


class StatementLine(models.Model):
    """One line of a statement, traceable to its deal and the rule version that produced it. What
    the line says (customer, product, the sum) is written out, so that it reads the same later."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", _("酬金")
        CLAWBACK = "clawback", _("追回")
        ADJUSTMENT = "adjustment", _("调整")

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    adjusts = models.CharField(
        _("调整的行类型"), max_length=10, blank=True, help_text=_("调整行：所调整的是酬金还是追回")
    )
    for_month = models.DateField(_("所属月份"))  # the statement's month; for an adjustment, the month corrected
    attribution = models.ForeignKey(
        Attribution, verbose_name=_("业务归属"), null=True, on_delete=models.SET_NULL, related_name="lines"
    )
    rule = models.ForeignKey(
        CommissionRule, verbose_name=_("酬金规则"), null=True, on_delete=models.PROTECT, related_name="lines"
    )
    rule_code = models.CharField(_("规则编码"), max_length=30)
    deal = models.CharField(_("业务"), max_length=300)
    role = models.CharField(_("酬金类型"), max_length=10, choices=Role.choices)
    base = money_field(_("计酬基数"), default=0)
    value = models.DecimalField(_("比例或金额"), max_digits=12, decimal_places=4, default=0)
    volume = models.PositiveIntegerField(_("业务量"), default=0)
    tier_start = models.PositiveIntegerField(_("档位起点"), null=True, blank=True)
    amount = money_field(_("金额"))
    explanation = models.CharField(_("计算说明"), max_length=500)

    class Meta:
        verbose_name = _("结算明细")
        verbose_name_plural = _("结算明细")
        ordering = ["statement", "for_month", "kind", "pk"]
