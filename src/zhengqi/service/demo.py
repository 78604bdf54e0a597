"""The demo province's service desk and competition: departments with their logins and routing,
requests of the last two months in every state (some overdue and escalated), yearly survey answers,
response plans, and competitor events waiting for a manager to launch a plan on them."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, Product
from zhengqi.insight.models import COMPETITOR_CODE, Alert
from zhengqi.marketing.models import Task

from .competition import EventInput, PlanInput, event_save, plan_save
from .models import (
    CompetitorEvent,
    Department,
    RequestEvent,
    ResponsePlan,
    RoutingRule,
    ServiceRequest,
    Survey,
)
from .requests import RequestInput, request_close, request_create, request_resolve, supervise

DEPARTMENTS = [
    # code, name, kind, member login, request types routed here province-wide
    ("KF", "集团客户响应中心", "service", "dept", ["complaint"]),
    ("NET", "网络支撑部", "network", "network", ["fault"]),
    ("BIL", "计费支撑中心", "billing", "billing", ["billing"]),
    ("DLV", "交付与产品支撑部", "delivery", "network", ["delivery", "change"]),
]
REQUESTS = [
    ("complaint", "专线多次中断，要求赔偿"),
    ("complaint", "集团短信发送延迟，影响通知"),
    ("fault", "办公楼 3 层宽带无法上网"),
    ("fault", "集团总机部分分机无法外呼"),
    ("billing", "本月账单专线费用重复收取"),
    ("billing", "V网套餐优惠未生效"),
    ("delivery", "新增 20 条专线开通进度"),
    ("change", "企业邮箱扩容至 500 个账号"),
]
PLANS = [
    ("专线防流失：续约让利", "", ["LINE", "BB"], "续约两年专线月费 9 折，免费提速一档", "强调网络质量与 7×24 小时保障"),
    ("终端竞争应对：购机补贴", "unicom", ["VNET", "GSMS"], "成员新购终端补贴 300 元/台，V网内通话免费", ""),
    ("云业务竞争应对", "telecom", ["CLOUD", "IDC"], "云主机首年 7 折，迁移服务免费", "本地机房、就近服务"),
]
EVENTS = [
    ("telecom", "offer", "专线 8 折并赠送三年免费维护"),
    ("unicom", "handset", "成员办理融合套餐送 5G 手机"),
    ("telecom", "visit", "对手政企经理上门拜访信息中心主任"),
    ("unicom", "bid", "参与办公楼宽带改造项目投标"),
]


def wipe() -> None:
    Alert.objects.filter(rule_code=COMPETITOR_CODE).delete()
    CompetitorEvent.objects.all().delete()
    ResponsePlan.objects.all().delete()
    Survey.objects.all().delete()
    RequestEvent.objects.all().delete()
    ServiceRequest.objects.all().delete()
    RoutingRule.objects.all().delete()
    Department.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
    planner = User.objects.filter(username="planner").first()
    head = User.objects.filter(username="dept_head").first()
    if admin is None or not Customer.objects.exists():
        return
    now = now or timezone.now()
    rng = np.random.default_rng(11)
    with transaction.atomic():
        for code, name, kind, login, types in DEPARTMENTS:
            department = Department.objects.create(code=code, name=name, kind=kind, head=head)
            member = User.objects.filter(username=login).first()
            if member is not None:
                department.members.add(member)
            for request_type in types:
                RoutingRule.objects.create(request_type=request_type, department=department)

        am = User.objects.filter(username="am").first()
        mine = list(
            Customer.objects.filter(account_manager=am, status=Customer.Status.ACTIVE).order_by("code")[:12]
            if am
            else []
        )
        others = list(
            Customer.objects.filter(status=Customer.Status.ACTIVE, account_manager__isnull=False)
            .exclude(account_manager=am)
            .order_by("code")[:40]
        )
        customers = mine + others
        for k, customer in enumerate(customers[:30]):
            request_type, title = REQUESTS[k % len(REQUESTS)]
            worker = customer.account_manager
            assert worker is not None
            stage = k % 5
            age = dt.timedelta(days=int(rng.integers(3, 61)), hours=int(rng.integers(0, 13)))
            if stage == 3:
                age = dt.timedelta(hours=int(rng.integers(1, 11)))  # accepted today: within its deadline
            created = request_create(
                by=worker,
                data=RequestInput(customer_id=customer.pk, request_type=request_type, title=title),
                now=now - age,
            )
            if stage == 4 and age > dt.timedelta(days=5):
                continue  # left open, overdue: escalated by supervise() below
            if stage == 3:
                continue  # open, recent
            resolver = created.department.members.first() or admin
            resolved = request_resolve(
                by=resolver, request=created, resolution="已现场排查处理，恢复正常并向客户说明原因。"
            )
            if stage == 2:
                continue  # resolved, waiting for the account manager's call
            request_close(by=worker, request=resolved, satisfied=k % 7 != 0, feedback="客户确认已解决。")
        supervise(now)

        for k, customer in enumerate(customers):
            if k % 3 == 0:
                Survey.objects.create(
                    customer=customer,
                    kind=Survey.Kind.YEARLY,
                    date=(now - dt.timedelta(days=int(rng.integers(20, 201)))).date(),
                    satisfied=bool(rng.random() < 0.8),
                    score=int(rng.integers(2, 6)),
                    created_by=customer.account_manager,
                )

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
        for k, (operator, kind, summary) in enumerate(EVENTS):
            touched = customers[k * 3 : k * 3 + 3]
            if not touched:
                break
            recorder = touched[0].account_manager or admin
            event_save(
                by=admin if len({c.account_manager_id for c in touched}) > 1 else recorder,
                data=EventInput(
                    operator=operator,
                    kind=kind,
                    summary=summary,
                    date=(now - dt.timedelta(days=10 + 12 * k)).date(),
                    customer_codes=[c.code for c in touched],
                    evidence="客户经理走访时客户转述",
                ),
            )
        # The demo's tasks from competitor alerts are due from today, not the generation day.
        Task.objects.filter(rule_code=COMPETITOR_CODE).update(due=timezone.localdate() + dt.timedelta(days=3))
