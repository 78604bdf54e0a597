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
    SupportTarget,
    Survey,
)
from .requests import (
    RequestInput,
    request_close,
    request_create,
    request_reopen,
    request_resolve,
    request_transfer,
    supervise,
)
from .tiers import install_defaults

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
    SupportTarget.objects.all().delete()
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
        install_defaults()  # the catalogue of service by tier (a province's own rows are kept)
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
                by=resolver,
                request=created,
                resolution="已现场排查处理，恢复正常并向客户说明原因。",
                now=min(now, created.created_at + dt.timedelta(hours=int(rng.integers(2, 60)))),
            )
            if stage == 2:
                continue  # resolved, waiting for the account manager's call
            request_close(by=worker, request=resolved, satisfied=k % 7 != 0, feedback="客户确认已解决。", now=now)
        supervise(now)
        _history(customers, admin, now, rng)
        _targets(admin, now)

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


# Misrouted requests the demo passes on: (type, title, the department code that should have it).
TRANSFERS = [
    ("complaint", "投诉专线月费比合同约定高", "BIL"),
    ("billing", "账单显示的专线带宽与实际不符", "NET"),
    ("fault", "新开通的专线一直未交付测试", "DLV"),
]


def _history(customers: list[Customer], admin: User, now: dt.datetime, rng: np.random.Generator) -> None:
    """Four months of closed requests for the departments' assessment: each department with its own
    pace (hours to resolve), some passed on to the right department, some sent back by the customer."""
    pace = {"KF": (4, 40), "NET": (2, 30), "BIL": (10, 90), "DLV": (20, 160)}
    departments = {d.code: d for d in Department.objects.all()}
    for k in range(140):
        customer = customers[k % len(customers)]
        worker = customer.account_manager
        assert worker is not None
        created_at = now - dt.timedelta(days=int(rng.integers(12, 125)), hours=int(rng.integers(0, 10)))
        moved = k % 9 == 0
        request_type, title = (
            (TRANSFERS[k % len(TRANSFERS)][0], TRANSFERS[k % len(TRANSFERS)][1])
            if moved
            else REQUESTS[k % len(REQUESTS)]
        )
        made = request_create(
            by=worker,
            data=RequestInput(customer_id=customer.pk, request_type=request_type, title=title),
            now=created_at,
        )
        clock = created_at
        if moved:
            clock += dt.timedelta(hours=int(rng.integers(2, 20)))
            target = departments[TRANSFERS[k % len(TRANSFERS)][2]]
            made = request_transfer(
                by=made.department.members.first() or admin,
                request=made,
                to_department_id=target.pk,
                reason="诉求属于本部门职责之外，转至对口部门处理",
                now=clock,
            )
        low, high = pace.get(made.department.code, (4, 60))
        clock += dt.timedelta(hours=int(rng.integers(low, high)))
        resolver = made.department.members.first() or admin
        made = request_resolve(by=resolver, request=made, resolution="已处理并与客户确认。", now=clock)
        if k % 11 == 3:  # the customer says it is not fixed: back to the department, resolved again
            clock += dt.timedelta(hours=20)
            made = request_reopen(by=worker, request=made, reason="客户反映问题仍然存在", now=clock)
            clock += dt.timedelta(hours=int(rng.integers(4, 30)))
            made = request_resolve(by=resolver, request=made, resolution="更换设备后恢复正常。", now=clock)
        clock += dt.timedelta(hours=int(rng.integers(6, 48)))
        happy = bool(rng.random() < (0.75 if made.department.code == "DLV" else 0.92))
        request_close(
            by=worker,
            request=made,
            satisfied=happy,
            score=int(rng.integers(4, 6)) if happy else int(rng.integers(1, 4)),
            feedback="" if happy else "处理太慢",
            now=min(now, clock),
        )
    supervise(now)


def _targets(admin: User, now: dt.datetime) -> None:
    """The province's targets for the year: all departments, and a stricter one for billing."""
    from .assessment import target_set

    for year in {now.year, (now - dt.timedelta(days=125)).year}:
        for metric, value in (("on_time", "90%"), ("hours", "48"), ("reopen", "5%"), ("satisfaction", "90%")):
            target_set(by=admin, year=year, metric=metric, value=value)
        billing = Department.objects.filter(code="BIL").first()
        if billing is not None:
            target_set(by=admin, year=year, metric="on_time", value="95%", department_id=billing.pk)
