"""The demo province's service desk: departments with their logins and routing, requests of the
last two months in every state (some overdue and escalated), yearly survey answers."""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db import transaction
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer

from .models import (
    Department,
    RequestEvent,
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


def demo_customers() -> list[Customer]:
    """The customers the demo's requests, surveys and competitor moves touch: the demo account
    manager's first dozen in service, then other managers' customers."""
    am = User.objects.filter(username="am").first()
    mine = list(
        Customer.objects.filter(account_manager=am, status=Customer.Status.ACTIVE).order_by("code")[:12] if am else []
    )
    others = list(
        Customer.objects.filter(status=Customer.Status.ACTIVE, account_manager__isnull=False)
        .exclude(account_manager=am)
        .order_by("code")[:40]
    )
    return mine + others


def wipe() -> None:
    Survey.objects.all().delete()
    RequestEvent.objects.all().delete()
    ServiceRequest.objects.all().delete()
    RoutingRule.objects.all().delete()
    Department.objects.all().delete()


def load(now: dt.datetime | None = None) -> None:
    admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN).order_by("pk").first()
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

        customers = demo_customers()
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
