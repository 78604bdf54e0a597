"""The main menu: at most seven groups (工作台, 客户, 营销, 洞察, 渠道, 服务, 管理), each item shown only
to the roles the role matrix lets in — the menu never offers a page that would answer 404."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from . import matrix
from .models import User


@dataclass(frozen=True)
class Item:
    route: str
    label: Promise
    label_for: tuple[tuple[str, Promise], ...] = ()  # another label for a role

    def text(self, role: str) -> str:
        return str(dict(self.label_for).get(role, self.label))


MENU: tuple[tuple[Promise, tuple[Item, ...]], ...] = (
    (_("工作台"), (Item("portal:workbench", _("工作台")),)),
    (
        _("客户"),
        (
            Item("customers:list", _("集团客户")),
            Item("scoring:segments", _("客户细分")),
            Item("customers:registrations", _("集团客户认定")),
            Item("customers:changes", _("资料变更申请")),
            Item("customers:portfolio", _("客户经理")),
            Item("customers:duplicates", _("客户去重")),
        ),
    ),
    (
        _("营销"),
        (
            Item("marketing:tasks", _("任务")),
            Item("marketing:opportunities", _("商机")),
            Item("marketing:pipeline", _("商机管道")),
            Item("marketing:campaigns", _("营销活动")),
            Item("marketing:kit", _("营销工具包")),
            Item("marketing:referrals", _("全员营销推荐")),
        ),
    ),
    (
        _("洞察"),
        (
            Item("insight:dashboards", _("客户洞察")),
            Item("insight:brief", _("重要客户日报/周报")),
            Item("insight:report", _("经营分析报告")),
            Item("insight:kpi", _("客户经理考核")),
            Item("insight:talent", _("客户经理培养")),
        ),
    ),
    (_("渠道"), (Item("partners:partners", _("代理商")), Item("partners:mine", _("我的业务与结算")))),
    (
        _("服务"),
        (
            Item("support:requests", _("服务请求"), (("department", _("我的工单队列")),)),
            Item("competition:activity", _("竞争动向")),
            Item("competition:tariffs", _("终端与资费")),
            Item("marketing:tiers", _("分层服务")),
            Item("support:assessment", _("支撑部门考核")),
        ),
    ),
    (
        _("管理"),
        (
            Item("scoring:rules", _("规则")),
            Item("scoring:value_model", _("价值模型")),
            Item("scoring:churn_model", _("流失模型")),
            Item("scoring:runs", _("月度运行")),
            Item("imports:index", _("数据导入")),
            Item("notifications:schedules", _("定时任务")),
            Item("audit", _("审计日志")),
            Item("notifications:settings", _("通知设置")),
            Item("tokens", _("API 令牌")),
        ),
    ),
)


@dataclass(frozen=True)
class Link:
    url: str
    text: str


def menu_for(user: User) -> list[tuple[str, list[Link]]]:
    """The groups the user has something in, each with its items (a one-item group is one link)."""
    return menu_for_role(matrix.role_of(user))


def menu_for_role(role: str) -> list[tuple[str, list[Link]]]:
    """The menu of a role of the matrix (``matrix.role_of``)."""
    groups = []
    for title, items in MENU:
        links = [Link(reverse(i.route), i.text(role)) for i in items if matrix.may(role, matrix.PAGES[i.route])]
        if links:
            groups.append((str(title), links))
    return groups
