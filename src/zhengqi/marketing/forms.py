"""The quick interaction form of the customer page (F-15)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Interaction


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

    def __init__(self, *args: object, people: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["key_persons"].choices = people  # type: ignore[attr-defined]
