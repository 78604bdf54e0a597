"""Regions (province → city → district) and staff with their role and grade."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """A node of the region tree. ``path`` ("/GD/GZ/TH/") makes a subtree one prefix query."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省")
        CITY = "city", _("地市")
        DISTRICT = "district", _("区县")

    code = models.CharField(_("编码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    level = models.CharField(_("层级"), max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(max_length=255, unique=True, editable=False)

    class Meta:
        verbose_name = _("区域")
        verbose_name_plural = _("区域")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.path = (self.parent.path if self.parent else "/") + f"{self.code}/"
        super().save(*args, **kwargs)  # type: ignore[arg-type]  # Model.save's keyword arguments, passed through

    def clean(self) -> None:
        expected_parent = {
            self.Level.PROVINCE: None,
            self.Level.CITY: self.Level.PROVINCE,
            self.Level.DISTRICT: self.Level.CITY,
        }[self.Level(self.level)]
        parent_level = self.parent.level if self.parent else None
        if parent_level != expected_parent:
            raise ValidationError({"parent": _("区域层级不正确：省 → 地市 → 区县。")})

    @property
    def city_path(self) -> str:
        """The path of the city this node lies in (the province's own path for the province)."""
        parts = self.path.strip("/").split("/")
        return "/" + "/".join(parts[:2]) + "/"


class User(AbstractUser):
    """A member of staff (or a partner's login). Role and region decide what they may see."""

    class Role(models.TextChoices):
        ACCOUNT_MANAGER = "account_manager", _("客户经理")
        MARKETING_PLANNER = "marketing_planner", _("营销策划")
        REGIONAL_MANAGER = "regional_manager", _("区域经理")
        PROVINCIAL_ADMIN = "provincial_admin", _("省公司管理员")
        PARTNER = "partner", _("代理商")
        DEPARTMENT = "department", _("支撑部门")

    class Grade(models.IntegerChoices):
        JUNIOR = 1, _("初级客户经理")
        INTERMEDIATE = 2, _("中级客户经理")
        SENIOR = 3, _("高级客户经理")
        PRINCIPAL = 4, _("资深客户经理")

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER)
    region = models.ForeignKey(
        Region,
        verbose_name=_("所属区域"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    grade = models.PositiveSmallIntegerField(_("客户经理等级"), choices=Grade.choices, null=True, blank=True)
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("手机"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("员工")
        verbose_name_plural = _("员工")

    def __str__(self) -> str:
        return self.display_name or self.username

    def clean(self) -> None:
        super().clean()
        if self.role != self.Role.PROVINCIAL_ADMIN and not self.is_superuser and self.region_id is None:
            raise ValidationError({"region": _("除省公司管理员外，每位员工都必须属于一个区域。")})
        if self.grade is not None and self.role != self.Role.ACCOUNT_MANAGER:
            raise ValidationError({"grade": _("只有客户经理有客户经理等级。")})


class ExportRecord(models.Model):
    """One file of data taken out of the system (Excel, CSV, PDF): who, what, how many rows."""

    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    username = models.CharField(_("用户名"), max_length=150)  # kept when the account is deleted
    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    what = models.CharField(_("导出内容"), max_length=200)
    fmt = models.CharField(_("格式"), max_length=10)
    rows = models.PositiveIntegerField(_("行数"))
    path = models.CharField(_("请求"), max_length=300, blank=True)
    remote_addr = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.what}"


class ApiToken(models.Model):
    """A key for the REST API (``Authorization: Bearer zq_…``) that expires and can be revoked.

    Only the SHA-256 digest of the key is kept: the key itself is shown once, when it is made."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("用户"))
    name = models.CharField(_("用途"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)  # the key's first characters, to tell keys apart
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("到期时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("吊销人")
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("API 令牌")
        verbose_name_plural = _("API 令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user.username} {self.name} ({self.prefix}…)"

    def state(self, now: dt.datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"
