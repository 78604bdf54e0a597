"""The portal's pages, composed from the domains' panel selectors: the workbench and its API twin
give the same numbers; the customer's 360° page costs a fixed number of queries however much each
domain holds about the customer; the month run's alerts reach the account managers as tasks through
the portal's wiring."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.competition.services import EventInput, event_save
from zhengqi.customers.models import Customer
from zhengqi.customers.versions import customers_changed
from zhengqi.marketing.models import Campaign, CampaignTarget, Opportunity, Task
from zhengqi.scoring.month_run import month_run
from zhengqi.scoring.signals import alerts_opened
from zhengqi.support.models import Department, RoutingRule, Survey
from zhengqi.support.requests import RequestInput, request_create

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_month_runs_alerts_become_tasks_through_the_portals_wiring(cast: Cast) -> None:
    assert alerts_opened.has_listeners()
    before = Task.objects.filter(source="alert").count()
    run = month_run(month=OCT)
    assert run.counts["tasks_created"] == Task.objects.filter(source="alert").count() - before > 0


@pytest.mark.parametrize("who", ["am", "district_manager", "admin"])
def test_the_workbench_and_its_api_twin_agree(cast: Cast, who: str) -> None:
    month_run(month=OCT)
    user = getattr(cast, who)
    client = client_for(user)
    page = client.get("/workbench/")
    assert page.status_code == 200
    answer = client.get("/api/workbench").json()
    context = page.context
    assert answer["tasks"] == context["counts"]
    assert answer["new_alerts"]["total"] == context["new_alerts"][1]
    assert answer["expiring"]["total"] == context["expiring"][1]
    assert answer["tiers"] == context["tiers"]
    assert answer["approvals"] == context["approval_count"]
    assert answer["churn_risks"] == [c.name for c, _view in context["churn_risks"]]
    # Content, not only status: nothing of another account manager's customers.
    if who == "am":
        theirs = set(Customer.objects.filter(account_manager=cast.other_am).values_list("name", flat=True))
        assert not theirs & set(answer["new_alerts"]["shown"])
        assert not theirs & set(answer["churn_risks"])


def test_the_360_page_costs_the_same_queries_however_much_each_domain_holds(cast: Cast) -> None:
    month_run(month=OCT)
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    if not RoutingRule.objects.filter(request_type="complaint").exists():
        desk = Department.objects.create(code="T-KF", name="响应中心", kind="service")
        RoutingRule.objects.create(request_type="complaint", department=desk)
    campaign = Campaign.objects.create(
        name="测试活动", start=OCT, end=OCT + dt.timedelta(days=30), segment="1 = 1", seed=7, created_by=cast.admin
    )
    client = client_for(cast.am)

    def queries(*, cached: bool = False) -> int:
        if not cached:
            customers_changed([customer.pk])  # the page rendered afresh, as after an edit
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/customers/{customer.pk}/").status_code == 200
        return len(ctx.captured_queries)

    def add(i: int) -> None:
        request_create(
            by=cast.am, data=RequestInput(customer_id=customer.pk, request_type="complaint", title=f"第 {i} 次")
        )
        Survey.objects.create(customer=customer, kind=Survey.Kind.YEARLY, date=OCT, satisfied=i % 2 == 0)
        event_save(
            by=cast.am,
            data=EventInput(
                operator="telecom", kind="visit", summary=f"对手第 {i} 次拜访", date=OCT, customer_codes=[customer.code]
            ),
        )
        Opportunity.objects.create(
            customer=customer, owner=cast.am, name=f"商机 {i}", expected_revenue=Decimal("1000"), close_date=OCT
        )
        if i == 0:
            CampaignTarget.objects.create(campaign=campaign, customer=customer, account_manager=cast.am)

    add(0)  # one of each, so that every panel's queries run once
    queries()  # the first view fills per-process caches (content types): count from the second
    before = queries()
    for i in range(1, 8):
        add(i)
    assert queries() == before <= 40
    # Seen again before anything changed, the panels come from the cache: the page's own record,
    # the forms' key persons and the live service card, the session, the user, the bell.
    assert queries(cached=True) <= 12 < before
