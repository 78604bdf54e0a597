"""Pages of campaigns (F-11), their evaluation (F-16) and the strategy ranking (F-17): the same
services as the API (``zhengqi.marketing.campaigns.services``, ``zhengqi.marketing.campaigns.evaluation``)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from zhengqi.accounts import matrix
from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import products_catalogue
from zhengqi.marketing.campaigns.evaluation import (
    Effect,
    alert_outcomes,
    campaign_effect,
    campaign_ranking,
    rule_outcomes,
)
from zhengqi.marketing.campaigns.exports import campaign_targets_file
from zhengqi.marketing.campaigns.services import (
    ALL_CHANNELS,
    SEGMENT_EXAMPLE,
    CampaignInput,
    StaleEdit,
    campaign_close,
    campaign_copy,
    campaign_get,
    campaign_launch,
    campaign_launch_preview,
    campaign_save,
    campaigns_visible_to,
    contact_policy,
    contact_policy_set,
    execution_counts,
    may_plan,
    proposed_channels,
    target_outcome,
    targets_visible_to,
)
from zhengqi.marketing.kit.services import materials_for_products
from zhengqi.marketing.models import Campaign, CampaignTarget
from zhengqi.scoring.models import Segment
from zhengqi.scoring.segments import segment_get
from zhengqi.web.forms import form_errors, parse_int


def may_evaluate(user: User) -> bool:
    return matrix.role_of(user) in matrix.CONFIG_READERS


def effect_chart(effect: Effect) -> dict[str, Any]:
    """Conversion of both groups as a bar chart (drawn by analysis/charts.js)."""
    return {
        "kind": "bar",
        "unit": "pct",
        "categories": [_("目标组"), _("对照组")],
        "series": [[_("转化率"), [effect.target.rate or 0, effect.control.rate or 0]]],
    }


@login_required
def campaigns_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    qs = campaigns_visible_to(user).prefetch_related("products")
    status = request.GET.get("status", "")
    if status in Campaign.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    evaluate = may_evaluate(user)
    rows = [(c, campaign_effect(c) if evaluate and c.status != Campaign.Status.DRAFT else None) for c in page]
    return render(
        request,
        "marketing/campaigns.html",
        {
            "page": page,
            "rows": rows,
            "may_plan": may_plan(user),
            "status": status,
            "statuses": Campaign.Status.choices,
            "policy": contact_policy(),
            "may_set_policy": user.is_superuser or user.role == User.Role.PROVINCIAL_ADMIN,
        },
    )


def _form_context(
    user: User, campaign: Campaign | None, data: Any = None, segment: Segment | None = None
) -> dict[str, Any]:
    products = list(products_catalogue())
    if data is not None:
        chosen = set(data.getlist("products"))
        channels = set(data.getlist("channels"))
        values = {
            k: data.get(k, "")
            for k in ("name", "goal", "offer", "start", "end", "grace_days", "budget", "segment", "seed", "version")
        }
        values["control_share"] = data.get("control_share", "10")
    elif campaign is not None:
        chosen = set(campaign.products.values_list("code", flat=True))
        channels = set(campaign.channels)
        values = {
            "name": campaign.name,
            "goal": campaign.goal,
            "offer": campaign.offer,
            "start": campaign.start.isoformat(),
            "end": campaign.end.isoformat(),
            "grace_days": campaign.grace_days,
            "budget": campaign.budget,
            "segment": campaign.segment,
            "seed": campaign.seed,
            "version": campaign.version,
            "control_share": f"{campaign.control_share * 100:g}",
        }
    else:
        chosen, channels = set(), set()
        values = {"grace_days": 30, "control_share": "10", "segment": "status = 'active'"}
        if segment is not None:  # "以此细分发起营销活动": the saved segment's condition, named after it
            values.update(segment=segment.expression, name=segment.name)
    return {
        "campaign": campaign,
        "products": products,
        "chosen": chosen,
        "channels": [(c, Campaign.Channel(c).label, c in channels) for c in ALL_CHANNELS],
        "proposed": [Campaign.Channel(c).label for c in proposed_channels(p for p in products if p.code in chosen)],
        "values": values,
        "segment_example": SEGMENT_EXAMPLE,
    }


@login_required
def campaign_form_page(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    user = request.user
    campaign = campaign_get(user=user, pk=pk) if pk else None
    if campaign is not None and campaign.status != Campaign.Status.DRAFT:
        messages.error(request, _("活动已启动，不能再修改；可以“复制为新活动”。"))
        return redirect("marketing:campaign", pk=campaign.pk)
    if request.method == "POST":
        try:
            saved = campaign_save(by=user, data=CampaignInput.from_mapping(request.POST), campaign=campaign)
        except StaleEdit as err:
            context = _form_context(user, campaign, request.POST)
            context["stale"] = " ".join(err.messages)
            return render(request, "marketing/campaign_form.html", context, status=409)
        except ValidationError as err:
            context = _form_context(user, campaign, request.POST)
            context["errors"] = form_errors(err)
            return render(request, "marketing/campaign_form.html", context, status=400)
        messages.success(request, _("活动“%(name)s”已保存。") % {"name": saved.name})
        return redirect("marketing:campaign", pk=saved.pk)
    segment = None
    if campaign is None and (segment_id := parse_int(request.GET.get("segment_id"))):
        segment = segment_get(user=user, pk=segment_id)
    return render(request, "marketing/campaign_form.html", _form_context(user, campaign, segment=segment))


@login_required
def campaign_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    campaign = campaign_get(user=user, pk=pk)
    targets = targets_visible_to(user, campaign).order_by("group", "customer__code")
    group = request.GET.get("group", "")
    if group in CampaignTarget.Group.values:
        targets = targets.filter(group=group)
    effect = campaign_effect(campaign) if may_evaluate(user) and campaign.status != Campaign.Status.DRAFT else None
    context = {
        "campaign": campaign,
        "products": campaign.products.all(),
        "kit": list(
            {m.pk: m for ms in materials_for_products(list(campaign.products.all())).values() for m in ms}.values()
        ),
        "channel_labels": [Campaign.Channel(c).label for c in campaign.channels if c in ALL_CHANNELS],
        "page": Paginator(targets, 50).get_page(request.GET.get("page")),
        "group": group,
        "counts": execution_counts(campaign, targets_visible_to(user, campaign)),
        "effect": effect,
        "chart": effect_chart(effect) if effect and effect.uplift is not None else None,
        "arms": [(_("目标组"), effect.target), (_("对照组"), effect.control)] if effect else [],
        "may_plan": may_plan(user),
        "may_record": matrix.role_of(user) in matrix.WORKERS and campaign.status == Campaign.Status.LAUNCHED,
        "outcomes": [(o.value, o.label) for o in CampaignTarget.Outcome if o != CampaignTarget.Outcome.PENDING],
    }
    return render(request, "marketing/campaign.html", context)


@login_required
@require_POST
def campaign_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    user = request.user
    campaign = campaign_get(user=user, pk=pk)
    try:
        if action == "launch":
            if request.POST.get("confirm") != "1":  # first the counts, overlaps and the contact limit
                return redirect("marketing:campaign_launch", pk=campaign.pk)
            done = campaign_launch(by=user, campaign=campaign)
            message = _("活动已启动：目标组 %(t)d 个客户（已派 %(k)d 个任务），对照组 %(c)d 个客户。") % {
                "t": done.targets,
                "k": done.tasks,
                "c": done.control,
            }
            if done.excluded:
                message += _("另有 %(n)d 个客户本月接触次数已达上限，未纳入活动。") % {"n": done.excluded}
            messages.success(request, message)
        elif action == "copy":
            copy = campaign_copy(by=user, campaign=campaign)
            messages.success(request, _("已复制为新的草稿活动（随机种子相同）。"))
            return redirect("marketing:campaign_edit", pk=copy.pk)
        elif action == "close":
            campaign_close(by=user, campaign=campaign)
            messages.success(request, _("活动已结束，未完成的任务已取消。"))
        else:
            raise Http404(_("页面不存在或无权查看。"))
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    return redirect("marketing:campaign", pk=campaign.pk)


@login_required
def campaign_export(request: AuthedRequest, pk: int, fmt: str) -> HttpResponseBase:
    """The campaign's targets the user may see and their outcomes, as Excel or CSV."""
    campaign = campaign_get(user=request.user, pk=pk)
    try:
        return campaign_targets_file(request=request, campaign=campaign, fmt=fmt)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("marketing:campaign", pk=pk)


