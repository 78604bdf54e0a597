"""Work items of account managers: tasks (F-13), interactions (F-15); campaigns with their targets
and control groups (F-11); development applications and their plans (F-09)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zhengqi.customers.models import Customer, money_field
from zhengqi.scoring.models import Severity


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
    # The month run that put the task on its assignee's list (counts against that month's capacity);
    # empty for tasks not issued by a month run (taken from the backlog, set by hand, campaigns).
    issued_month = models.DateField(_("派发月份"), null=True, blank=True)
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
    campaign = models.ForeignKey(
        "Campaign", verbose_name=_("营销活动"), null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    development = models.ForeignKey(
        "DevelopmentApplication",
        verbose_name=_("开发申请"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="tasks",
    )

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
        indexes = [
            models.Index(fields=["assignee", "status", "due"]),
            models.Index(fields=["issued_month", "assignee"], name="task_issued_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_additional_data(self) -> dict[str, Any] | None:
        """What django-auditlog keeps beside a change: the reason a manager gave (bulk work)."""
        note = getattr(self, "_note", "")
        return {"note": note} if note else None


def visit_photo_path(interaction: Interaction, filename: str) -> str:
    """Where a visit's photo is stored: a random name (never the user's), its type kept."""
    import uuid
    from pathlib import Path

    return f"visits/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


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
    # A visit logged on the spot: a photo from the phone's camera, and where the phone was (WGS-84), both
    # optional; the photo is served only through a page that checks who may see the customer.
    photo = models.FileField(_("现场照片"), upload_to=visit_photo_path, blank=True, max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("接触记录")
        verbose_name_plural = _("接触记录")
        ordering = ["-date", "-pk"]


class Campaign(models.Model):
    """A marketing campaign (营销活动, F-11): products and an offer for the customers a rule selects,
    with a control group held out at random so that its effect can be measured (F-16).

    The control group is drawn from ``seed``: the same seed and segment give the same groups."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        LAUNCHED = "launched", _("执行中")
        CLOSED = "closed", _("已结束")

    class Channel(models.TextChoices):
        ACCOUNT_MANAGER = "am", _("客户经理上门")
        PARTNER = "partner", _("代理商")
        HALL = "hall", _("营业厅")
        HOTLINE = "hotline", _("热线外呼")
        SMS = "sms", _("短信")
        ONLINE = "online", _("网上营业厅")

    name = models.CharField(_("活动名称"), max_length=100)
    goal = models.TextField(_("活动目标"), blank=True)
    products = models.ManyToManyField("customers.Product", verbose_name=_("推广产品"), related_name="campaigns")
    offer = models.TextField(_("优惠内容"), blank=True)
    channels = models.JSONField(_("渠道"), default=list)
    start = models.DateField(_("开始日期"))
    end = models.DateField(_("结束日期"))
    grace_days = models.PositiveSmallIntegerField(_("转化宽限天数"), default=30)
    budget = money_field(_("预算"), default=0)
    segment = models.TextField(_("目标客户规则"))
    segment_month = models.DateField(_("目标客户取数月份"), null=True, blank=True)
    control_share = models.DecimalField(_("对照组比例"), max_digits=4, decimal_places=3, default=Decimal("0.100"))
    seed = models.BigIntegerField(_("随机种子"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    region = models.ForeignKey(
        "accounts.Region", verbose_name=_("区域"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    launched_at = models.DateTimeField(_("启动时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)  # optimistic locking: a stale save is refused

    class Meta:
        verbose_name = _("营销活动")
        verbose_name_plural = _("营销活动")
        ordering = ["-start", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end__gte=models.F("start")), name="campaign_end_after_start"),
            models.CheckConstraint(
                condition=models.Q(control_share__gte=0) & models.Q(control_share__lte=Decimal("0.5")),
                name="campaign_control_share_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def window_end(self) -> dt.date:
        """The last day a subscription still counts as a conversion."""
        return self.end + dt.timedelta(days=self.grace_days)


class CampaignTarget(models.Model):
    """One customer of a campaign's segment, in the target group (gets a task) or the control group
    (gets nothing), with what its account manager recorded."""

    class Group(models.TextChoices):
        TARGET = "target", _("目标组")
        CONTROL = "control", _("对照组")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待联系")
        CONTACTED = "contacted", _("已联系")
        INTERESTED = "interested", _("有意向")
        ACCEPTED = "accepted", _("已接受")
        REJECTED = "rejected", _("已拒绝")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="campaign_targets")
    group = models.CharField(_("分组"), max_length=10, choices=Group.choices)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("客户经理"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    outcome = models.CharField(_("执行结果"), max_length=12, choices=Outcome.choices, default=Outcome.PENDING)
    reject_reason = models.CharField(_("拒绝原因"), max_length=200, blank=True)
    outcome_at = models.DateTimeField(_("记录时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("活动目标客户")
        verbose_name_plural = _("活动目标客户")
        ordering = ["campaign", "group", "customer"]
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="uniq_campaign_customer")]
        indexes = [models.Index(fields=["campaign", "group"])]


class DevelopmentApplication(models.Model):
    """An account manager's application to develop a customer (客户开发申请, F-09), decided by the
    regional manager; approved, its plan's steps become the account manager's tasks (开发计划)."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="development_applications")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("申请人"), on_delete=models.PROTECT, related_name="+"
    )
    products = models.ManyToManyField("customers.Product", verbose_name=_("拟发展产品"), blank=True, related_name="+")
    needs = models.TextField(_("客户需求与开发理由"))
    expected_revenue = money_field(_("预计月收入"), default=0)
    plan = models.TextField(_("开发计划"))  # one step a line: "YYYY-MM-DD what"
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    comment = models.CharField(_("审批意见"), max_length=500, blank=True)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("被驳回的上一次申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reapplications",
    )
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("客户开发申请")
        verbose_name_plural = _("客户开发申请")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=models.Q(status="submitted"), name="one_pending_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer} · {self.get_status_display()}"


class Stage(models.TextChoices):
    """The stages of an opportunity (seeds 000/003's closed loop), and "lost"."""

    DISCOVERY = "discovery", _("需求发现")
    CONFIRMED = "confirmed", _("需求确认")
    PROPOSAL = "proposal", _("方案制定")
    NEGOTIATION = "negotiation", _("商务谈判")
    SIGNED = "signed", _("签约")
    DELIVERY = "delivery", _("开通/交付")
    AFTERCARE = "aftercare", _("售后")
    LOST = "lost", _("丢单")


WON_STAGES = (Stage.SIGNED, Stage.DELIVERY, Stage.AFTERCARE)
DEFAULT_PROBABILITY = {
    Stage.DISCOVERY: Decimal("0.10"),
    Stage.CONFIRMED: Decimal("0.25"),
    Stage.PROPOSAL: Decimal("0.40"),
    Stage.NEGOTIATION: Decimal("0.60"),
    Stage.SIGNED: Decimal("1.00"),
    Stage.DELIVERY: Decimal("1.00"),
    Stage.AFTERCARE: Decimal("1.00"),
    Stage.LOST: Decimal("0.00"),
}


class StageProbability(models.Model):
    """The chance an opportunity at a stage is won, set by the provincial admin; it weighs the forecast."""

    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, unique=True)
    probability = models.DecimalField(_("赢单概率"), max_digits=4, decimal_places=3)

    class Meta:
        verbose_name = _("阶段赢单概率")
        verbose_name_plural = _("阶段赢单概率")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(probability__gte=0) & models.Q(probability__lte=1), name="probability_0_1"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} {self.probability:.0%}"


class Opportunity(models.Model):
    """A sales opportunity (商机, F-10) of one customer: products, expected monthly revenue, close date,
    stage. ``version`` refuses the second of two concurrent saves."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="opportunities")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("负责人"), on_delete=models.PROTECT, related_name="opportunities"
    )
    name = models.CharField(_("商机名称"), max_length=100)
    products = models.ManyToManyField("customers.Product", verbose_name=_("产品"), blank=True, related_name="+")
    expected_revenue = money_field(_("预计月收入"), default=0)
    close_date = models.DateField(_("预计签约日期"))
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.DISCOVERY)
    lost_reason = models.CharField(_("丢单原因"), max_length=200, blank=True)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("来自营销活动"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    application = models.ForeignKey(
        DevelopmentApplication,
        verbose_name=_("来自开发申请"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="opportunities",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("商机")
        verbose_name_plural = _("商机")
        ordering = ["close_date", "pk"]
        indexes = [models.Index(fields=["stage", "close_date"])]

    def __str__(self) -> str:
        return self.name


class Project(models.Model):
    """A long delivery (立项 → 施工 → 测试 → 验收) of a won opportunity, with its project team."""

    class Phase(models.TextChoices):
        INITIATED = "initiated", _("立项")
        BUILDING = "building", _("施工")
        TESTING = "testing", _("测试")
        ACCEPTED = "accepted", _("验收")

    opportunity = models.OneToOneField(Opportunity, on_delete=models.CASCADE, related_name="project")
    phase = models.CharField(_("项目阶段"), max_length=10, choices=Phase.choices, default=Phase.INITIATED)
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("项目组成员"), related_name="projects")
    started = models.DateField(_("立项日期"))
    planned_end = models.DateField(_("计划验收日期"))
    note = models.TextField(_("进展说明"), blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["planned_end", "pk"]

    def __str__(self) -> str:
        return f"{self.opportunity} · {self.get_phase_display()}"


class ContactPolicy(models.Model):
    """The provincial admin's limit on how often one customer is approached by campaigns (seed 003's
    四多四少: many campaigns, little coordination): at most ``max_per_month`` campaigns launched in a
    calendar month may target one customer. One row, saved when the admin first sets it; until then
    ``current()`` gives the default (``ZHENGQI_CONTACTS_PER_MONTH``) without writing."""

    max_per_month = models.PositiveSmallIntegerField(_("每个客户每月最多接触次数"), default=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("营销接触上限")
        verbose_name_plural = _("营销接触上限")

    @classmethod
    def current(cls) -> ContactPolicy:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls(max_per_month=settings.ZHENGQI_CONTACTS_PER_MONTH)


# --- the sales kit (营销工具包, seed 003 红宝书, 004 行业解决方案与框架协议) ---------------------------


def material_file_path(version: MaterialVersion, filename: str) -> str:
    """Where a material's file is stored: a random name (never the uploader's), its type kept."""
    import uuid
    from pathlib import Path

    return f"kit/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{Path(filename).suffix.lower()}"


class Material(models.Model):
    """One item of the sales kit: a product playbook, an industry solution, a case study, a price sheet
    or a framework agreement template, tagged by product, industry and customer scale; its file has
    versions (the newest is the one handed out)."""

    class Kind(models.TextChoices):
        PLAYBOOK = "playbook", _("产品红宝书")
        SOLUTION = "solution", _("行业解决方案")
        CASE = "case", _("成功案例")
        PRICE = "price", _("价目表")
        AGREEMENT = "agreement", _("框架协议模板")

    title = models.CharField(_("名称"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    summary = models.TextField(_("简介"), blank=True)
    products = models.ManyToManyField(
        "customers.Product", verbose_name=_("适用产品"), blank=True, related_name="materials"
    )
    industries = models.JSONField(_("适用行业"), default=list, blank=True, help_text=_("留空表示所有行业。"))
    scales = models.JSONField(_("适用客户规模"), default=list, blank=True, help_text=_("留空表示所有规模。"))
    active = models.BooleanField(_("在用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("创建人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("营销资料")
        verbose_name_plural = _("营销资料")
        ordering = ["kind", "title"]

    def __str__(self) -> str:
        return self.title


class MaterialVersion(models.Model):
    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField(_("版本"))
    file = models.FileField(_("文件"), upload_to=material_file_path)
    file_name = models.CharField(_("文件名"), max_length=200)
    size = models.PositiveIntegerField(_("大小（字节）"))
    note = models.CharField(_("更新说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资料版本")
        verbose_name_plural = _("资料版本")
        ordering = ["material", "-number"]
        constraints = [models.UniqueConstraint(fields=["material", "number"], name="material_version_once")]

    def __str__(self) -> str:
        return f"{self.material} v{self.number}"


class MaterialUse(models.Model):
    """One download of a material: who, which version, from where (the counts people compare)."""

    class Via(models.TextChoices):
        LIBRARY = "library", _("资料库")
        CUSTOMER = "customer", _("客户页推荐")
        CAMPAIGN = "campaign", _("营销活动")
        API = "api", _("接口")

    material = models.ForeignKey(Material, on_delete=models.CASCADE, related_name="use_records")
    version = models.ForeignKey(MaterialVersion, on_delete=models.SET_NULL, null=True, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    via = models.CharField(_("来源"), max_length=10, choices=Via.choices)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("资料使用记录")
        verbose_name_plural = _("资料使用记录")
        indexes = [models.Index(fields=["material", "at"], name="material_use_at")]


# --- all-staff referrals (全员营销, seed 003/004) --------------------------------------------------------


class Referral(models.Model):
    """A lead any employee (support departments and partners included) passes on: an organisation,
    its need, a contact. Routed to the customer's account manager, or the regional manager of the
    organisation's region; followed to won or lost; a won referral earns its referrer a reward."""

    class Status(models.TextChoices):
        NEW = "new", _("待处理")
        FOLLOWING = "following", _("跟进中")
        WON = "won", _("已成交")
        LOST = "lost", _("未成交")

    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("推荐人"), on_delete=models.PROTECT, related_name="referrals_made"
    )
    organisation = models.CharField(_("单位名称"), max_length=100)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.ForeignKey(
        "accounts.Region", verbose_name=_("所在区域"), on_delete=models.PROTECT, related_name="+"
    )
    need = models.TextField(_("需求"))
    products = models.ManyToManyField("customers.Product", verbose_name=_("意向产品"), blank=True, related_name="+")
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("对应的集团客户"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referrals",
    )
    routed_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("跟进人"), on_delete=models.PROTECT, related_name="referrals_routed"
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.NEW)
    outcome_note = models.TextField(_("跟进结果"), blank=True)
    won_revenue = models.DecimalField(_("成交月收入（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    decided_at = models.DateTimeField(_("结果时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("推荐时间"), default=timezone.now)

    class Meta:
        verbose_name = _("全员营销推荐")
        verbose_name_plural = _("全员营销推荐")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "decided_at"], name="referral_outcome")]

    def __str__(self) -> str:
        return f"{self.number} {self.organisation}"

    @property
    def number(self) -> str:
        return f"TJ{self.pk:06d}" if self.pk else ""


class ReferralRewardRule(models.Model):
    """One version of the referral reward: from a month on, a won referral earns a fixed amount plus
    a share of its monthly revenue. The version in force in the month a referral is won decides its
    reward, so a change never rewrites a past month."""

    version = models.PositiveIntegerField(_("版本"), unique=True)
    effective_from = models.DateField(_("生效月份"), help_text=_("该月 1 日起生效"))
    fixed = models.DecimalField(_("每单固定奖励（元）"), max_digits=10, decimal_places=2, default=Decimal("0"))
    rate = models.DecimalField(
        _("成交月收入提成比例"), max_digits=6, decimal_places=4, default=Decimal("0"), help_text=_("如 0.05 即 5%")
    )
    cap = models.DecimalField(_("每单上限（元）"), max_digits=10, decimal_places=2, null=True, blank=True)
    note = models.CharField(_("修改说明"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("推荐奖励规则")
        verbose_name_plural = _("推荐奖励规则")
        ordering = ["-effective_from", "-version"]

    def __str__(self) -> str:
        return f"v{self.version} {self.effective_from:%Y-%m}"
