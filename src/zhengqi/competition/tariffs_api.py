"""终端与资费 in the REST API: the catalogue, competitors' tariffs from events, a customer's bundles."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Field, Router, Schema, Status

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.web.api_errors import Detail

from .models import TariffPlan, Terminal
from .services import event_get
from .tariffs import (
    BundleInput,
    bundle_create,
    bundle_decide,
    bundle_get,
    bundle_outcomes,
    bundles_of,
    competitor_tariff_add,
    competitor_tariffs,
    ours,
    price_of,
    tariff_add,
    terminal_add,
    terminals,
)

router = Router()


class TerminalOut(Schema):
    id: int
    name: str
    kind: str = Field(description="phone 手机 / gateway 网关 / module 物联网模组 / pad 平板")
    price: Decimal


def terminal_out(t: Terminal) -> dict[str, Any]:
    return {"id": t.pk, "name": t.name, "kind": t.kind, "price": t.price}


@router.get("/terminals", response=list[TerminalOut], summary="在售终端目录")
def terminals_api(request: AuthedRequest) -> Any:
    return [terminal_out(t) for t in terminals()]


class TerminalIn(Schema):
    name: str = Field(max_length=100)
    kind: str
    price: str | Decimal


@router.post(
    "/terminals", response={201: TerminalOut, 403: Detail, 422: Detail}, summary="加入终端（营销策划或管理员）"
)
def terminal_new_api(request: AuthedRequest, body: TerminalIn) -> Any:
    return Status(201, terminal_out(terminal_add(by=request.user, name=body.name, kind=body.kind, price=body.price)))


class TariffOut(Schema):
    id: int
    name: str
    operator: str = Field(description="空为我方；telecom / unicom / broadnet / other 为对手")
    monthly_fee: Decimal = Field(description="元/线/月")
    data_gb: Decimal | None
    minutes: int | None
    event_id: int | None = Field(description="对手资费的来源竞争动向")


def tariff_out(p: TariffPlan) -> dict[str, Any]:
    return {
        "id": p.pk,
        "name": p.name,
        "operator": p.operator,
        "monthly_fee": p.monthly_fee,
        "data_gb": p.data_gb,
        "minutes": p.minutes,
        "event_id": p.event_id,
    }


@router.get("/tariffs", response=list[TariffOut], summary="我方资费与最近登记的对手资费")
def tariffs_api(request: AuthedRequest) -> Any:
    return [tariff_out(p) for p in [*ours(), *competitor_tariffs()[:200]]]


class TariffIn(Schema):
    name: str = Field(max_length=100)
    monthly_fee: str | Decimal
    data_gb: str | Decimal | None = None
    minutes: int | str | None = None


@router.post(
    "/tariffs", response={201: TariffOut, 403: Detail, 422: Detail}, summary="加入我方资费（营销策划或管理员）"
)
def tariff_new_api(request: AuthedRequest, body: TariffIn) -> Any:
    made = tariff_add(
        by=request.user, name=body.name, monthly_fee=body.monthly_fee, data_gb=body.data_gb or "", minutes=body.minutes
    )
    return Status(201, tariff_out(made))


@router.post(
    "/competitor-events/{event_id}/tariffs",
    response={201: TariffOut, 403: Detail, 404: Detail, 422: Detail},
    summary="登记竞争动向中的对手资费",
)
def event_tariff_api(request: AuthedRequest, event_id: int, body: TariffIn) -> Any:
    event = event_get(user=request.user, pk=event_id)
    made = competitor_tariff_add(
        by=request.user, event=event, name=body.name, monthly_fee=body.monthly_fee, data_gb=body.data_gb or "",
        minutes=body.minutes,
    )  # fmt: skip
    return Status(201, tariff_out(made))


class BundleOut(Schema):
    id: int
    tariff: str
    lines: int
    terminal: str | None
    terminals: int
    application: str | None
    application_fee: Decimal
    months: int
    competitor_tariff: str | None
    our_monthly: Decimal = Field(description="我方月费（元）：资费 × 线路 + 应用月费 + 终端总价 ÷ 合约期")
    their_monthly: Decimal | None = Field(description="对手月费（元）：对手资费 × 同样的线路数")
    gap: Decimal | None = Field(description="(我方 − 对手) ÷ 对手；正数为我方贵")
    status: str = Field(description="offered（已报价）、won（已签约）或 lost（未成交）")
    status_label: str
    lost_reason: str
    decided_at: dt.datetime | None
    opportunity_id: int | None = Field(description="签约时登记或签约的商机")
    created_at: dt.datetime


def bundle_out(b: Any) -> dict[str, Any]:
    p = price_of(b)
    return {
        "id": b.pk,
        "tariff": b.tariff.name,
        "lines": b.lines,
        "terminal": b.terminal.name if b.terminal else None,
        "terminals": b.terminals,
        "application": b.application.name if b.application else None,
        "application_fee": b.application_fee,
        "months": b.months,
        "competitor_tariff": str(b.competitor_tariff) if b.competitor_tariff else None,
        "our_monthly": p.ours,
        "their_monthly": p.theirs,
        "gap": p.gap,
        "status": b.status,
        "status_label": b.get_status_display(),
        "lost_reason": b.lost_reason,
        "decided_at": b.decided_at,
        "opportunity_id": b.opportunity_id,
        "created_at": b.created_at,
    }


@router.get(
    "/customers/{customer_id}/bundles", response={200: list[BundleOut], 404: Detail}, summary="客户的终端资费组合与比价"
)
def bundles_api(request: AuthedRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    return [bundle_out(b) for b, _price in bundles_of(customer)]


class BundleIn(Schema):
    tariff_id: int
    lines: int | str
    terminal_id: int | None = None
    terminals: int | str = 0
    application_id: int | None = None
    application_fee: str | Decimal = "0"
    months: int | str = 24
    competitor_tariff_id: int | None = Field(None, description="不填时按该客户最近登记的对手资费")


@router.post(
    "/customers/{customer_id}/bundles",
    response={201: BundleOut, 403: Detail, 404: Detail, 422: Detail},
    summary="为客户配置终端资费组合并比价",
)
def bundle_new_api(request: AuthedRequest, customer_id: int, body: BundleIn) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    made = bundle_create(by=request.user, customer=customer, data=BundleInput(**body.dict()))
    return Status(201, bundle_out(made))


class BundleDecisionIn(Schema):
    outcome: str = Field(description="won（已签约）或 lost（未成交）")
    reason: str = Field("", description="未成交的原因（未成交时必填），例如价格、终端或网络")
    deal: str = Field(
        "new",
        description="签约时：new（新建一条已签约商机，默认）、none（不登记商机）或该客户进行中商机的 id（改为签约）",
    )


@router.post(
    "/bundles/{bundle_id}/decision",
    response={200: BundleOut, 403: Detail, 404: Detail, 422: Detail},
    summary="登记组合的结果：已签约或未成交",
)
def bundle_decide_api(request: AuthedRequest, bundle_id: int, body: BundleDecisionIn) -> Any:
    bundle = bundle_get(user=request.user, pk=bundle_id)
    bundle_decide(by=request.user, bundle=bundle, outcome=body.outcome, reason=body.reason, deal=body.deal)
    return bundle_out(bundle_get(user=request.user, pk=bundle_id))


class BundleOutcomeOut(Schema):
    position: str = Field(description="cheaper（不高于对手）、dearer（高于对手）或 unknown（无对手资费）")
    label: str
    offered: int
    won: int
    lost: int
    open: int
    win_rate: float | None = Field(description="已签约 ÷（已签约 + 未成交）")


@router.get("/bundle-outcomes", response=list[BundleOutcomeOut], summary="组合报价结果：按我方价格高于或不高于对手")
def bundle_outcomes_api(request: AuthedRequest) -> Any:
    return [
        {
            "position": r.position,
            "label": r.label,
            "offered": r.offered,
            "won": r.won,
            "lost": r.lost,
            "open": r.open,
            "win_rate": r.win_rate,
        }
        for r in bundle_outcomes(request.user)
    ]