@login_required
def campaign_launch_page(request: AuthedRequest, pk: int) -> HttpResponse:
    """Before a launch: the targets and the control group, the prospects among them, customers
    already in running campaigns and those over the contact limit — and the button that confirms."""
    user = request.user
    campaign = campaign_get(user=user, pk=pk)
    if campaign.status != Campaign.Status.DRAFT:
        return redirect("marketing:campaign", pk=pk)
    try:
        preview = campaign_launch_preview(by=user, campaign=campaign)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
        return redirect("marketing:campaign", pk=pk)
    return render(request, "marketing/campaign_launch.html", {"campaign": campaign, "preview": preview})


@login_required
@require_POST
def contact_policy_page(request: AuthedRequest) -> HttpResponse:
    try:
        policy = contact_policy_set(by=request.user, max_per_month=parse_int(request.POST.get("max_per_month")) or 0)
    except ValidationError as err:
        messages.error(request, " ".join(err.messages))
    else:
        messages.success(request, _("营销接触上限已设为每个客户每月 %(n)d 次。") % {"n": policy.max_per_month})
    return redirect("marketing:campaigns")


@login_required
@require_POST
def target_outcome_page(request: AuthedRequest, pk: int, customer_id: int) -> HttpResponse:
    user = request.user
    campaign = campaign_get(user=user, pk=pk)
    target = targets_visible_to(user, campaign).filter(customer_id=customer_id).first()
    if target is None:
        raise Http404(_("客户不存在或无权查看。"))
    try:
        target_outcome(
            by=user,
            target=target,
            outcome=request.POST.get("outcome", ""),
            reason=request.POST.get("reject_reason", ""),
        )
    except ValidationError as err:
        messages.error(request, f"{target.customer.name}：{' '.join(err.messages)}")
    except PermissionDenied as err:
        messages.error(request, str(err))
    else:
        messages.success(
            request,
            _("已记录 %(name)s：%(outcome)s。")
            % {"name": target.customer.name, "outcome": CampaignTarget.Outcome(target.outcome).label},
        )
    return redirect("marketing:campaign", pk=campaign.pk)


@login_required
def strategy_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    ranked = campaign_ranking(campaigns_visible_to(user))
    month, alerts = alert_outcomes(user)
    chart = {
        "kind": "bar",
        "unit": "pct",
        "categories": [r.campaign.name for r in ranked if r.effect.uplift is not None],
        "series": [[_("转化率提升"), [r.effect.uplift for r in ranked if r.effect.uplift is not None]]],
    }
    return render(
        request,
        "marketing/strategy.html",
        {
            "ranked": ranked,
            "alerts": alerts,
            "alerts_month": month,
            "rules": rule_outcomes(user),
            "chart": chart if chart["categories"] else None,
        },
    )
