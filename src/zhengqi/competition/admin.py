"""Back office for competitor intelligence: response plans (what planners prepare) and events to look
up (recorded on the pages, where each raises its alerts)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from zhengqi.web.admin import LookUp

from .models import DEFAULT_STEPS, CompetitorEvent, ReactionPolicy, ReactionTeam, ResponsePlan


@admin.register(ResponsePlan)
class ResponsePlanAdmin(admin.ModelAdmin[ResponsePlan]):
    list_display = ["name", "operator", "days", "active"]
    list_filter = ["operator", "active"]
    filter_horizontal = ["products"]


@admin.register(CompetitorEvent)
class CompetitorEventAdmin(LookUp):
    list_display = ["date", "operator", "kind", "severity", "summary", "campaign"]
    list_filter = ["operator", "kind", "severity"]


class ReactionPolicyForm(forms.ModelForm[ReactionPolicy]):
    """The checklist typed one step per line (not as JSON)."""

    step_lines = forms.CharField(
        label=_("处置清单"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一个步骤，按顺序；每步不超过 100 个字。新组建的小组使用新清单，已有小组不变。"),
    )

    class Meta:
        model = ReactionPolicy
        fields = ["threshold", "hours"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps = self.instance.steps if self.instance.pk and self.instance.steps else DEFAULT_STEPS
        self.fields["step_lines"].initial = "\n".join(steps)

    def clean_step_lines(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["step_lines"].splitlines() if line.strip()]
        if not lines:
            raise forms.ValidationError(_("请至少填写一个处置步骤。"))
        if too_long := [line for line in lines if len(line) > 100]:
            raise forms.ValidationError(_("步骤不能超过 100 个字：%(s)s") % {"s": too_long[0][:30]})
        if len(lines) > 20:
            raise forms.ValidationError(_("处置清单最多 20 步。"))
        return lines

    def save(self, commit: bool = True) -> ReactionPolicy:
        self.instance.steps = self.cleaned_data["step_lines"]
        return super().save(commit)


@admin.register(ReactionPolicy)
class ReactionPolicyAdmin(admin.ModelAdmin[ReactionPolicy]):
    form = ReactionPolicyForm
    list_display = ["__str__", "threshold", "hours"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not ReactionPolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: ReactionPolicy | None = None) -> bool:
        return False


@admin.register(ReactionTeam)
class ReactionTeamAdmin(LookUp):
    list_display = ["event", "account_manager", "engineer", "manager", "formed_at", "due_at", "first_response_at"]
