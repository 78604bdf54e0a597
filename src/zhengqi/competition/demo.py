"""The demo province's competition: response plans prepared by the planner and competitor moves on
the same customers as the service demo, each raising its prevention alerts and tasks; the serious
ones with their quick-reaction teams — answered in time, answered late, one escalated, one fresh."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Product
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import COMPETITOR_CODE, Alert
from zhengqi.support.demo import demo_customers

from .models import CompetitorEvent, ReactionPolicy, ReactionTeam, ResponsePlan
from .reaction import policy, step_done, supervise_teams
from .services import EventInput, PlanInput, event_save, plan_save

PLANS = [
    ("专线防流失：续约让利", "", ["LINE", "BB"], "续约两年专线月费 9 折，免费提速一档", "强调网络质量与 7×24 小时保障"),
    ("终端竞争应对：购机补贴", "unicom", ["VNET", "GSMS"], "成员新购终端补贴 300 元/台，V网内通话免费", ""),
    ("云业务竞争应对", "telecom", ["CLOUD", "IDC"], "云主机首年 7 折，迁移服务免费", "本地机房、就近服务"),
]
# operator, move, content, severity, days ago, hours to the first response (None: not yet), steps done
EVENTS = [
    ("telecom", "offer", "专线 8 折并赠送三年免费维护", "critical", 10, 5, 5),
    ("unicom", "handset", "成员办理融合套餐送 5G 手机", "major", 22, 31, 3),
    ("telecom", "visit", "对手政企经理上门拜访信息中心主任", "normal", 34, None, 0),
    ("unicom", "bid", "参与办公楼宽带改造项目投标", "major", 46, 12, 5),
    ("broadnet", "price", "有线专网报价比我方低 30%", "critical", 3, None, 0),
    ("telecom", "offer", "云主机免费试用一年", "major", 0, None, 0),
]


def wipe() -> None:
    Alert.objects.filter(rule_code=COMPETITOR_CODE).delete()
    CompetitorEvent.objects.all().delete()  # with their teams
    ResponsePlan.objects.all().delete()
    ReactionPolicy.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    planner = User.objects.filter(username="planner").first()
    if admin is None:
        return
    now = now or timezone.now()
    customers = demo_customers()
    with transaction.atomic():
        policy()  # the province's quick-reaction rule: 较大 and above, first response within 24 hours
        plans = []
        products = set(Product.objects.values_list("code", flat=True))
        for name, operator, codes, offer, message in PLANS:
            plans.append(
                plan_save(
                    by=planner or admin,
                    data=PlanInput(
                        name=name,
                        operator=operator,
                        product_codes=[c for c in codes if c in products],
                        offer=offer,
                        message=message,
                    ),
                )
            )
        for k, (operator, kind, summary, severity, days, answer_hours, done) in enumerate(EVENTS):
            touched = customers[k * 3 : k * 3 + 3]
            if not touched:
                break
            recorder = touched[0].account_manager or admin
            at = now - dt.timedelta(days=days, hours=2)
            event, _opened = event_save(
                by=admin if len({c.account_manager_id for c in touched}) > 1 else recorder,
                data=EventInput(
                    operator=operator,
                    kind=kind,
                    summary=summary,
                    date=at.date(),
                    customer_codes=[c.code for c in touched],
                    evidence="客户经理走访时客户转述",
                    severity=severity,
                ),
                now=at,
            )
            team = ReactionTeam.objects.filter(event=event).first()
            if team is None or answer_hours is None:
                continue
            for n, step in enumerate(team.steps.order_by("position")[:done]):
                by = team.engineer if n == 1 and team.engineer else team.manager if n == 2 and team.manager else None
                step_done(
                    by=by or team.account_manager,
                    team=team,
                    step_id=step.pk,
                    note="已电话联系客户信息中心主任" if n == 0 else "",
                    now=min(now, at + dt.timedelta(hours=answer_hours + 20 * n)),
                )
        supervise_teams(now)
        # The demo's tasks from competitor alerts are due from today, not the generation day.
        Task.objects.filter(rule_code=COMPETITOR_CODE).update(due=timezone.localdate() + dt.timedelta(days=3))
