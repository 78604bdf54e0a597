"""The account manager's day beyond alert tasks: manual tasks, escalation, data corrections with
field-level history, bulk reassignment, workload, unmasking personal data with its access log,
and the next products to offer."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer, KeyPerson, Subscription
from zhengqi.customers.selectors import next_products
from zhengqi.customers.services import customers_bulk_assign
from zhengqi.marketing.models import Interaction, Task
from zhengqi.marketing.tasks.selectors import manager_workload
from zhengqi.marketing.tasks.services import task_create, tasks_escalate

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def own_customer(cast: Cast) -> Customer:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").first()
    assert customer is not None
    return customer


# --- interactions with data corrections (F-15) ---------------------------------------------------


def test_correction_in_the_visit_form_keeps_field_level_history(cast: Cast) -> None:
    customer = own_customer(cast)
    old_address = customer.address
    client = client_for(cast.am)
    form = {
        "kind": "visit",
        "date": "2026-11-20",
        "summary": "上门拜访，核实地址",
        "fix-name": customer.name,
        "fix-address": "新区科技大道 88 号",
        "fix-customer_type": customer.customer_type,
        "fix-industry": customer.industry,
        "fix-scale": "large" if customer.scale != "large" else "medium",
        "fix-competitor_operator": customer.competitor_operator,
    }
    assert client.post(f"/marketing/customers/{customer.pk}/interactions/", form).status_code == 302
    customer.refresh_from_db()
    assert customer.address == "新区科技大道 88 号"
    entry = LogEntry.objects.get_for_object(customer).filter(action=LogEntry.Action.UPDATE).latest("timestamp")
    assert entry.actor == cast.am
    assert entry.changes_dict["address"] == [old_address, "新区科技大道 88 号"]
    assert set(entry.changes_dict) == {"address", "scale"}  # only what changed
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "新区科技大道 88 号" in page and "资料变更记录" in page and str(cast.am) in page


def test_a_refused_correction_saves_neither_the_visit_nor_the_change(cast: Cast) -> None:
    customer = own_customer(cast)
    before = Interaction.objects.count()
    form = {
        "kind": "call",
        "date": "2026-11-20",
        "summary": "电话回访",
        "fix-name": "",  # a customer must have a name
        "fix-address": "别处",
        "fix-customer_type": customer.customer_type,
        "fix-industry": customer.industry,
        "fix-scale": customer.scale,
        "fix-competitor_operator": "",
    }
    response = client_for(cast.am).post(f"/marketing/customers/{customer.pk}/interactions/", form, follow=True)
    assert "客户名称" in response.content.decode()
    customer.refresh_from_db()
    assert customer.address != "别处" and Interaction.objects.count() == before


# --- tasks by hand and escalation (F-13) ---------------------------------------------------------


def test_account_manager_sets_a_task_for_themself(cast: Cast) -> None:
    customer = own_customer(cast)
    due = timezone.localdate() + dt.timedelta(days=5)
    response = client_for(cast.am).post(
        f"/marketing/customers/{customer.pk}/tasks/",
        {"title": "准备续约方案", "due": due.isoformat(), "priority": "high"},
        follow=True,
    )
    assert "已创建任务" in response.content.decode()
    task = Task.objects.get(title="准备续约方案")
    assert (task.assignee, task.created_by, task.priority, task.source) == (cast.am, cast.am, "high", "manual")
    theirs = cast.customer_of_other_am()
    assert client_for(cast.am).post(f"/marketing/customers/{theirs.pk}/tasks/", {}).status_code == 404


def test_a_task_due_in_the_past_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="截止日期不能早于今天"):
        task_create(by=cast.am, customer=own_customer(cast), title="x", due=timezone.localdate() - dt.timedelta(1))


def test_overdue_tasks_go_once_to_the_nearest_regional_manager(cast: Cast) -> None:
    customer = own_customer(cast)
    today = timezone.localdate()
    late = Task.objects.create(customer=customer, assignee=cast.am, title="逾期的任务", due=today - dt.timedelta(2))
    on_time = Task.objects.create(customer=customer, assignee=cast.am, title="未到期", due=today)
    assert tasks_escalate(today=today) >= 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    # The district manager sits under the city manager: the nearest one gets it.
    assert customer.region.path.startswith(cast.district_manager.region.path)
    assert late.escalated_to == cast.district_manager and on_time.escalated_to is None
    first = late.escalated_at
    tasks_escalate(today=today)
    late.refresh_from_db()
    assert late.escalated_at == first  # once
    page = client_for(cast.district_manager).get("/workbench/").content.decode()
    assert "上报给我的逾期任务" in page and "逾期的任务" in page


# --- portfolio: bulk reassignment and workload (F-12) -------------------------------------------


def test_bulk_reassignment_is_all_or_nothing(cast: Cast) -> None:
    mine = list(Customer.objects.filter(account_manager=cast.am).order_by("pk")[:3])
    junior = User.objects.create(username="junior_bulk", role="account_manager", region=cast.am.region, grade=1)
    Customer.objects.filter(pk=mine[0].pk).update(tier="A+")
    with pytest.raises(ValidationError) as err:
        customers_bulk_assign(customer_ids=[c.pk for c in mine], to_manager=junior, by=cast.district_manager)
    assert mine[0].name in str(err.value) and "任职资格" in str(err.value)
    assert Customer.objects.filter(pk__in=[c.pk for c in mine], account_manager=cast.am).count() == 3
    Customer.objects.filter(pk__in=[c.pk for c in mine]).update(tier="B")
    response = client_for(cast.district_manager).post(
        "/customers/reassign/",
        {"customer": [c.pk for c in mine], "to_manager": junior.pk, "reason": "均衡工作量", "next": "/customers/"},
        follow=True,
    )
    assert "已将 3 个客户转给" in response.content.decode()
    assert Customer.objects.filter(pk__in=[c.pk for c in mine], account_manager=junior).count() == 3


def test_bulk_reassignment_refuses_customers_out_of_scope(cast: Cast) -> None:
    outside = Customer.objects.exclude(region__path__startswith=cast.district_manager.region.path).first()
    assert outside is not None
    with pytest.raises(ValidationError, match="无权调整"):
        customers_bulk_assign(customer_ids=[outside.pk], to_manager=cast.am, by=cast.district_manager)


def test_workload_counts_each_managers_portfolio(cast: Cast) -> None:
    rows = {r.manager.pk: r for r in manager_workload(cast.city_manager)}
    mine = rows[cast.am.pk]
    assert mine.customers == Customer.objects.filter(account_manager=cast.am, status="active").count()
    assert sum(mine.by_tier.values()) <= mine.customers
    page = client_for(cast.city_manager).get("/customers/portfolio/")
    assert page.status_code == 200 and str(cast.am) in page.content.decode()
    refused = client_for(cast.am).get("/customers/portfolio/")
    assert refused.status_code == 403 and "只有区域经理" in refused.content.decode()


# --- personal data: masked unless the role may see it, and every reveal logged -------------------


def test_phones_are_masked_and_a_reveal_is_logged(cast: Cast) -> None:
    customer = own_customer(cast)
    person = KeyPerson.objects.create(customer=customer, name="测试关键人", phone="13812345678")
    page = client_for(cast.am).get(f"/customers/{customer.pk}/").content.decode()
    assert "138****5678" in page and "13812345678" not in page
    shown = client_for(cast.am).post(f"/customers/{customer.pk}/key-persons/reveal/").content.decode()
    assert "13812345678" in shown and "访问日志" in shown
    access = LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.ACCESS)
    assert access.count() == 1 and access[0].actor == cast.am


def test_roles_that_may_not_see_personal_data_cannot_reveal_it(cast: Cast) -> None:
    customer = Customer.objects.filter(region__path__startswith=cast.planner.region.path).first()
    assert customer is not None
    KeyPerson.objects.create(customer=customer, name="规划师看不到", phone="13900001111")
    client = client_for(cast.planner)
    page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert "13900001111" not in page and "显示完整联系方式" not in page
    refused = client.post(f"/customers/{customer.pk}/key-persons/reveal/")
    assert refused.status_code == 403 and "无权查看关键人" in refused.content.decode()
    assert "13900001111" not in refused.content.decode()


# --- what to offer next -------------------------------------------------------------------------


def test_next_products_rank_what_similar_customers_hold(cast: Cast) -> None:
    from django.core.cache import cache

    cache.clear()
    customer = own_customer(cast)
    suggestions = next_products(customer, limit=20)
    held = set(customer.subscriptions.filter(status="active").values_list("product_id", flat=True))
    assert suggestions and not any(s.product.pk in held for s in suggestions)
    shares = [s.penetration for s in suggestions]
    assert shares == sorted(shares, reverse=True)
    peers = Customer.objects.filter(industry=customer.industry, scale=customer.scale, status="active")
    top = suggestions[0]
    holders = (
        Subscription.objects.filter(customer__in=peers, product=top.product, status="active")
        .values("customer")
        .distinct()
        .count()
    )
    assert top.peers == peers.count() and top.penetration == pytest.approx(holders / peers.count())


def test_workbench_shows_the_first_ten_and_the_task_list_shows_all(cast: Cast) -> None:
    customer = own_customer(cast)
    today = timezone.localdate()
    Task.objects.filter(assignee=cast.am).delete()  # the demo's own (competitor alerts): only these 30 count
    Task.objects.bulk_create(
        Task(customer=customer, assignee=cast.am, title=f"逾期任务{i:02d}", due=today - dt.timedelta(days=1 + i))
        for i in range(30)
    )
    overdue = Task.objects.filter(assignee=cast.am, status="open", due__lt=today).count()
    page = client_for(cast.am).get("/workbench/").content.decode()
    assert f"逾期任务（{overdue}）" in page
    # the most overdue come first; ten are shown
    assert "逾期任务29" in page and page.count('data-testid="task"') == 10 and "逾期任务00" not in page
    listed = client_for(cast.am).get("/marketing/tasks/?when=overdue").content.decode()
    assert f"共 {overdue} 项" in listed and listed.count('data-testid="task"') == 25
    second = client_for(cast.am).get("/marketing/tasks/?when=overdue&page=2").content.decode()
    assert "逾期任务00" in second
    assert client_for(cast.am).get("/marketing/tasks/?when=nonsense").status_code == 200


def test_workbench_queries_do_not_grow_with_tasks_contracts_or_birthdays(cast: Cast) -> None:
    from decimal import Decimal

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengqi.customers.models import Contract

    customer = own_customer(cast)
    today = timezone.localdate()
    client = client_for(cast.am)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/workbench/").status_code == 200
        return len(ctx.captured_queries)

    def add(i: int) -> None:
        Task.objects.create(customer=customer, assignee=cast.am, title=f"任务{i}", due=today - dt.timedelta(days=i))
        Task.objects.create(customer=customer, assignee=cast.am, title=f"今日{i}", due=today, escalated_to=cast.am)
        Contract.objects.create(
            customer=customer, number=f"HT-W-{i}", start=today, end=today + dt.timedelta(days=30), amount=Decimal(1)
        )
        KeyPerson.objects.create(customer=customer, name=f"寿星{i}", birthday=today.replace(year=1980, day=1))

    add(1)
    before = queries()
    for i in range(2, 40):
        add(i)
    assert queries() == before <= 27  # 22, the service requests card (supervision, counts), the visits due (3)
    # Seen again before anything changed, the tasks and the view of the customers come from the cache:
    # the session, the user, the bell, the service requests and the approvals.
    assert queries() <= 8 < before
