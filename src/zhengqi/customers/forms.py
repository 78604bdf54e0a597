"""The customer pages' forms: the list's filter (validates the query string before it reaches a
selector), key persons and agreements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.access import customer_scope, regions_visible_to
from zhengqi.accounts.models import Region, User
from zhengqi.web.forms import FastSelect

from .models import INDUSTRIES, BuyingRole, Customer, KeyPerson, Product
from .selectors import SORTS, CustomerFilter
from .versions import MAX_AGE, scope_version

ANY = [("", _("全部"))]


def filter_choices(user: User) -> tuple[list[tuple[str, str]], list[tuple[int, str]]]:
    """The regions and the account managers the customer list's filters offer the user: from the
    cache while nothing in the user's scope has changed (they are asked for on every view)."""
    key = f"zq:list-choices:{user.pk}:{scope_version(user)}"
    cached: tuple[list[tuple[str, str]], list[tuple[int, str]]] | None = cache.get(key)
    if cached is not None:
        return cached
    regions = [
        (r.code, ("　" * (r.path.count("/") - 2)) + r.name)
        for r in Region.objects.filter(regions_visible_to(user)).order_by("path")
    ]
    managers: list[tuple[int, str]] = []
    if user.role != User.Role.ACCOUNT_MANAGER:
        # The managers of the customers in scope: a semi-join (IN), not a DISTINCT over a join,
        # which PostgreSQL cannot do quickly over tens of thousands of customers.
        owners = Customer.objects.filter(customer_scope(user), account_manager__isnull=False).values("account_manager")
        rows = User.objects.filter(role=User.Role.ACCOUNT_MANAGER, pk__in=owners).order_by("display_name")
        managers = [(pk, name or username) for pk, name, username in rows.values_list("pk", "display_name", "username")]
    cache.set(key, (regions, managers), MAX_AGE)
    return regions, managers


class CustomerFilterForm(forms.Form):
    q = forms.CharField(
        label=_("搜索"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("客户名称 / 统一社会信用代码 / 客户编码")}),
    )
    region = forms.ChoiceField(label=_("区域"), required=False, widget=FastSelect)
    tier = forms.ChoiceField(
        label=_("价值等级"), required=False, choices=ANY + list(Customer.Tier.choices), widget=FastSelect
    )
    industry = forms.ChoiceField(label=_("行业"), required=False, choices=ANY + INDUSTRIES, widget=FastSelect)
    customer_type = forms.ChoiceField(
        label=_("客户类型"), required=False, choices=ANY + list(Customer.Type.choices), widget=FastSelect
    )
    status = forms.ChoiceField(
        label=_("状态"), required=False, choices=ANY + list(Customer.Status.choices), widget=FastSelect
    )
    account_manager = forms.TypedChoiceField(
        label=_("客户经理"), required=False, coerce=int, empty_value=None, widget=FastSelect
    )
    sort = forms.ChoiceField(label=_("排序"), required=False, choices=[(k, k) for k in SORTS], widget=FastSelect)

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
        regions, managers = filter_choices(user)
        self.fields["region"].choices = ANY + regions  # type: ignore[attr-defined]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
        if user.role == User.Role.ACCOUNT_MANAGER:
            del self.fields["account_manager"]
            return
        self.fields["account_manager"].choices = ANY + managers  # type: ignore[attr-defined]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows

    def to_filter(self) -> CustomerFilter:
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return CustomerFilter(**data)


class KeyPersonForm(forms.Form):
    """Add or edit a key person. For a role that may not see personal data, the phones and the
    birthday are not shown: left blank they stay as they are."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    title = forms.CharField(label=_("职务"), max_length=100, required=False)
    department = forms.CharField(label=_("部门"), max_length=100, required=False)
    roles = forms.MultipleChoiceField(
        label=_("购买角色"), choices=BuyingRole.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    phone = forms.CharField(label=_("手机"), max_length=30, required=False)
    office_phone = forms.CharField(label=_("办公电话"), max_length=30, required=False)
    preferred_channel = forms.ChoiceField(
        label=_("首选联系方式"), choices=[("", _("未指定")), *KeyPerson.Channel.choices], required=False
    )
    birthday = forms.DateField(
        label=_("生日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    closeness = forms.TypedChoiceField(
        label=_("关系亲密度"),
        coerce=int,
        initial=3,
        choices=[(1, _("1 疏远")), (2, "2"), (3, _("3 一般")), (4, "4"), (5, _("5 密切"))],
    )
    notes = forms.CharField(label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, masked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.masked = masked
        if masked:
            for name in ("phone", "office_phone", "birthday"):
                self.fields[name].help_text = _("您的角色看不到原值：留空则保持不变。")

    def values(self) -> dict[str, Any]:
        """The fields to save; with masked personal data, the blank ones are left out (kept)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data.pop("roles", None)
        if self.masked:
            for name in ("phone", "office_phone", "birthday"):
                if data.get(name) in (None, ""):
                    data.pop(name, None)
        return data


class RetireForm(forms.Form):
    left_on = forms.DateField(
        label=_("离职日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    left_reason = forms.CharField(label=_("离职说明"), max_length=200)


class ContractForm(forms.Form):
    """A new agreement, or the renewal of one."""

    number = forms.CharField(label=_("协议编号"), max_length=50)
    start = forms.DateField(
        label=_("生效日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    end = forms.DateField(
        label=_("到期日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    amount = forms.DecimalField(label=_("协议金额（元）"), max_digits=14, decimal_places=2, min_value=0)
    products = forms.ModelMultipleChoiceField(
        label=_("协议产品"),
        queryset=Product.objects.order_by("code"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    auto_renew = forms.BooleanField(label=_("到期自动续约"), required=False)
    signed_file = forms.FileField(
        label=_("签署文本（PDF 或照片）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error(
                "end", _("协议到期日期（%(end)s）不能早于生效日期（%(start)s）。") % {"end": end, "start": start}
            )
        return data

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k not in ("products", "signed_file")}


class TerminateForm(forms.Form):
    terminated_on = forms.DateField(
        label=_("终止日期"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    termination_reason = forms.CharField(label=_("终止原因"), max_length=200)
