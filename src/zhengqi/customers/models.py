"""Group customers and what hangs off them: hierarchy, account-manager assignments, key persons,
products, subscriptions, contracts and the customer-month facts the web pages show.

Members and member-month facts are many (millions) and live in the Parquet lake, not here.
Money is ``Decimal`` yuan with two decimals.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import Region

from .validators import normalize_phone, validate_credit_code, validate_phone


def money_field(verbose_name: Any, **kwargs: Any) -> models.DecimalField:  # type: ignore[type-arg]  # DecimalField's two type parameters (set, get) add nothing here
    """Yuan with two decimals, up to ¥999,999,999,999.99."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **kwargs)


# GB/T 4754-2017 sections.
INDUSTRIES = [
    ("A", _("农、林、牧、渔业")),
    ("B", _("采矿业")),
    ("C", _("制造业")),
    ("D", _("电力、热力、燃气及水生产和供应业")),
    ("E", _("建筑业")),
    ("F", _("批发和零售业")),
    ("G", _("交通运输、仓储和邮政业")),
    ("H", _("住宿和餐饮业")),
    ("I", _("信息传输、软件和信息技术服务业")),
    ("J", _("金融业")),
    ("K", _("房地产业")),
    ("L", _("租赁和商务服务业")),
    ("M", _("科学研究和技术服务业")),
    ("N", _("水利、环境和公共设施管理业")),
    ("O", _("居民服务、修理和其他服务业")),
    ("P", _("教育")),
    ("Q", _("卫生和社会工作")),
    ("R", _("文化、体育和娱乐业")),
    ("S", _("公共管理、社会保障和社会组织")),
    ("T", _("国际组织")),
]


