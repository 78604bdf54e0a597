"""Annual revenue targets per region, against which the dashboards and the monthly report measure
completion (完成率) and time progress (时间进度)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import Region, User


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


# --- 客户经理培养: account-manager development (seed 001 selection and training; seed 004 任职资格) ---


class Course(models.Model):
    """A training course (培训课程) account managers take, with the score that passes it."""

    class Kind(models.TextChoices):
        PRODUCT = "product", _("产品知识")
        SALES = "sales", _("营销技能")
        INDUSTRY = "industry", _("行业解决方案")
        SERVICE = "service", _("客户服务")

    name = models.CharField(_("课程名称"), max_length=100, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    hours = models.DecimalField(_("学时"), max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    pass_score = models.PositiveSmallIntegerField(_("及格分"), default=60)

    class Meta:
        verbose_name = _("培训课程")
        verbose_name_plural = _("培训课程")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class CourseRecord(models.Model):
    """An account manager took a course on a day with a score (结业成绩)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="course_records")
    course = models.ForeignKey(Course, verbose_name=_("课程"), on_delete=models.PROTECT, related_name="records")
    date = models.DateField(_("结业日期"))
    score = models.PositiveSmallIntegerField(_("成绩"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        ordering = ["-date", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "course", "date"], name="uniq_course_record")]

    @property
    def passed(self) -> bool:
        return self.score >= self.course.pass_score


class Certification(models.Model):
    """A qualification certificate (任职资格认证) for a grade, with its dates."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="certifications")
    name = models.CharField(_("证书名称"), max_length=100)
    grade = models.PositiveSmallIntegerField(_("对应等级"), choices=User.Grade.choices)
    issued = models.DateField(_("取得日期"))
    expires = models.DateField(_("有效期至"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("认证成绩"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("任职资格认证")
        verbose_name_plural = _("任职资格认证")
        ordering = ["-issued", "-id"]


class Rating(models.Model):
    """An account manager's yearly rating (年度评级) from the KPI results and training."""

    class Level(models.TextChoices):
        EXCELLENT = "A", _("优秀")
        GOOD = "B", _("良好")
        PASS = "C", _("合格")
        IMPROVE = "D", _("待改进")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ratings")
    year = models.PositiveSmallIntegerField(_("年度"))
    month = models.DateField(_("依据月份"))
    kpi_points = models.DecimalField(_("业绩得分"), max_digits=5, decimal_places=1)
    training_points = models.DecimalField(_("培训与认证得分"), max_digits=5, decimal_places=1)
    score = models.DecimalField(_("总分"), max_digits=5, decimal_places=1)
    level = models.CharField(_("评级"), max_length=1, choices=Level.choices)
    grade = models.PositiveSmallIntegerField(_("评级时等级"), null=True, blank=True)
    proposed_grade = models.PositiveSmallIntegerField(_("建议等级"), null=True, blank=True)
    rated_at = models.DateTimeField(_("评级时间"))

    class Meta:
        verbose_name = _("年度评级")
        verbose_name_plural = _("年度评级")
        ordering = ["-year", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "year"], name="uniq_rating_year")]


class GradeChange(models.Model):
    """A grade change proposed by a rating, decided by the account manager's regional manager."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("未批准")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grade_changes")
    rating = models.ForeignKey(Rating, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes")
    from_grade = models.PositiveSmallIntegerField(_("原等级"), null=True, blank=True)
    to_grade = models.PositiveSmallIntegerField(_("新等级"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    note = models.CharField(_("审批意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("等级调整")
        verbose_name_plural = _("等级调整")
        ordering = ["-proposed_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(status="proposed"), name="uniq_open_grade_change"
            )
        ]
