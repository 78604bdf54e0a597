"""The partner channel in the REST API (F-19): the same services and scope as the pages. A partner's
login reads its own partner, deals and statements here; staff read within their region."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.web.api_errors import Detail
from zhengqi.web.forms import parse_month
from zhengqi.web.pagination import Converted, Pages

from .files import statement_response
from .models import Attribution, CommissionRule, Partner, Statement, StatementLine
from .partners import (
    PartnerInput,
    attribute,
    deal_get,
    deals_visible_to,
    decide,
    partner_get,
    partner_save,
    partners_visible_to,
    withdraw,
)
from .settlement import (
    RuleInput,
    approve,
    lines_outside_scope,
    rule_history,
    rule_save,
    settle,
    statement_get,
    statement_lines,
    statements_visible_to,
)

router = Router()


class PartnerOut(Schema):
    id: int
    code: str
    name: str
    kinds: list[str] = Field(description="marketing 营销代理商 / service 服务代理商 / solution 解决方案提供商")
    region: str
    qualifications: list[str]
    contract_start: dt.date
    contract_end: dt.date
    products: list[str]
    active: bool


def partner_out(p: Partner) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "kinds": [
            k for k, on in (("marketing", p.is_marketing), ("service", p.is_service), ("solution", p.is_solution)) if on
        ],
        "region": p.region.code,
        "qualifications": [q.strip() for q in p.qualifications.splitlines() if q.strip()],
        "contract_start": p.contract_start,
        "contract_end": p.contract_end,
        "products": [x.code for x in p.products.all()],
        "active": p.active,
    }


class PartnerIn(Schema):
    code: str = Field(max_length=30)
    name: str = Field(max_length=200)
    kinds: list[Literal["marketing", "service", "solution"]]
    region: str = Field(description="区域编码")
    contract_start: dt.date
    contract_end: dt.date
    products: list[str] = Field([], description="可代理产品的编码")
    qualifications: list[str] = []
    credit_code: str = Field("", max_length=18)
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    active: bool = True


def _partner_input(body: PartnerIn) -> PartnerInput:
    return PartnerInput(
        code=body.code,
        name=body.name,
        region_code=body.region,
        contract_start=body.contract_start,
        contract_end=body.contract_end,
        is_marketing="marketing" in body.kinds,
        is_service="service" in body.kinds,
        is_solution="solution" in body.kinds,
        credit_code=body.credit_code,
        qualifications="\n".join(body.qualifications),
        product_codes=body.products,
        contact_name=body.contact_name,
        contact_phone=body.contact_phone,
        active=body.active,
    )


@router.get("/partners", response=list[PartnerOut], summary="代理商（本人范围内；代理商账号只见本公司）")
@paginate(Pages, page_size=100)
def partner_list(request: AuthedRequest) -> Any:
    qs = partners_visible_to(request.user).prefetch_related("products").order_by("code")
    return Converted(qs, partner_out)


@router.post("/partners", response={201: PartnerOut, 403: Detail, 422: Detail}, summary="新增代理商")
def partner_new(request: AuthedRequest, body: PartnerIn) -> Any:
    return Status(201, partner_out(partner_save(by=request.user, data=_partner_input(body))))


@router.get("/partners/{partner_id}", response={200: PartnerOut, 404: Detail}, summary="一家代理商")
def partner_one(request: AuthedRequest, partner_id: int) -> Any:
    return partner_out(partner_get(user=request.user, pk=partner_id))


@router.put(
    "/partners/{partner_id}", response={200: PartnerOut, 403: Detail, 404: Detail, 422: Detail}, summary="修改代理商"
)
def partner_edit(request: AuthedRequest, partner_id: int, body: PartnerIn) -> Any:
    user = request.user
    found = partner_get(user=user, pk=partner_id)
    return partner_out(partner_save(by=user, data=_partner_input(body), partner=found))


class DealOut(Schema):
    id: int
    partner_id: int
    partner: str
    role: str = Field(description="sales 销售 / service 服务")
    customer_id: int
    customer_name: str
    subscription_id: int | None
    opportunity_id: int | None
    service_request_id: int | None
    deal: str
    start: dt.date | None
    monthly_amount: Decimal | None
    status: str = Field(description="confirmed 有效 / disputed 争议待裁决 / rejected 已驳回 / withdrawn 已撤销")
    source: str
    claimed_at: dt.datetime
    decision_note: str


def deal_out(a: Attribution) -> dict[str, Any]:
    sub, opp = a.subscription, a.opportunity
    return {
        "id": a.pk,
        "partner_id": a.partner_id,
        "partner": a.partner.name,
        "role": a.role,
        "customer_id": a.customer_id,
        "customer_name": a.customer.name,
        "subscription_id": a.subscription_id,
        "opportunity_id": a.opportunity_id,
        "service_request_id": a.service_request_id,
        "deal": a.deal_label,
        "start": sub.start if sub else (opp.close_date if opp else None),
        "monthly_amount": sub.monthly_fee if sub else (opp.expected_revenue if opp else None),
        "status": a.status,
        "source": a.source,
        "claimed_at": a.claimed_at,
        "decision_note": a.decision_note,
    }


@router.get("/attributions", response=list[DealOut], summary="归属业务（status=disputed 为待裁决的争议）")
@paginate(Pages, page_size=100)
def deal_list(request: AuthedRequest, partner_id: int | None = None, status: str = "") -> Any:
    qs = deals_visible_to(request.user).order_by("-claimed_at", "-pk")
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    if status:
        qs = qs.filter(status=status)
    return [deal_out(a) for a in qs]


class ClaimIn(Schema):
    partner_id: int
    role: Literal["sales", "service"]
    subscription_id: int | None = None
    opportunity_id: int | None = None
    service_request_id: int | None = Field(None, description="已办结的服务工单（服务酬金）")
    note: str = Field("", max_length=200)


@router.post(
    "/attributions",
    response={201: DealOut, 403: Detail, 404: Detail, 422: Detail},
    summary="登记代理商归属（另一代理商已申报同一业务时双方进入争议）",
)
def deal_new(request: AuthedRequest, body: ClaimIn) -> Any:
    made = attribute(
        by=request.user,
        partner_id=body.partner_id,
        role=body.role,
        subscription_id=body.subscription_id,
        opportunity_id=body.opportunity_id,
        service_request_id=body.service_request_id,
        note=body.note,
    )
    return Status(201, deal_out(made))


@router.get("/attributions/{attribution_id}", response={200: DealOut, 404: Detail}, summary="一笔归属业务")
def deal_one(request: AuthedRequest, attribution_id: int) -> Any:
    return deal_out(deal_get(user=request.user, pk=attribution_id))


@router.post(
    "/attributions/{attribution_id}/withdraw", response={200: DealOut, 404: Detail, 422: Detail}, summary="撤销归属"
)
def deal_withdraw(request: AuthedRequest, attribution_id: int) -> Any:
    user = request.user
    withdraw(by=user, pk=attribution_id)
    return deal_out(deal_get(user=user, pk=attribution_id))


class ConflictDecisionIn(Schema):
    note: str = Field("", max_length=200)


@router.post(
    "/attributions/{attribution_id}/decide",
    response={200: DealOut, 403: Detail, 404: Detail, 422: Detail},
    summary="裁决争议：归属此代理商，其余申报驳回",
)
def deal_decide(request: AuthedRequest, attribution_id: int, body: ConflictDecisionIn) -> Any:
    return deal_out(decide(by=request.user, pk=attribution_id, note=body.note))


class TierIO(Schema):
    start: int = Field(ge=1, description="自第几笔起")
    value: str = Field(description="比例（0.10 或 10%）或金额")


class CommissionRuleOut(Schema):
    id: int
    code: str
    version: int
    name: str
    effective_from: dt.date
    role: str
    deal_type: str
    product: str | None
    method: str = Field(description="rate 按比例 / fixed 固定金额")
    value: Decimal
    pay_months: int | None
    tiers: list[TierIO]
    tier_mode: str = Field(description="all 全量适用达到的档位 / marginal 分段累进")
    clawback_months: int
    retired: bool
    note: str


def rule_out(r: CommissionRule) -> dict[str, Any]:
    return {
        "id": r.pk,
        "code": r.code,
        "version": r.version,
        "name": r.name,
        "effective_from": r.effective_from,
        "role": r.role,
        "deal_type": r.deal_type,
        "product": r.product.code if r.product else None,
        "method": r.method,
        "value": r.value,
        "pay_months": r.pay_months,
        "tiers": r.tiers or [],
        "tier_mode": r.tier_mode,
        "clawback_months": r.clawback_months,
        "retired": r.retired,
        "note": r.note,
    }


@router.get("/commission-rules", response=list[CommissionRuleOut], summary="酬金规则的全部版本")
def rule_list(request: AuthedRequest, code: str = "") -> Any:
    qs = rule_history(code=code)
    return [rule_out(r) for r in qs[:1000]]


class CommissionRuleIn(Schema):
    code: str = Field(max_length=30, description="已有编码则新增一个版本")
    name: str = Field(max_length=100)
    effective_from: str = Field(description="生效月份 YYYY-MM")
    role: Literal["sales", "service"]
    deal_type: Literal["subscription", "opportunity", "ticket"] = "subscription"
    product: str = Field("", description="产品编码；留空为所有产品")
    method: Literal["rate", "fixed"]
    value: str = Field(description="比例（0.08 或 8%）或金额（元）")
    pay_months: int | None = Field(None, ge=1, description="自开通月起计酬的月数；空为在网期间每月")
    tiers: list[TierIO] = []
    tier_mode: Literal["all", "marginal"] = "all"
    clawback_months: int = Field(0, ge=0, le=120)
    retired: bool = False
    note: str = Field("", max_length=200)


@router.post(
    "/commission-rules", response={201: CommissionRuleOut, 403: Detail, 422: Detail}, summary="新增酬金规则或新版本"
)
def rule_new(request: AuthedRequest, body: CommissionRuleIn) -> Any:
    saved = rule_save(
        by=request.user,
        data=RuleInput(
            code=body.code,
            name=body.name,
            effective_from=parse_month(body.effective_from),
            role=body.role,
            deal_type=body.deal_type,
            product_code=body.product,
            method=body.method,
            value=body.value,
            pay_months=body.pay_months,
            tiers=[t.model_dump() for t in body.tiers],
            tier_mode=body.tier_mode,
            clawback_months=body.clawback_months,
            retired=body.retired,
            note=body.note,
        ),
    )
    return Status(201, rule_out(saved))


class SettleIn(Schema):
    month: str = Field(description="结算月份 YYYY-MM（须已结束）")


class SettleOut(Schema):
    month: dt.date
    drafts: int = Field(description="（重新）计算的待审批结算单")
    frozen: int = Field(description="已审批、保持不变的结算单")
    total: Decimal


@router.post(
    "/settlements",
    response={200: SettleOut, 403: Detail, 422: Detail},
    summary="计算某月全部代理商的结算单（可重复运行）",
)
def settlement_run(request: AuthedRequest, body: SettleIn) -> Any:
    result = settle(parse_month(body.month), by=request.user)
    return {"month": result.month, "drafts": result.drafts, "frozen": result.frozen, "total": result.total}


class LineOut(Schema):
    kind: str = Field(description="commission 酬金 / clawback 追回 / adjustment 调整")
    adjusts: str
    for_month: dt.date
    attribution_id: int | None
    customer_id: int | None
    rule_id: int | None
    rule_code: str
    deal: str
    role: str
    base: Decimal
    value: Decimal
    volume: int
    tier_start: int | None
    amount: Decimal
    explanation: str


class StatementOut(Schema):
    id: int
    partner_id: int
    partner: str
    month: dt.date
    status: str = Field(description="draft 待审批 / approved 已审批（冻结）")
    total: Decimal
    computed_at: dt.datetime
    approved_by: str | None
    approved_at: dt.datetime | None


class StatementDetail(StatementOut):
    lines: list[LineOut] = Field(description="本人可见的明细行（区域人员只见本人范围内客户的行）")
    lines_outside_scope: int = Field(description="不在本人范围内、未列出的行数")


def line_out(line: StatementLine) -> dict[str, Any]:
    out = {f: getattr(line, f) for f in LineOut.model_fields if f != "customer_id"}
    out["customer_id"] = line.attribution.customer_id if line.attribution else None
    return out


def statement_out(s: Statement, *, user: User | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": s.pk,
        "partner_id": s.partner_id,
        "partner": s.partner.name,
        "month": s.month,
        "status": s.status,
        "total": s.total,
        "computed_at": s.computed_at,
        "approved_by": s.approved_by.username if s.approved_by else None,
        "approved_at": s.approved_at,
    }
    if user is not None:
        out["lines"] = [line_out(line) for line in statement_lines(s, user=user)]
        out["lines_outside_scope"] = lines_outside_scope(s, user=user)
    return out


@router.get(
    "/statements", response=list[StatementOut], summary="结算单（区域经理与管理员：其范围内的代理商；代理商：本公司）"
)
@paginate(Pages, page_size=100)
def statement_list(request: AuthedRequest, month: str = "", partner_id: int | None = None) -> Any:
    qs = statements_visible_to(request.user).order_by("-month", "partner__code")
    if month:
        qs = qs.filter(month=parse_month(month))
    if partner_id is not None:
        qs = qs.filter(partner_id=partner_id)
    return [statement_out(s) for s in qs]


@router.get("/statements/{statement_id}", response={200: StatementDetail, 404: Detail}, summary="一张结算单及其明细")
def statement_one(request: AuthedRequest, statement_id: int) -> Any:
    return statement_out(statement_get(user=request.user, pk=statement_id), user=request.user)


class ApproveIn(Schema):
    total: str = Field(description="审批人核对过的合计；重算后不一致则拒绝（422），结算单保留重算结果")


@router.post(
    "/statements/{statement_id}/approve",
    response={200: StatementOut, 403: Detail, 404: Detail, 422: Detail},
    summary="审批并冻结结算单",
)
def statement_approve(request: AuthedRequest, statement_id: int, body: ApproveIn) -> Any:
    return statement_out(approve(by=request.user, pk=statement_id, expected_total=body.total))


@router.get("/statements/{statement_id}/file", response={200: None, 404: Detail}, summary="下载结算单（xlsx 或 pdf）")
def statement_download(
    request: AuthedRequest, statement_id: int, fmt: Literal["xlsx", "pdf"] = Query("xlsx")
) -> HttpResponse:
    user = request.user
    return statement_response(request, user, statement_get(user=user, pk=statement_id), fmt)
