"""Forms of the rule editor and the month-run page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from zhengqi.engine.months import Month, MonthError

from .models import Family, Severity, TaskPolicy


class RuleForm(forms.Form):
    code = forms.RegexField(
        label=_("规则编码"),
        regex=r"^[A-Za-z][A-Za-z0-9_]{1,19}$",
        max_length=20,
        error_messages={"invalid": _("编码以字母开头，只含字母、数字、下划线，2–20 个字符。")},
    )
    name = forms.CharField(label=_("规则名称"), max_length=100)
    family = forms.ChoiceField(label=_("因子族"), choices=Family.choices)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    task_policy = forms.ChoiceField(
        label=_("命中后"),
        choices=TaskPolicy.choices,
        initial=TaskPolicy.FAMILY,
        required=False,  # a form without it (an older client) keeps the family's default
        help_text=_("挽留、防范、发展类命中默认生成任务；维系、提升类默认只标记客户（用于细分与名单）。"),
    )
    expression = forms.CharField(label=_("规则表达式"), widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}))
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    enabled = forms.BooleanField(label=_("启用"), required=False, initial=True)
    note = forms.CharField(label=_("修改说明"), max_length=200, required=False)

    def clean_task_policy(self) -> str:
        return self.cleaned_data.get("task_policy") or TaskPolicy.FAMILY


class MonthForm(forms.Form):
    month = forms.CharField(label=_("月份"), max_length=7, widget=forms.TextInput(attrs={"placeholder": "2026-10"}))

    def clean_month(self) -> dt.date:
        value = self.cleaned_data["month"]
        try:
            return Month.parse(value).first
        except MonthError as exc:
            raise forms.ValidationError(_("月份格式应为 YYYY-MM，例如 2026-10。")) from exc
