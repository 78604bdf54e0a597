"""The month run's configuration and results in the REST API: rules, previews, alerts, snapshots,
runs. Same services and the same access rules as the pages."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Router, Schema
from ninja.errors import HttpError

from zhengqi.accounts.models import User
from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.selectors import customer_get
from zhengqi.engine.lake import Lake
from zhengqi.engine.months import Month, MonthError

from .churn_registry import capacity_view, churn_model_activate, churn_model_card, churn_models
from .configuration import CONFIGURERS, rule_preview, rule_save
from .models import TaskPolicy
from .month_run import month_run_enqueue
from .selectors import alerts_of, churn_view, latest_churn_snapshot, month_runs, rule_by_code, rules_all, snapshots_of

router = Router()
READERS = (*CONFIGURERS, User.Role.REGIONAL_MANAGER)


def _reader(request: AuthedRequest) -> User:
    user = request.user
    if not (user.is_superuser or user.role in READERS):
        raise Http404("无权查看。")
    return user


def _message(err: ValidationError) -> str:
    return (
        "；".join(f"{msg}" for msgs in err.message_dict.values() for msg in msgs)
        if hasattr(err, "error_dict")
        else "；".join(err.messages)
    )


class RuleOut(Schema):
    code: str
    name: str
    family: str
    severity: str
    task_policy: str = Field(..., description="命中后：family 按因子族 / task 生成任务 / mark 只标记客户")
    expression: str
    description: str
    enabled: bool
    builtin: bool
    version: int


class RuleIn(Schema):
    name: str
    family: str
    severity: str
    task_policy: TaskPolicy = TaskPolicy.FAMILY
    expression: str
    description: str = ""
    enabled: bool = True
    note: str = ""


class PreviewIn(Schema):
    expression: str


class PreviewOut(Schema):
    valid: bool
    error: str | None = None
    month: dt.date | None = None
    count: int = 0
    features: list[str] = []
    sample: list[dict[str, Any]] = []


class AlertOut(Schema):
    id: int
    rule_code: str
    rule_name: str
    family: str
    severity: str
    status: str
    first_month: dt.date
    last_month: dt.date
    evidence: dict[str, Any]


class SnapshotOut(Schema):
    month: dt.date
    value_score: Decimal | None
    tier: str
    tier_prev: str
    tier_reason: str
    breakdown: dict[str, Any]


class RunIn(Schema):
    month: str  # YYYY-MM


class RunOut(Schema):
    id: int
    month: dt.date
    status: str
    current_step: str
    backend: str
    value_model: str
    steps: list[dict[str, Any]]
    counts: dict[str, Any]
    started_at: dt.datetime
    finished_at: dt.datetime | None


@router.get("/rules", response=list[RuleOut], summary="规则列表")
def list_rules(request: AuthedRequest) -> Any:
    _reader(request)
    return rules_all()


@router.post("/rules/preview", response=PreviewOut, summary="校验并预览规则（不保存）")
def preview_rule(request: AuthedRequest, payload: PreviewIn) -> Any:
    user = _reader(request)
    try:
        p = rule_preview(user=user, expression=payload.expression)
    except ValidationError as err:
        return {"valid": False, "error": _message(err)}
    sample = [{"id": c.pk, "code": c.code, "name": c.name, "tier": c.tier} for c in p.sample]
    return {"valid": True, "month": p.month, "count": p.count, "features": p.features, "sample": sample}


@router.get("/rules/{code}", response=RuleOut, summary="规则详情")
def get_rule(request: AuthedRequest, code: str) -> Any:
    _reader(request)
    rule = rule_by_code(code)
    if rule is None:
        raise Http404("规则不存在。")
    return rule


@router.put(
    "/rules/{code}",
    response=RuleOut,
    summary="新建规则或保存新版本",
    description="表达式无效时返回 422 与中文说明，不保存任何内容。",
)
def put_rule(request: AuthedRequest, code: str, payload: RuleIn) -> Any:
    user = _reader(request)
    try:
        return rule_save(by=user, code=code, **payload.dict())
    except PermissionDenied as err:
        raise HttpError(403, "只有营销策划或省公司管理员可以修改规则。") from err
    except ValidationError as err:
        raise HttpError(422, _message(err)) from err


@router.get("/customers/{customer_id}/alerts", response=list[AlertOut], summary="客户的预警")
def customer_alerts(request: AuthedRequest, customer_id: int, status: str = "open") -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    return alerts_of(customer, status=status)


@router.get("/customers/{customer_id}/snapshots", response=list[SnapshotOut], summary="客户的月度价值评估与等级历史")
def customer_snapshots(request: AuthedRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    return snapshots_of(customer)


@router.get("/runs", response=list[RunOut], summary="月度运行记录")
def list_runs(request: AuthedRequest) -> Any:
    _reader(request)
    return month_runs(100)


@router.post(
    "/runs",
    response=RunOut,
    summary="启动月度运行（省公司管理员）",
    description="运行在后台进行（zhengqi db_worker）；用 GET /api/runs 查看状态与已完成步骤。",
)
def start_run(request: AuthedRequest, payload: RunIn) -> Any:
    user = _reader(request)
    try:
        month = Month.parse(payload.month).first
    except MonthError as err:
        raise HttpError(422, "月份格式应为 YYYY-MM，例如 2026-10。") from err
    if f"{month:%Y-%m}" not in Lake(settings.ZHENGQI_LAKE).months("customer_month"):
        raise HttpError(422, "数据湖中缺少该月的数据。")
    try:
        return month_run_enqueue(month=month, by=user)
    except PermissionDenied as err:
        raise HttpError(403, "只有省公司管理员可以启动月度运行。") from err


class ChurnModelOut(Schema):
    version: str
    as_of: str
    created_at: str
    active: bool
    customer_roc_auc: float | None = None
    customer_lift: float | None = None
    member_roc_auc: float | None = None


class ChurnOut(Schema):
    month: dt.date
    risk: float
    band: str
    reasons: list[str]
    members_expected_lost_3m: float | None = None


@router.get("/churn/models", response=list[ChurnModelOut], summary="流失模型库中的版本")
def churn_model_list(request: AuthedRequest) -> Any:
    _reader(request)
    out = []
    for card in churn_models():
        backtest = card.get("backtest") or {}
        out.append(
            {
                "version": card["version"],
                "as_of": card["as_of"],
                "created_at": card["created_at"],
                "active": card["active"],
                "customer_roc_auc": (backtest.get("customer") or {}).get("roc_auc"),
                "customer_lift": (backtest.get("customer") or {}).get("lift"),
                "member_roc_auc": (backtest.get("member") or {}).get("roc_auc"),
            }
        )
    return out


@router.get(
    "/churn/models/{version}",
    response=dict[str, Any],
    summary="流失模型卡：回测指标、校准曲线、重要特征、训练窗口、参数与库版本",
)
def churn_model_get(request: AuthedRequest, version: str) -> Any:
    _reader(request)
    try:
        return churn_model_card(version)
    except ValidationError as err:
        raise HttpError(404, _message(err)) from err


@router.get(
    "/churn/capacity",
    response=dict[str, Any],
    summary="流失预警阈值：走访能力、高风险阈值、覆盖的预计流失客户（按行级权限；未评分时 month 为空）",
)
def churn_capacity(request: AuthedRequest) -> Any:
    _reader(request)
    view = capacity_view(request.user)
    return {**view, "month": view["month"].strftime("%Y-%m") if view["month"] else None}


@router.post("/churn/models/{version}/activate", response=ChurnModelOut, summary="启用流失模型版本（省公司管理员）")
def churn_model_activate_api(request: AuthedRequest, version: str) -> Any:
    user = _reader(request)
    try:
        churn_model_activate(by=user, version=version)
    except PermissionDenied as err:
        raise HttpError(403, "只有省公司管理员可以启用流失模型版本。") from err
    except ValidationError as err:
        raise HttpError(404, _message(err)) from err
    return next(m for m in churn_model_list(request) if m["version"] == version)


@router.get(
    "/customers/{customer_id}/churn",
    response=ChurnOut,
    summary="客户的流失风险与原因（最近一次评分的月份）",
    description="没有评分时返回 404。",
)
def customer_churn(request: AuthedRequest, customer_id: int) -> Any:
    customer = customer_get(user=request.user, pk=customer_id)
    view = churn_view(latest_churn_snapshot(customer))
    if view is None:
        raise HttpError(404, "该客户还没有流失风险评分。")
    return {
        "month": view.month,
        "risk": view.risk,
        "band": view.band,
        "reasons": view.reasons,
        "members_expected_lost_3m": view.expected_lost,
    }
