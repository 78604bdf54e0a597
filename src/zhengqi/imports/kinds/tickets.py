"""导入“投诉与服务工单”（``tickets``）: the columns a file of it holds, and the writer that puts its rows
into the web database."""

from __future__ import annotations

from typing import Any

from zhengqi.imports.schemas import (
    Column,
    Kind,
    ParsedRow,
    Problem,
    boolean,
    choice,
    code,
    existing_customer,
    past_date,
    text,
)
from zhengqi.imports.writing import Counts
from zhengqi.support.requests import Ticket, import_tickets

KIND = Kind(
    name="tickets",
    label="投诉与服务工单",
    target="web",
    key=("ticket",),
    description="运营商投诉（客服）系统导出的工单，每个工单一行；按工单号新增或更新。客户经理在本系统受理时填了同一工单号的请求"
    "不会重复生成，只更新其处理结果，月度运行的投诉数因此不会重复计算。填了“是否满意”的工单视为已回访关闭。",
    columns=(
        Column("ticket", "工单号", code(40), required=True, aliases=("投诉单号", "工单编号")),
        Column("customer_code", "客户编码", existing_customer, required=True),
        Column(
            "request_type",
            "类型",
            choice(
                [
                    ("fault", "故障"),
                    ("billing", "计费"),
                    ("delivery", "交付"),
                    ("change", "变更"),
                    ("complaint", "投诉"),
                ]
            ),
            aliases=("工单类型",),
        ),
        Column("created", "受理日期", past_date, required=True, aliases=("受理时间", "投诉日期")),
        Column("title", "内容", text(200), required=True, aliases=("投诉内容", "标题")),
        Column("resolved", "办结日期", past_date, aliases=("办结时间",)),
        Column("resolution", "处理结果", text(2000)),
        Column("satisfied", "是否满意", boolean, aliases=("客户满意",)),
    ),
)


def write(kind: Kind, rows: list[ParsedRow], problems: list[Problem], *, dry_run: bool, **_: Any) -> Counts:
    tickets = [Ticket(line=r.line, **r.values) for r in rows]
    counts, refused = import_tickets(tickets, dry_run=dry_run)
    problems.extend(Problem(line, column, value, reason) for line, column, value, reason in refused)
    return counts
