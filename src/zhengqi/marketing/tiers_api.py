"""Service by tier in the REST API: the catalogue, its editing, each tier's promised vs delivered
service, the visits due and one customer's entitlements — the same selectors as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.support.models import TierService
from zhengqi.support.tiers import TierTerms, catalogue, tier_history, tier_service_set
from zhengqi.web.api_errors import Detail
from zhengqi.web.forms import MONTH_PATTERN

from .service_tiers import customer_entitlement, tier_delivery, visits_due

router = Router()


class TierServiceOut(Schema):
    tier: str
    visit_days: int = Field(description="拜访周期（天）")
    escalate_percent: int = Field(description="未办结请求用去处理时限的百分之多少时升级（100 = 超时才升级）")
    dedicated_line: bool
    annual_review: bool
    benefits: list[str]
    deadlines: dict[str, int] = Field(description="本等级自己的处理时限（小时），按请求类型；未列出的按通用时限")


def service_out(s: TierService) -> dict[str, Any]:
    return {
        "tier": s.tier,
        "visit_days": s.visit_days,
        "escalate_percent": s.escalate_percent,
        "dedicated_line": s.dedicated_line,
        "annual_review": s.annual_review,
        "benefits": s.benefit_list,
        "deadlines": {d.request_type: d.hours for d in s.deadlines.all()},
    }


@router.get("/service-tiers", response=list[TierServiceOut], summary="分层服务标准（A+ 至 C）")
def tiers_api(request: AuthedRequest) -> Any:
    return [service_out(s) for s in catalogue()]


class DeliveryFilter(Schema):
    month: str = Field(pattern=MONTH_PATTERN, description="月份，如 2026-11")


class TierDeliveryOut(Schema):
    tier: str
    customers: int
    visits_promised: float
    visits_done: int
    visit_rate: float | None
    coverage: float | None = Field(description="周期内拜访覆盖率")
    requests: int
    on_time: int
    late: int
    on_time_rate: float | None
    escalated: int


@router.get(
    "/service-tiers/delivery",
    response={200: list[TierDeliveryOut], 422: Detail},
    summary="各等级某月承诺与兑现：拜访与处理时限（本人可见的客户）",
)
def delivery_api(request: AuthedRequest, filters: Query[DeliveryFilter]) -> Any:
    rows = tier_delivery(request.user, dt.date.fromisoformat(filters.month + "-01"))
    return [
        {
            "tier": r.service.tier,
            "customers": r.customers,
            "visits_promised": round(r.visits_promised, 2),
            "visits_done": r.visits_done,
            "visit_rate": r.visit_rate,
            "coverage": r.coverage,
            "requests": r.requests,
            "on_time": r.on_time,
            "late": r.late,
            "on_time_rate": r.on_time_rate,
            "escalated": r.escalated,
        }
        for r in rows
    ]


class TierServiceIn(Schema):
    visit_days: int | str = Field(description="拜访周期，1–366 天")
    escalate_percent: int | str = Field(100, description="10–100")
    dedicated_line: bool = False
    annual_review: bool = False
    benefits: list[str] = Field(default_factory=list, max_length=50)
    deadlines: dict[str, int | str | None] = Field(default_factory=dict, description="请求类型 → 小时；空为通用时限")


@router.put(
    "/service-tiers/{tier}",
    response={200: TierServiceOut, 403: Detail, 422: Detail},
    summary="设定一个等级的服务标准（省公司管理员）",
)
def tier_set_api(request: AuthedRequest, tier: str, body: TierServiceIn) -> Any:
    made = tier_service_set(
        by=request.user,
        tier=tier,
        terms=TierTerms(
            visit_days=body.visit_days,
            escalate_percent=body.escalate_percent,
            dedicated_line=body.dedicated_line,
            annual_review=body.annual_review,
            benefits="\n".join(body.benefits),
            deadlines=body.deadlines,
        ),
    )
    return service_out(catalogue_row(made.tier))


def catalogue_row(tier: str) -> TierService:
    return next(s for s in catalogue() if s.tier == tier)


class VisitDueOut(Schema):
    customer_id: int
    customer: str
    tier: str
    last_visit: dt.date | None
    due: dt.date


@router.get("/visits-due", response=list[VisitDueOut], summary="本人客户按服务等级应拜访的（7 天内到期或已逾期）")
def visits_due_api(request: AuthedRequest) -> Any:
    return [
        {"customer_id": v.customer_id, "customer": v.name, "tier": v.tier, "last_visit": v.last, "due": v.due}
        for v in visits_due(request.user)
    ]


class TierMoveOut(Schema):
    from_tier: str
    to_tier: str
    effective_from: dt.date


class EntitlementOut(Schema):
    tier: str = Field(description="今天生效的服务等级")
    tomorrow: str | None = Field(description="今天记录的新等级（明天生效）")
    service: TierServiceOut | None
    last_visit: dt.date | None
    next_visit: dt.date | None
    history: list[TierMoveOut]


@router.get(
    "/customers/{customer_id}/entitlements",
    response={200: EntitlementOut, 404: Detail},
    summary="客户的服务权益：生效等级、拜访周期与下次应拜访日期、等级变动",
)
def entitlement_api(request: AuthedRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    e = customer_entitlement(customer)
    return {
        "tier": e.tier,
        "tomorrow": e.pending,
        "service": service_out(catalogue_row(e.tier)) if e.service else None,
        "last_visit": e.last_visit,
        "next_visit": e.next_visit,
        "history": [
            {"from_tier": h.from_tier, "to_tier": h.to_tier, "effective_from": h.effective_from}
            for h in tier_history(customer)
        ],
    }
