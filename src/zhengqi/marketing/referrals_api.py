"""All-staff referrals in the REST API: the same services, routing, masking and rewards as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Query, Router, Schema, Status

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail
from zhengqi.web.forms import MONTH_PATTERN

from .models import Referral
from .referrals import (
    ReferralInput,
    customer_visible,
    phone_for,
    referral_create,
    referral_get,
    referral_progress,
    referrals_visible_to,
    region_by_code,
    reward_rule_add,
    rewards,
)

router = Router()


class ReferralOut(Schema):
    id: int
    number: str
    organisation: str
    region: str
    need: str
    products: list[str]
    contact_name: str
    contact_phone: str = Field(description="推荐人与跟进人看到完整号码，其他人看到脱敏号码")
    existing_customer: bool = Field(description="是否已是集团客户")
    customer_id: int | None = Field(description="对应的集团客户（仅当在本人范围内）")
    referrer: str
    routed_to: str
    status: str = Field(description="new 待处理 / following 跟进中 / won 已成交 / lost 未成交")
    outcome_note: str
    won_revenue: Decimal | None
    created_at: dt.datetime
    decided_at: dt.datetime | None


def referral_out(r: Referral, user: User) -> dict[str, Any]:
    in_scope = customer_visible(user, r)
    return {
        "id": r.pk,
        "number": r.number,
        "organisation": r.organisation,
        "region": r.region.name,
        "need": r.need,
        "products": [p.code for p in r.products.all()],
        "contact_name": r.contact_name,
        "contact_phone": phone_for(user, r),
        "existing_customer": r.customer_id is not None,
        "customer_id": r.customer_id if in_scope else None,
        "referrer": str(r.referrer),
        "routed_to": str(r.routed_to),
        "status": r.status,
        "outcome_note": r.outcome_note,
        "won_revenue": r.won_revenue,
        "created_at": r.created_at,
        "decided_at": r.decided_at,
    }


@router.get("/referrals", response=list[ReferralOut], summary="全员营销推荐：本人推荐的、转给本人的、本区域的")
def referral_list(request: AuthedRequest) -> Any:
    user = request.user
    return [referral_out(r, user) for r in referrals_visible_to(user).prefetch_related("products")[:500]]


class ReferralIn(Schema):
    organisation: str = Field(max_length=100)
    region_code: str = Field(max_length=40, description="单位所在区域的编码")
    need: str = Field(max_length=1000)
    contact_name: str = Field(max_length=50)
    contact_phone: str = Field(max_length=30)
    credit_code: str = Field("", max_length=18)
    products: list[str] = Field(default_factory=list, max_length=20)


@router.post("/referrals", response={201: ReferralOut, 422: Detail}, summary="推荐商机（任何员工）：自动转给跟进人")
def referral_new(request: AuthedRequest, body: ReferralIn) -> Any:
    region = region_by_code(body.region_code)
    made = referral_create(
        by=request.user,
        data=ReferralInput(
            organisation=body.organisation,
            region_id=region.pk if region else None,
            need=body.need,
            contact_name=body.contact_name,
            contact_phone=body.contact_phone,
            credit_code=body.credit_code,
            product_codes=body.products,
        ),
    )
    return Status(201, referral_out(made, request.user))


@router.get("/referrals/{referral_id}", response={200: ReferralOut, 404: Detail}, summary="一条推荐")
def referral_one(request: AuthedRequest, referral_id: int) -> Any:
    return referral_out(referral_get(user=request.user, pk=referral_id), request.user)


class ProgressIn(Schema):
    status: Literal["following", "won", "lost"]
    note: str = Field("", max_length=1000)
    won_revenue: Decimal | None = Field(None, ge=0, description="成交月收入（元），成交时必填")


@router.post(
    "/referrals/{referral_id}/progress",
    response={200: ReferralOut, 403: Detail, 404: Detail, 422: Detail},
    summary="记录跟进结果：跟进中、已成交（填月收入）或未成交（写原因）",
)
def referral_progress_api(request: AuthedRequest, referral_id: int, body: ProgressIn) -> Any:
    user = request.user
    found = referral_get(user=user, pk=referral_id)
    referral_progress(by=user, referral=found, status=body.status, note=body.note, won_revenue=body.won_revenue)
    return referral_out(referral_get(user=user, pk=referral_id), user)


class RewardLineOut(Schema):
    referral_id: int
    number: str
    organisation: str
    rule_version: int | None
    amount: Decimal


class ReferrerRewardsOut(Schema):
    referrer: str
    total: Decimal
    lines: list[RewardLineOut]


class MonthFilter(Schema):
    month: str = Field(pattern=MONTH_PATTERN, description="月份，如 2026-11")


@router.get(
    "/referral-rewards",
    response={200: list[ReferrerRewardsOut], 422: Detail},
    summary="某月成交推荐的奖励，按推荐人（本人可见的）",
)
def referral_rewards_api(request: AuthedRequest, filters: Query[MonthFilter]) -> Any:
    rows = rewards(user=request.user, month=dt.date.fromisoformat(filters.month + "-01"))
    return [
        {
            "referrer": str(row.referrer),
            "total": row.total,
            "lines": [
                {
                    "referral_id": line.referral.pk,
                    "number": line.referral.number,
                    "organisation": line.referral.organisation,
                    "rule_version": line.rule.version if line.rule else None,
                    "amount": line.amount,
                }
                for line in row.lines
            ],
        }
        for row in rows
    ]


class ReferralRuleIn(Schema):
    effective_from: str = Field(pattern=MONTH_PATTERN, description="生效月份，如 2027-01")
    fixed: str = Field("0", max_length=20)
    rate: str = Field("0", max_length=20, description="如 5% 或 0.05")
    cap: str = Field("", max_length=20)
    note: str = Field("", max_length=200)


class ReferralRuleOut(Schema):
    version: int
    effective_from: dt.date
    fixed: Decimal
    rate: Decimal
    cap: Decimal | None


@router.post(
    "/referral-reward-rules",
    response={201: ReferralRuleOut, 403: Detail, 422: Detail},
    summary="新增推荐奖励规则版本（省公司管理员）",
)
def referral_rule_api(request: AuthedRequest, body: ReferralRuleIn) -> Any:
    made = reward_rule_add(
        by=request.user,
        effective_from=dt.date.fromisoformat(body.effective_from + "-01"),
        fixed=body.fixed,
        rate=body.rate,
        cap=body.cap,
        note=body.note,
    )
    return Status(
        201,
        {
            "version": made.version,
            "effective_from": made.effective_from,
            "fixed": made.fixed,
            "rate": made.rate,
            "cap": made.cap,
        },
    )
