"""Tasks from alerts at the month run, and the workbench that shows them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.marketing.models import Task
from zhengqi.marketing.tasks.services import DUE_DAYS, task_close
from zhengqi.scoring.models import TASK_FAMILIES, Alert
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_one_task_per_alert_worth_a_task_for_the_customers_manager() -> None:
    run = month_run(month=OCT)
    tasks = {(t.customer_id, t.rule_code): t for t in Task.objects.filter(source="alert", issued_month=OCT)}
    assert len(tasks) == run.counts["tasks_created"] > 0
    alerts = {(a.customer_id, a.rule_code): a for a in Alert.objects.filter(status="open").select_related("customer")}
    today = timezone.localdate()
    for key, task in tasks.items():
        alert = alerts[key]
        assert alert.family in TASK_FAMILIES  # 维系/提升 hits mark the customer, they make no task
        if alert.customer.account_manager_id is not None:
            assert task.assignee_id == alert.customer.account_manager_id
        else:  # nobody looks after the customer (a prospect): the regional manager's queue
            assert task.assignee.role == "regional_manager"
            assert alert.customer.region.path.startswith(task.assignee.region.path)
        assert task.due == today + dt.timedelta(days=DUE_DAYS[alert.severity])
    assert (
        run.counts["alerts_marked"] == Alert.objects.filter(first_month=OCT, family__in=["maintain", "uplift"]).count()
    )
    month_run(month=OCT)  # a re-run creates no second task
    assert Task.objects.filter(source="alert", issued_month=OCT, status="open").count() == len(tasks)


def test_closing_needs_an_outcome(cast: Cast) -> None:
    month_run(month=OCT)
    task = Task.objects.filter(assignee=cast.am, status="open").first()
    assert task is not None
    with pytest.raises(ValidationError) as err:
        task_close(task=task, by=cast.am, outcome="  ")
    assert "需要填写处理结果" in str(err.value)
    task_close(task=task, by=cast.am, outcome="已上门拜访，客户同意续约")
    task.refresh_from_db()
    assert task.status == "done" and task.closed_at is not None


def test_workbench_shows_own_tasks_and_closes_them(cast: Cast) -> None:
    month_run(month=OCT)
    client = client_for(cast.am)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/workbench/").content.decode()
    # A fixed budget (no query per task or customer): the lists, the cards, the KPI card (9 aggregates)
    # the service requests card (supervision, counts, and its two lists when they hold anything), and
    # the visits the tiers want (the customers with their last visit, the cycles, the tier moves).
    assert len(ctx.captured_queries) <= 35
    mine = Task.objects.filter(assignee=cast.am, status="open").select_related("customer")
    for task in mine[:5]:
        assert task.customer.name in page
    theirs = Task.objects.exclude(assignee=cast.am).first()
    assert theirs is not None
    assert client.post(f"/marketing/tasks/{theirs.pk}/close/", {"outcome": "x"}).status_code == 404
    task = mine.first()
    refused = client.post(f"/marketing/tasks/{task.pk}/close/", {"outcome": ""}).content.decode()
    assert "需要填写处理结果" in refused
    done = client.post(f"/marketing/tasks/{task.pk}/close/", {"outcome": "电话沟通，问题已解决"}).content.decode()
    assert "电话沟通，问题已解决" in done
    assert 'data-testid="my-kpi"' in page and "—" in page  # no revenue target set: no invented completion


def test_customer_page_queries_do_not_grow_with_interactions_or_contracts(cast: Cast) -> None:
    from decimal import Decimal

    from zhengqi.customers.models import Contract, Customer
    from zhengqi.customers.versions import customers_changed
    from zhengqi.marketing.models import Interaction

    month_run(month=OCT)
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert customer is not None
    client = client_for(cast.am)

    def queries() -> int:
        customers_changed([customer.pk])  # the page rendered afresh, as after an edit
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"/customers/{customer.pk}/").status_code == 200
        return len(ctx.captured_queries)

    people = list(customer.key_persons.all())

    def add(i: int) -> None:
        visit = Interaction.objects.create(customer=customer, by=cast.am, date=OCT, summary=f"第 {i} 次拜访")
        visit.key_persons.set(people)
        Contract.objects.create(customer=customer, number=f"HT-Q-{i}", start=OCT, end=OCT, amount=Decimal("1.00"))

    add(0)  # one of each, so that every prefetch runs once
    queries()  # the first view fills per-process caches (content types): count from the second
    before = queries()
    for i in range(1, 15):
        add(i)
    assert (
        queries() == before <= 40
    )  # 30, the cards of service, satisfaction, competition, deals, campaigns, the kit, the entitlements


def test_workbench_lists_this_months_birthdays_and_anniversaries(cast: Cast) -> None:
    from zhengqi.customers.models import Customer, KeyPerson, Subscription

    today = timezone.localdate()
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert customer is not None
    person = KeyPerson.objects.create(customer=customer, name="生日测试人", birthday=today.replace(year=1980, day=1))
    other_month = KeyPerson.objects.create(
        customer=customer, name="别月生日人", birthday=today.replace(year=1980, day=1, month=today.month % 12 + 1)
    )
    sub = Subscription.objects.filter(customer=customer).first()
    assert sub is not None
    Subscription.objects.filter(pk=sub.pk).update(
        start=today.replace(year=today.year - 3, day=1), status="active", end=None
    )
    page = client_for(cast.am).get("/workbench/").content.decode()
    assert person.name in page and other_month.name not in page
    assert "开通 3 周年" in page
    assert str(person.birthday) not in page  # the full date of birth is personal data: not shown
