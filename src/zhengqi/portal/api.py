"""The portal's API twins: the same selectors as its pages (the workbench, the workload page)."""

import datetime as dt
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from zhengqi.accounts.requests import AuthedRequest
from zhengqi.customers.api import CustomerOut, CustomerQuery
from zhengqi.customers.selectors import CustomerFilter
from zhengqi.insight.figures import FilterError
from zhengqi.marketing.tasks.selectors import manager_workload
from zhengqi.web.pagination import Pages

from .customer_list import DRILL_PARAMS, SignalFilter, customer_list_file, customers_by_signal, drill_from
from .selectors import workbench

router = Router()


class WorkloadOut(Schema):
    manager_id: int = Field(..., alias="manager.pk")
    manager_name: str = Field(..., alias="manager.display_name")
    grade: int | None = Field(None, alias="manager.grade")
    customers: int
    by_tier: dict[str, int]
    revenue: Decimal
    open_tasks: int
    overdue_tasks: int


class CustomerSignalQuery(CustomerQuery):
    rule: str = Field("", description="规则编码：命中该规则（任一版本）的客户")
    family: str = Field("", description="因子族：develop / maintain / retain / uplift / prevent")
    alert_status: str = Field("", description="预警状态：空（默认，未处理）/ resolved / any")
    churn_band: str = Field("", description="最近一次评分的流失风险：high / medium / low")
    tier_from: str = Field("", description="最近一次月度运行的等级变动：原等级")
    tier_to: str = Field("", description="最近一次月度运行的等级变动：新等级")
    open_task: str = Field("", description="yes 有未完成任务 / no 没有")
    no_manager: bool = Field(False, description="只看没有客户经理的客户")
    campaign: int | None = Field(None, description="营销活动 id：该活动的目标客户（含对照组）")
    month: str = Field("", description="看板下钻：月份 YYYY-MM（与下列看板条件一起，同 /api/insight/customers）")
    billed: str = ""
    product: str = ""
    product2: str = ""
    expiry: str = ""
    idle: str = ""
    idle_share: str = ""
    arrears: str = ""
    depth: str = ""
    tier_prev: str = ""
    measure: str = ""


@router.get("/customers", response=list[CustomerOut], summary="客户列表（可按信号筛选）")
@paginate(Pages, page_size=50)
def list_customers(request: AuthedRequest, filters: Query[CustomerSignalQuery]) -> object:
    data = filters.dict()
    signals = SignalFilter(**{f.name: data.pop(f.name) for f in fields(SignalFilter)})
    for key in DRILL_PARAMS:
        data.pop(key)
    try:
        drill = drill_from(request.user, request.GET)
    except FilterError as err:
        raise ValidationError(str(err)) from err
    return customers_by_signal(user=request.user, filters=CustomerFilter(**data), signals=signals, drill=drill)


@router.get(
    "/exports/customers",
    summary="导出客户列表（Excel / CSV，筛选条件同客户列表，写入审计日志）",
    description="fmt=xlsx 或 csv；超过 ZHENGQI_EXPORT_MAX_ROWS 行时返回 422 并说明原因。",
)
def export_customers(request: AuthedRequest, filters: Query[CustomerSignalQuery], fmt: str = "xlsx") -> Any:
    # The query string is read by the page's own filter forms (one code path, the filters in words).
    return customer_list_file(request=request, fmt=fmt)


@router.get("/customers/managers/workload", response=list[WorkloadOut], summary="客户经理工作量（区域经理、省公司）")
def workload(request: AuthedRequest) -> object:
    return manager_workload(request.user)


class CountOut(Schema):
    shown: list[str] = Field(description="列表前几项（客户名称）")
    total: int


class WorkbenchOut(Schema):
    today: dt.date
    tasks: dict[str, int] = Field(description="未完成任务数：overdue 逾期、today 今天、week 7 天内、all 全部")
    escalated: int = Field(description="上报给我的逾期任务")
    new_alerts: CountOut
    expiring: CountOut = Field(description="90 天内到期的协议")
    birthdays: CountOut = Field(description="本月生日的关键人（所在客户）")
    anniversaries: CountOut = Field(description="本月入网周年的业务（所在客户）")
    tiers: dict[str, int] = Field(description="在网客户按价值等级")
    churn_risks: list[str] = Field(description="流失风险最高的客户")
    requests_overdue: int
    requests_waiting: int
    approvals: int = Field(description="待我审批：资料变更、集团认定、开发申请、归属争议、酬金结算单")


def _count(panel: tuple[list[object], int]) -> dict[str, object]:
    rows, total = panel
    return {"shown": [str(getattr(r, "customer", r)) for r in rows], "total": total}


@router.get("/workbench", response=WorkbenchOut, summary="工作台：今天要做的事（与工作台页面相同的数字）")
def workbench_summary(request: AuthedRequest) -> dict[str, object]:
    w = workbench(request.user)
    return {
        "today": w["today"],
        "tasks": w["counts"],
        "escalated": len(w["escalated"]),
        "new_alerts": _count(w["new_alerts"]),
        "expiring": _count(w["expiring"]),
        "birthdays": _count(w["birthdays"]),
        "anniversaries": _count(w["anniversaries"]),
        "tiers": w["tiers"],
        "churn_risks": [c.name for c, _view in w["churn_risks"]],
        "requests_overdue": w["requests_overdue"][1],
        "requests_waiting": w["requests_waiting"][1],
        "approvals": w["approval_count"],
    }
