"""Pages of saved segments: the list (mine and shared, members in the user's scope), the editor
with the rules page's validation and preview, the members with their monthly trend and exports."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest

from .segments import (
    may_edit,
    regions_of_province,
    segment_counts,
    segment_delete,
    segment_file,
    segment_get,
    segment_members,
    segment_save,
    segment_trend,
    segments_visible_to,
)


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    expression = forms.CharField(
        label=_("条件（规则语言）"), widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})
    )
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    shared = forms.BooleanField(label=_("共享给他人"), required=False)
    shared_role = forms.ChoiceField(
        label=_("共享给角色"), required=False, choices=[("", _("所有角色")), *User.Role.choices]
    )
    shared_region = forms.ModelChoiceField(
        label=_("共享给区域"), required=False, queryset=regions_of_province(), empty_label=_("全省")
    )


@login_required
def segment_list_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    segments = list(segments_visible_to(user))
    counts = segment_counts(user=user, segments=segments)
    rows = [(s, counts.get(s.pk, 0), may_edit(user, s)) for s in segments]
    return render(request, "scoring/segments.html", {"rows": rows})


@login_required
def segment_edit_page(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    segment = segment_get(user=user, pk=pk) if pk else None
    if segment is not None and not may_edit(user, segment):
        messages.error(request, gettext("只有创建人或省公司管理员可以修改该客户细分。"))
        return redirect("scoring:segment", pk=segment.pk)
    if request.method == "POST":
        form = SegmentForm(request.POST)
        if form.is_valid():
            try:
                saved = segment_save(by=user, segment=segment, **form.cleaned_data)
            except ValidationError as err:
                for field, errors in err.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, gettext("客户细分“%(name)s”已保存。") % {"name": saved.name})
                return redirect("scoring:segment", pk=saved.pk)
    else:
        initial = {"expression": request.GET.get("expression", "")}
        if segment is not None:
            initial = {f: getattr(segment, f) for f in SegmentForm.base_fields}
        form = SegmentForm(initial=initial)
    return render(request, "scoring/segment_form.html", {"form": form, "segment": segment})


@login_required
def segment_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    segment = segment_get(user=user, pk=pk)
    if request.method == "POST" and request.POST.get("action") == "delete":
        segment_delete(by=user, segment=segment)
        messages.success(request, gettext("客户细分“%(name)s”已删除。") % {"name": segment.name})
        return redirect("scoring:segments")
    members = segment_members(user=user, segment=segment)
    page = Paginator(members.select_related("region", "account_manager"), 25).get_page(request.GET.get("page"))
    trend = segment_trend(user=user, segment=segment)
    chart = {
        "kind": "line",
        "categories": [f"{p.month:%Y-%m}" for p in trend],
        "series": [[gettext("客户数"), [p.count for p in trend]]],
    }
    context = {"segment": segment, "page": page, "trend": trend, "chart": chart, "may_edit": may_edit(user, segment)}
    return render(request, "scoring/segment.html", context)


@login_required
def segment_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The segment's members the user may see, as an Excel or CSV file (in the audit log)."""
    user = request.user
    segment = segment_get(user=user, pk=pk)
    try:
        return segment_file(request=request, segment=segment, fmt=fmt)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("scoring:segment", pk=pk)