class Customer(models.Model):
    """A group customer (集团客户)."""

    class Type(models.TextChoices):
        GOVERNMENT = "government", _("政府机关")
        INSTITUTION = "institution", _("事业单位")
        ENTERPRISE = "enterprise", _("企业")
        OTHER = "other", _("其他")

    class Scale(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")
        SMALL = "small", _("小型")
        MICRO = "micro", _("微型")

    class Status(models.TextChoices):
        PROSPECT = "prospect", _("潜在")
        ACTIVE = "active", _("在网")
        CHURNED = "churned", _("离网")

    class Tier(models.TextChoices):
        A_PLUS = "A+", "A+"
        A = "A", "A"
        B = "B", "B"
        C = "C", "C"

    class Operator(models.TextChoices):
        TELECOM = "telecom", _("中国电信")
        UNICOM = "unicom", _("中国联通")
        BROADNET = "broadnet", _("中国广电")
        OTHER = "other", _("其他运营商")

    class Source(models.TextChoices):
        IMPORT = "import", _("BSS/计费导入")
        MANUAL = "manual", _("客户经理录入")
        COMPETITOR = "competitor", _("竞争情报")
        REGISTRATION = "registration", _("集团客户认定")
        OPPORTUNITY = "opportunity", _("商机赢单")
        DEMO = "demo", _("演示数据")

    code = models.CharField(_("客户编码"), max_length=30, unique=True)
    name = models.CharField(_("客户名称"), max_length=200, db_index=True)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_credit_code],
    )
    customer_type = models.CharField(_("客户类型"), max_length=20, choices=Type.choices)
    industry = models.CharField(_("行业"), max_length=1, choices=INDUSTRIES)
    scale = models.CharField(_("规模"), max_length=10, choices=Scale.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="customers")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    lost_reason = models.CharField(_("离网原因"), max_length=200, blank=True)
    lost_on = models.DateField(_("离网日期"), null=True, blank=True)
    competitor_operator = models.CharField(
        _("现服务运营商"),
        max_length=20,
        choices=Operator.choices,
        blank=True,
        help_text=_("潜在客户目前由哪家运营商服务（竞争情报）。"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("客户经理"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="customers",
    )
    tier = models.CharField(_("价值等级"), max_length=2, choices=Tier.choices, blank=True)
    value_score = models.DecimalField(_("价值得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices, default=Source.MANUAL)
    source_batch = models.CharField(_("导入批次"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("集团客户")
        verbose_name_plural = _("集团客户")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["account_manager", "status"]),
            models.Index(fields=["tier"]),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        if self.parent_id is not None:
            self._refuse_parent_cycle()

    def get_additional_data(self) -> dict[str, Any] | None:
        """What django-auditlog keeps beside a change: the change request it applies, if any."""
        return getattr(self, "_approval", None)

    def _refuse_parent_cycle(self) -> None:
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": _("上级单位不能是客户自己。")})
        seen: set[int] = set()
        node_id: int | None = self.parent_id
        while node_id is not None:
            if self.pk is not None and node_id == self.pk:
                raise ValidationError(
                    {
                        "parent": _("不能把“%(parent)s”设为上级单位：它本身是本客户的下级，会形成循环。")
                        % {"parent": self.parent}
                    }
                )
            if node_id in seen:  # an existing cycle in the data; stop rather than loop forever
                break
            seen.add(node_id)
            node_id = Customer.objects.filter(pk=node_id).values_list("parent_id", flat=True).first()


class RecordSource(models.TextChoices):
    """Where a record of the customer came from (F-15: the 360° page shows it on hover)."""

    IMPORT = "import", _("BSS/计费导入")
    USER = "user", _("用户录入")
    OPPORTUNITY = "opportunity", _("商机赢单")
    DEMO = "demo", _("演示数据")


class Sourced(models.Model):
    """A record that remembers where it came from: an import batch, a user, an opportunity; and when."""

    source = models.CharField(_("来源"), max_length=20, choices=RecordSource.choices, default=RecordSource.USER)
    source_ref = models.CharField(_("来源记录"), max_length=64, blank=True, help_text=_("导入批次号或商机编号"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    class Meta:
        abstract = True

    def source_text(self) -> str:
        """One line for the page: “BSS/计费导入（批次 12）· 2026-11-02 10:20” or “用户录入 · 王芳 · …”."""
        parts = [str(self.get_source_display())]  # type: ignore[attr-defined]  # Django adds get_FOO_display
        if self.source == RecordSource.IMPORT and self.source_ref:
            parts[0] += str(_("（批次 %(ref)s）") % {"ref": self.source_ref})
        elif self.source == RecordSource.OPPORTUNITY and self.source_ref:
            parts[0] += str(_("（商机 %(ref)s）") % {"ref": self.source_ref})
        if self.created_by_id is not None:
            parts.append(str(self.created_by))
        parts.append(f"{timezone.localtime(self.created_at):%Y-%m-%d %H:%M}")
        return " · ".join(parts)


class AccountAssignment(models.Model):
    """Who was the customer's account manager, from when to when (the current one has no end)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assignments")
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), on_delete=models.PROTECT, related_name="assignments"
    )
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.CharField(_("原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("客户经理分配记录")
        verbose_name_plural = _("客户经理分配记录")
        ordering = ["customer", "-start"]


class KeyPerson(Sourced):
    """A key person (关键人) at the customer, with one or more buying roles. One who has left the
    customer is kept (with the day and the reason) for the contact history, but no longer covers a role."""

    class Channel(models.TextChoices):
        MOBILE = "mobile", _("手机")
        OFFICE = "office", _("办公电话")
        WECHAT = "wechat", _("微信")
        EMAIL = "email", _("邮件")
        VISIT = "visit", _("当面拜访")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="key_persons")
    name = models.CharField(_("姓名"), max_length=50)
    title = models.CharField(_("职务"), max_length=100, blank=True)
    department = models.CharField(_("部门"), max_length=100, blank=True)
    phone = models.CharField(_("手机"), max_length=30, blank=True, validators=[validate_phone])
    office_phone = models.CharField(_("办公电话"), max_length=30, blank=True, validators=[validate_phone])
    preferred_channel = models.CharField(_("首选联系方式"), max_length=10, choices=Channel.choices, blank=True)
    left_on = models.DateField(_("离职日期"), null=True, blank=True)
    left_reason = models.CharField(_("离职说明"), max_length=200, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    birthday = models.DateField(_("生日"), null=True, blank=True)
    closeness = models.PositiveSmallIntegerField(
        _("关系亲密度"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text=_("1（疏远）至 5（密切）"),
    )
    notes = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("关键人")
        verbose_name_plural = _("关键人")
        ordering = ["customer", "id"]

    def __str__(self) -> str:
        return self.name

    @property
    def active(self) -> bool:
        return self.left_on is None

    def clean(self) -> None:
        if self.phone:
            self.phone = normalize_phone(self.phone)
        if self.office_phone:
            self.office_phone = normalize_phone(self.office_phone)
        if self.birthday and self.birthday > dt.date.today():
            raise ValidationError({"birthday": _("生日不能晚于今天。")})
        if self.birthday and self.birthday < dt.date(1900, 1, 1):
            raise ValidationError({"birthday": _("生日不能早于 1900 年。")})


class BuyingRole(models.TextChoices):
    USER = "user", _("使用者")
    INFLUENCER = "influencer", _("影响者")
    DECIDER = "decider", _("决策者")
    APPROVER = "approver", _("批准者")
    BUYER = "buyer", _("采购者")
    GATEKEEPER = "gatekeeper", _("守门者")


class KeyPersonRole(models.Model):
    key_person = models.ForeignKey(KeyPerson, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(_("购买角色"), max_length=20, choices=BuyingRole.choices)

    class Meta:
        verbose_name = _("购买角色")
        verbose_name_plural = _("购买角色")
        constraints = [models.UniqueConstraint(fields=["key_person", "role"], name="uniq_key_person_role")]


class Product(models.Model):
    """A group product of the catalogue, with the complexity that decides its sales channels."""

    class Complexity(models.TextChoices):
        HIGH = "high", _("高（客户经理/代理商销售）")
        LOW = "low", _("低（全渠道可售）")

    code = models.CharField(_("产品编码"), max_length=30, unique=True)
    name = models.CharField(_("产品名称"), max_length=100)
    category = models.CharField(_("类别"), max_length=50)
    complexity = models.CharField(_("复杂度"), max_length=10, choices=Complexity.choices)
    is_informatization = models.BooleanField(_("信息化产品"), default=True)
    list_price = money_field(_("标准月费"), default=0)

    class Meta:
        verbose_name = _("集团产品")
        verbose_name_plural = _("集团产品")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Subscription(Sourced):
    class Status(models.TextChoices):
        PENDING = "pending", _("待开通（待 BSS 确认）")
        ACTIVE = "active", _("在用")
        SUSPENDED = "suspended", _("暂停")
        CANCELLED = "cancelled", _("已取消")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    product = models.ForeignKey(Product, verbose_name=_("产品"), on_delete=models.PROTECT, related_name="subscriptions")
    start = models.DateField(_("开通日期"))
    end = models.DateField(_("结束日期"), null=True, blank=True)
    monthly_fee = money_field(_("月费"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("产品订购")
        verbose_name_plural = _("产品订购")
        ordering = ["customer", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__isnull=True) | models.Q(end__gte=models.F("start")),
                name="subscription_end_after_start",
            )
        ]

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError(
                {
                    "end": _("结束日期（%(end)s）不能早于开通日期（%(start)s）。")
                    % {"end": self.end, "start": self.start}
                }
            )


def contract_file_path(contract: Contract, filename: str) -> str:
    """Where a signed agreement is stored: a random name (never the user's), its type kept."""
    import uuid
    from pathlib import Path

    return f"contracts/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Contract(Sourced):
    """An agreement (协议) with the customer. A renewal is a new agreement that names the one it
    replaces; a terminated agreement keeps its dates and says when and why it ended early."""

    class Status(models.TextChoices):
        IN_FORCE = "in_force", _("有效")
        RENEWED = "renewed", _("已续签")
        TERMINATED = "terminated", _("已终止")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contracts")
    number = models.CharField(_("协议编号"), max_length=50, unique=True)
    start = models.DateField(_("生效日期"))
    end = models.DateField(_("到期日期"))
    amount = money_field(_("协议金额"), validators=[MinValueValidator(0)])
    products = models.ManyToManyField(Product, verbose_name=_("协议产品"), blank=True, related_name="contracts")
    auto_renew = models.BooleanField(_("自动续约"), default=False)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.IN_FORCE)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("续签自"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renewal",
    )
    terminated_on = models.DateField(_("终止日期"), null=True, blank=True)
    termination_reason = models.CharField(_("终止原因"), max_length=200, blank=True)
    signed_file = models.FileField(_("签署文本"), upload_to=contract_file_path, blank=True, max_length=200)
    signed_file_name = models.CharField(_("文件名"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("协议")
        verbose_name_plural = _("协议")
        ordering = ["customer", "-end"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="contract_end_after_start")
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        if self.end and self.start and self.end < self.start:
            raise ValidationError(
                {
                    "end": _("协议到期日期（%(end)s）不能早于生效日期（%(start)s）。")
                    % {"end": self.end, "start": self.start}
                }
            )

    def days_left(self, today: dt.date | None = None) -> int:
        return (self.effective_end - (today or dt.date.today())).days

    @property
    def effective_end(self) -> dt.date:
        """The day it ends: its end date, or the day it was terminated."""
        return min(self.end, self.terminated_on) if self.terminated_on else self.end


class CustomerMonth(models.Model):
    """Monthly facts of one customer (grain: customer × month), copied from the lake for the pages.

    ``month`` is the first day of the month. Member counts are aggregates of the lake's
    member-month table; the lake stays the source of truth.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="months")
    month = models.DateField(_("月份"))
    revenue_total = money_field(_("总收入"))
    revenue_info = money_field(_("信息化收入"))
    revenue_data = money_field(_("数据业务收入"))
    revenue_line = money_field(_("专线收入"))
    voice_minutes = models.BigIntegerField(_("语音分钟数"), default=0)
    sms_count = models.BigIntegerField(_("短信条数"), default=0)
    data_gb = models.DecimalField(_("流量(GB)"), max_digits=14, decimal_places=2, default=0)
    vnet_calls = models.BigIntegerField(_("V网内通话次数"), default=0)
    arrears = money_field(_("欠费金额"), default=0)
    complaints = models.PositiveIntegerField(_("投诉次数"), default=0)
    cancellations = models.PositiveIntegerField(_("业务取消数"), default=0)
    competitor_calls = models.PositiveIntegerField(_("呼叫异网客服次数"), default=0)
    members_active = models.PositiveIntegerField(_("在网成员数"), default=0)
    members_joined = models.PositiveIntegerField(_("新入网成员"), default=0)
    members_left = models.PositiveIntegerField(_("离网成员"), default=0)
    members_returned = models.PositiveIntegerField(_("回归成员"), default=0)
    members_vnet = models.PositiveIntegerField(_("V网成员数"), default=0)
    members_idle = models.PositiveIntegerField(_("“三无”成员数"), default=0)
    # Where the month's facts came from: the import batch (or "demo"), and when they were loaded.
    source_ref = models.CharField(_("来源批次"), max_length=64, blank=True)
    loaded_at = models.DateTimeField(_("载入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("客户月度事实")
        verbose_name_plural = _("客户月度事实")
        ordering = ["customer", "month"]
        constraints = [models.UniqueConstraint(fields=["customer", "month"], name="uniq_customer_month")]

    def source_text(self) -> str:
        """One line for the page: “BSS/计费导入（批次 12）· 2026-11-02 10:20”, or the demo's."""
        if self.source_ref == "demo":
            return str(RecordSource.DEMO.label)
        parts = [str(RecordSource.IMPORT.label)]
        if self.source_ref:
            parts[0] += str(_("（批次 %(ref)s）") % {"ref": self.source_ref})
        if self.loaded_at:
            parts.append(f"{timezone.localtime(self.loaded_at):%Y-%m-%d %H:%M}")
        return " · ".join(parts)


class CustomerMerge(models.Model):
    """Two records of one customer made one (客户去重): what the duplicate was, and what moved."""

    survivor = models.ForeignKey(
        Customer, verbose_name=_("保留的客户"), on_delete=models.CASCADE, related_name="merges"
    )
    duplicate_code = models.CharField(_("被合并客户编码"), max_length=30)
    duplicate_name = models.CharField(_("被合并客户名称"), max_length=200)
    duplicate_credit_code = models.CharField(_("被合并客户信用代码"), max_length=18, blank=True)
    moved = models.JSONField(_("转移的记录"), default=dict)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(_("合并时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户合并记录")
        verbose_name_plural = _("客户合并记录")
        ordering = ["-at"]


class NotDuplicate(models.Model):
    """A pair the admin has looked at and found to be two different customers."""

    first = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["first", "second"], name="uniq_not_duplicate")]


# Master data that BSS owns: an account manager proposes a change, the regional manager decides.
MASTER_FIELDS = ("name", "credit_code", "customer_type", "industry", "scale", "address")


def customer_field(name: str) -> models.Field:  # type: ignore[type-arg]  # any concrete field of Customer
    """A concrete field of the customer record (its label and choices for the pages)."""
    field = Customer._meta.get_field(name)
    assert isinstance(field, models.Field)
    return field


class ChangeRequest(models.Model):
    """A proposed change of a customer's master data (资料变更) or of its place in the group structure
    (上级单位). A data change is decided by a regional manager over the customer; a new parent by the
    regional managers of both sides (one decision where one manager is over both). Approved, it
    applies with field-level history naming the approver, and the next import does not silently undo
    it (``settled_at`` once the operator's own system agrees)."""

    class Kind(models.TextChoices):
        MASTER = "master", _("资料变更")
        PARENT = "parent", _("上级单位")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        WITHDRAWN = "withdrawn", _("已撤回")

    customer = models.ForeignKey(
        Customer, verbose_name=_("客户"), on_delete=models.CASCADE, related_name="change_requests"
    )
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.MASTER)
    changes = models.JSONField(_("修改内容"), default=dict, blank=True)  # field → [old, new]
    new_parent = models.ForeignKey(
        Customer, verbose_name=_("新的上级单位"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    old_parent = models.ForeignKey(
        Customer, verbose_name=_("原上级单位"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(_("理由"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    child_side_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    parent_side_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上级单位一方审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)
    settled_at = models.DateTimeField(_("BSS 已同步"), null=True, blank=True)

    class Meta:
        verbose_name = _("变更申请")
        verbose_name_plural = _("变更申请")
        ordering = ["-proposed_at", "-pk"]
        indexes = [models.Index(fields=["customer", "status"])]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_kind_display()}"

    def summary(self) -> list[tuple[str, str, str]]:
        """(field label, old, new) for each change, in words."""
        if self.kind == self.Kind.PARENT:
            return [(str(_("上级单位")), str(self.old_parent or _("无")), str(self.new_parent or _("无")))]
        out = []
        for name, (old, new) in self.changes.items():
            field = customer_field(name)
            choices = dict(field.choices or [])  # type: ignore[arg-type]  # a field's choices are pairs
            out.append((str(field.verbose_name), str(choices.get(old, old) or "—"), str(choices.get(new, new) or "—")))
        return out


def registration_file_path(registration: Registration, filename: str) -> str:
    import uuid
    from pathlib import Path

    return f"registrations/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Registration(models.Model):
    """A new group customer registered by an account manager (集团客户认定), approved by the regional
    manager. Rules against fake groups: at approval, enough members expected and no customer on file
    already; ``proof_month`` (M months later) the month run checks the members really arrived and
    are not mostly “三无”, and raises an alert where they did not."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已认定")
        REJECTED = "rejected", _("已驳回")

    class Proof(models.TextChoices):
        WAITING = "waiting", _("待核验")
        PASSED = "passed", _("已落实")
        FAILED = "failed", _("未落实")

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, validators=[validate_credit_code])
    customer_type = models.CharField(_("客户类型"), max_length=20, choices=Customer.Type.choices)
    industry = models.CharField(_("行业"), max_length=1, choices=INDUSTRIES)
    scale = models.CharField(_("规模"), max_length=10, choices=Customer.Scale.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属区域"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("地址"), max_length=255, blank=True)
    members_expected = models.PositiveIntegerField(_("预计入网成员数"))
    evidence = models.FileField(_("营业执照等证明"), upload_to=registration_file_path, max_length=200, blank=True)
    evidence_name = models.CharField(_("文件名"), max_length=200, blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.TextField(_("审批意见"), blank=True)
    customer = models.OneToOneField(
        Customer,
        verbose_name=_("认定的客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registration",
    )
    proof_month = models.DateField(_("核验月份"), null=True, blank=True)
    proof = models.CharField(_("核验结果"), max_length=10, choices=Proof.choices, default=Proof.WAITING)
    proof_members = models.PositiveIntegerField(_("核验时在网成员"), null=True, blank=True)
    proof_idle_share = models.FloatField(_("核验时“三无”占比"), null=True, blank=True)

    class Meta:
        verbose_name = _("集团客户认定")
        verbose_name_plural = _("集团客户认定")
        ordering = ["-proposed_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.credit_code:
            self.credit_code = self.credit_code.strip().upper()
        self.name = (self.name or "").strip()
