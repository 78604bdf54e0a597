"""Campaigns, their targets and their measured effect in the REST API — the same services and scope
as the pages (F-11, F-16, F-17)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.marketing.campaigns.evaluation import (
    Effect,
    alert_outcomes,
    campaign_effect,
    campaign_ranking,
    rule_outcomes,
)
from zhengqi.marketing.campaigns.exports import campaign_targets_file
from zhengqi.marketing.campaigns.services import (
    SEGMENT_EXAMPLE,
    CampaignInput,
    campaign_close,
    campaign_copy,
    campaign_get,
    campaign_group_counts,
    campaign_launch,
    campaign_launch_preview,
    campaign_save,
    campaigns_visible_to,
    contact_policy,
    contact_policy_set,
    target_outcome,
    targets_visible_to,
)
from zhengqi.marketing.models import Campaign, CampaignTarget
from zhengqi.web.api_errors import Detail
from zhengqi.web.pagination import Converted, Pages

router = Router()
exports_router = Router()  # mounted at the API root: /api/exports/…


class CampaignIn(Schema):
    name: str = Field(max_length=100)
    segment: str = Field(description=f"目标客户：规则语言表达式，例如 {SEGMENT_EXAMPLE}")
    start: dt.date
    end: dt.date
    products: list[str] = Field(description="推广产品编码")
    goal: str = ""
    offer: str = ""
    channels: list[str] | None = Field(
        None, description="渠道；不填则按产品复杂度建议（am, partner, hall, hotline, sms, online）"
    )
    grace_days: int = Field(30, description="活动结束后仍计为转化的天数")
    budget: Decimal = Decimal(0)
    control_share: Decimal = Field(Decimal("0.1"), description="对照组比例，0–0.5（默认 0.1 即 10%）")
    seed: int | None = Field(None, description="随机种子；不填则随机生成并保存（同一种子、同一客户群得到同一对照组）")
    version: int | None = Field(None, description="修改时：所依据的版本号；他人已保存新版本时拒绝（409）")


class CampaignOut(Schema):
    id: int
    name: str
    status: str
    goal: str
    offer: str
    products: list[str]
    channels: list[str]
    start: dt.date
    end: dt.date
    grace_days: int
    budget: Decimal
    segment: str
    segment_month: dt.date | None
    control_share: Decimal
    seed: int
    version: int
    targets: int
    control: int


def campaign_out(c: Campaign, counts: dict[int, dict[str, int]] | None = None) -> dict[str, Any]:
    groups = (counts if counts is not None else campaign_group_counts([c])).get(c.pk, {})
    return {
        "id": c.pk,
        "name": c.name,
        "status": c.status,
        "goal": c.goal,
        "offer": c.offer,
        "products": [p.code for p in c.products.all()],  # prefetched in lists
        "channels": list(c.channels),
        "start": c.start,
        "end": c.end,
        "grace_days": c.grace_days,
        "budget": c.budget,
        "segment": c.segment,
        "segment_month": c.segment_month,
        "control_share": c.control_share,
        "seed": c.seed,
        "version": c.version,
        "targets": groups.get(CampaignTarget.Group.TARGET, 0),
        "control": groups.get(CampaignTarget.Group.CONTROL, 0),
    }


def _input(body: CampaignIn) -> CampaignInput:
    return CampaignInput(
        name=body.name,
        segment=body.segment,
        start=body.start,
        end=body.end,
        product_codes=body.products,
        goal=body.goal,
        offer=body.offer,
        channels=body.channels,
        grace_days=body.grace_days,
        budget=body.budget,
        control_share=body.control_share,
        seed=body.seed,
        version=body.version,
    )


@router.get("", response=list[CampaignOut], summary="营销活动列表（本人范围内）")
@paginate(Pages, page_size=50)
def campaigns(request: AuthedRequest, status: str = "") -> Any:
    qs = campaigns_visible_to(request.user).prefetch_related("products")
    if status:
        qs = qs.filter(status=status)
    campaigns = list(qs)
    counts = campaign_group_counts(campaigns)
    return [campaign_out(c, counts) for c in campaigns]


@router.post("", response={201: CampaignOut, 422: Detail}, summary="制定营销活动（营销策划、省公司管理员）")
def campaign_new(request: AuthedRequest, body: CampaignIn) -> Any:
    return Status(201, campaign_out(campaign_save(by=request.user, data=_input(body))))


class ContactPolicyIO(Schema):
    max_per_month: int = Field(..., description="每个客户每月最多被几个活动接触（按活动启动月份计）")


@router.get("/contact-policy", response=ContactPolicyIO, summary="营销接触上限")
def get_contact_policy(request: AuthedRequest) -> Any:
    return contact_policy()


@router.put("/contact-policy", response={200: ContactPolicyIO, 422: Detail}, summary="设置营销接触上限（省公司管理员）")
def put_contact_policy(request: AuthedRequest, data: ContactPolicyIO) -> Any:
    return contact_policy_set(by=request.user, max_per_month=data.max_per_month)


@router.get("/{campaign_id}", response={200: CampaignOut, 404: Detail}, summary="一个营销活动")
def campaign(request: AuthedRequest, campaign_id: int) -> Any:
    return campaign_out(campaign_get(user=request.user, pk=campaign_id))


@router.put(
    "/{campaign_id}",
    response={200: CampaignOut, 404: Detail, 409: Detail, 422: Detail},
    summary="修改草稿活动（带 version：他人已保存新版本时返回 409，不覆盖）",
)
def campaign_edit(request: AuthedRequest, campaign_id: int, body: CampaignIn) -> Any:
    user = request.user
    return campaign_out(campaign_save(by=user, data=_input(body), campaign=campaign_get(user=user, pk=campaign_id)))


class LaunchOut(Schema):
    targets: int = Field(description="目标组客户数（每人一个任务）")
    control: int = Field(description="对照组客户数（不下任务）")
    tasks: int
    excluded: int = Field(0, description="本月接触次数已达上限而未纳入的客户数")


class OverlapOut(Schema):
    campaign_id: int
    campaign_name: str
    customers: int


class LaunchPreviewOut(Schema):
    month: dt.date | None
    targets: int
    control: int
    prospects: int = Field(description="其中潜在客户数")
    unowned: int = Field(description="没有客户经理的客户数（任务派给区域经理）")
    excluded: int = Field(description="本月接触次数已达上限、启动时排除的客户数")
    limit: int
    overlaps: list[OverlapOut] = Field(description="与执行中活动重叠的客户数")


@router.get(
    "/{campaign_id}/launch-preview",
    response={200: LaunchPreviewOut, 404: Detail, 422: Detail},
    summary="启动前预览：目标组、对照组、潜在客户、重叠与接触上限",
)
def launch_preview(request: AuthedRequest, campaign_id: int) -> Any:
    user = request.user
    p = campaign_launch_preview(by=user, campaign=campaign_get(user=user, pk=campaign_id))
    overlaps = [{"campaign_id": c.pk, "campaign_name": c.name, "customers": n} for c, n in p.overlaps]
    return {**p.__dict__, "overlaps": overlaps}


@router.post(
    "/{campaign_id}/launch",
    response={200: LaunchOut, 404: Detail, 422: Detail},
    summary="启动活动：选客户、抽对照组、派任务",
)
def launch(request: AuthedRequest, campaign_id: int) -> Any:
    user = request.user
    return campaign_launch(by=user, campaign=campaign_get(user=user, pk=campaign_id)).__dict__


@router.post(
    "/{campaign_id}/copy", response={201: CampaignOut, 404: Detail}, summary="复制为新的草稿活动（同一随机种子）"
)
def copy(request: AuthedRequest, campaign_id: int) -> Any:
    user = request.user
    return Status(201, campaign_out(campaign_copy(by=user, campaign=campaign_get(user=user, pk=campaign_id))))


@router.post("/{campaign_id}/close", response={200: CampaignOut, 404: Detail, 422: Detail}, summary="结束活动")
def close(request: AuthedRequest, campaign_id: int) -> Any:
    user = request.user
    return campaign_out(campaign_close(by=user, campaign=campaign_get(user=user, pk=campaign_id)))


class TargetOut(Schema):
    customer_id: int
    customer_code: str
    customer_name: str
    group: str = Field(description="target 目标组 / control 对照组")
    account_manager: str
    outcome: str = Field(description="pending / contacted / interested / accepted / rejected")
    reject_reason: str
    outcome_at: dt.datetime | None


def target_out(t: CampaignTarget) -> dict[str, Any]:
    return {
        "customer_id": t.customer_id,
        "customer_code": t.customer.code,
        "customer_name": t.customer.name,
        "group": t.group,
        "account_manager": t.account_manager.username if t.account_manager else "",
        "outcome": t.outcome,
        "reject_reason": t.reject_reason,
        "outcome_at": t.outcome_at,
    }


@router.get("/{campaign_id}/targets", response=list[TargetOut], summary="活动的客户（本人范围内）及执行结果")
@paginate(Pages, page_size=100)
def targets(request: AuthedRequest, campaign_id: int, group: str = "") -> Any:
    user = request.user
    qs = targets_visible_to(user, campaign_get(user=user, pk=campaign_id))
    if group:
        qs = qs.filter(group=group)
    return Converted(qs, target_out)


class OutcomeIn(Schema):
    outcome: str = Field(description="contacted / interested / accepted / rejected")
    reject_reason: str = Field("", max_length=200, description="拒绝时必填")


@router.post(
    "/{campaign_id}/targets/{customer_id}/outcome",
    response={200: TargetOut, 404: Detail, 422: Detail},
    summary="记录一个目标客户的执行结果（客户经理）",
)
def outcome(request: AuthedRequest, campaign_id: int, customer_id: int, body: OutcomeIn) -> Any:
    user = request.user
    campaign = campaign_get(user=user, pk=campaign_id)
    target = get_object_or_404(targets_visible_to(user, campaign), customer_id=customer_id)
    return target_out(target_outcome(by=user, target=target, outcome=body.outcome, reason=body.reject_reason))


class ArmOut(Schema):
    n: int
    converted: int
    rate: float | None
    revenue: Decimal = Field(description="转化带来的月收入（元）")
    revenue_per_customer: float | None


class EffectOut(Schema):
    campaign_id: int
    as_of: dt.date
    window_end: dt.date
    provisional: bool = Field(description="转化窗口未结束：数字可能还会增加")
    target: ArmOut
    control: ArmOut
    uplift: float | None = Field(description="转化率差（目标组 − 对照组）")
    ci_low: float | None
    ci_high: float | None
    z: float | None
    p_value: float | None
    significant: bool
    revenue_uplift: float | None = Field(description="每客户月收入差（元）")
    revenue_ci_low: float | None
    revenue_ci_high: float | None
    needed_per_group: int | None = Field(description="要以 80% 把握检出当前差异，每组需要的客户数")


def arm_out(a: Any) -> dict[str, Any]:
    return {
        "n": a.n,
        "converted": a.converted,
        "rate": a.rate,
        "revenue": a.revenue,
        "revenue_per_customer": a.revenue_per_customer,
    }


def effect_out(campaign: Campaign, e: Effect) -> dict[str, Any]:
    return {
        "campaign_id": campaign.pk,
        "as_of": e.as_of,
        "window_end": e.window_end,
        "provisional": e.provisional,
        "target": arm_out(e.target),
        "control": arm_out(e.control),
        "uplift": e.uplift,
        "ci_low": e.ci[0] if e.ci else None,
        "ci_high": e.ci[1] if e.ci else None,
        "z": e.z,
        "p_value": e.p_value,
        "significant": e.significant,
        "revenue_uplift": e.revenue_uplift,
        "revenue_ci_low": e.revenue_ci[0] if e.revenue_ci else None,
        "revenue_ci_high": e.revenue_ci[1] if e.revenue_ci else None,
        "needed_per_group": e.needed_per_group,
    }


@router.get(
    "/{campaign_id}/evaluation", response={200: EffectOut, 404: Detail}, summary="效果评估：目标组与对照组的转化与收入"
)
def evaluation(request: AuthedRequest, campaign_id: int, as_of: dt.date | None = None) -> Any:
    campaign = campaign_get(user=request.user, pk=campaign_id)
    return effect_out(campaign, campaign_effect(campaign, as_of=as_of))


class AlertOutcomeOut(Schema):
    family: str
    label: str
    flagged: int
    kept: int
    lost: int
    kept_rate: float | None
    worked: int
    worked_kept_rate: float | None
    unworked_kept_rate: float | None


class RuleOutcomeOut(Schema):
    rule_code: str
    rule_name: str
    family: str
    worked: int = Field(description="预警任务已完成的客户数")
    worked_kept: int
    unworked: int
    unworked_kept: int
    uplift: float | None = Field(description="保有率差（已处理 − 未处理），观察性比较")
    p_value: float | None
    significant: bool
    needed_per_group: int | None


class StrategyOut(Schema):
    campaigns: list[EffectOut]
    alerts_month: dt.date | None
    alerts: list[AlertOutcomeOut]
    rules: list[RuleOutcomeOut]


strategy_router = Router()


@strategy_router.get("/strategy", response=StrategyOut, summary="策略优化：活动按提升排序，预警族的保有与流失")
def strategy(request: AuthedRequest) -> Any:
    user = request.user
    ranked = campaign_ranking(campaigns_visible_to(user))
    month, alerts = alert_outcomes(user)
    rules = [{**dataclasses.asdict(r), "significant": r.significant} for r in rule_outcomes(user)]
    return {
        "rules": rules,
        "campaigns": [effect_out(r.campaign, r.effect) for r in ranked],
        "alerts_month": month,
        "alerts": [
            {
                "family": a.family,
                "label": a.label,
                "flagged": a.flagged,
                "kept": a.kept,
                "lost": a.lost,
                "kept_rate": a.kept_rate,
                "worked": a.worked,
                "worked_kept_rate": a.worked_kept_rate,
                "unworked_kept_rate": a.unworked_kept_rate,
            }
            for a in alerts
        ],
    }


@exports_router.get(
    "/exports/campaigns/{campaign_id}", summary="导出活动目标客户与执行结果（Excel / CSV，写入审计日志）"
)
def export_campaign(request: AuthedRequest, campaign_id: int, fmt: str = "xlsx") -> Any:
    return campaign_targets_file(request=request, campaign=campaign_get(user=request.user, pk=campaign_id), fmt=fmt)
