"""Forms of the account manager's day: the quick interaction form (F-15), data corrections, tasks."""

from __future__ import annotations

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from zhengqi.customers.models import Customer
from zhengqi.customers.services import CUSTOMER_CORRECTABLE
from zhengqi.marketing.models import Interaction, Task


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("方式"), choices=Interaction.Kind.choices)
    date = forms.DateField(label=_("日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    key_persons = forms.TypedMultipleChoiceField(
        label=_("接触的关键人"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    summary = forms.CharField(label=_("内容摘要"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    outcome = forms.CharField(label=_("结果"), required=False, max_length=2000)
    next_step = forms.CharField(label=_("下一步"), required=False, max_length=200)
    next_due = forms.DateField(
        label=_("下一步日期"), required=False, widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    task = forms.IntegerField(required=False, widget=forms.HiddenInput)
    photo = forms.FileField(
        label=_("现场照片"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"}),
    )
    latitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)
    longitude = forms.DecimalField(required=False, max_digits=9, decimal_places=6, widget=forms.HiddenInput)

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
        self.fields["key_persons"].choices = people  # type: ignore[attr-defined]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows


class CustomerCorrectionForm(forms.Form):
    """Corrections of the customer's data made while logging a contact (客户资料整理). Only the
    fields that differ from what is stored are saved, each with its history."""

    prefix = "fix"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]  # django-stubs: Form.__init__ and ChoiceField.choices are typed narrower than Django allows
        for name in CUSTOMER_CORRECTABLE:
            model_field = Customer._meta.get_field(name)
            assert isinstance(model_field, models.Field)
            form_field = model_field.formfield()
            assert form_field is not None
            self.fields[name] = form_field


class TaskForm(forms.Form):
    title = forms.CharField(label=_("任务"), max_length=200)
    due = forms.DateField(label=_("截止日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}))
    priority = forms.ChoiceField(label=_("优先级"), choices=Task.Priority.choices, initial=Task.Priority.MEDIUM)
