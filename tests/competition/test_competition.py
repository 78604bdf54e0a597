"""Competitor events raise one prevention alert per customer touched, the month run leaves those
alerts alone, and a response plan launches a campaign on exactly the event's customers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from tests.conftest import Cast
from zhengqi.competition.models import CompetitorEvent, ResponsePlan
from zhengqi.competition.services import EventInput, PlanInput, activity, event_save, plan_launch, plan_save
from zhengqi.customers.models import Customer, Product
from zhengqi.marketing.models import CampaignTarget, Task
from zhengqi.scoring.models import COMPETITOR_CODE, Alert
from zhengqi.scoring.month_run import _move_alerts

pytestmark = pytest.mark.django_db


def three_of(cast: Cast) -> list[Customer]:
    """Three active customers of the district manager's district, none alerted by a competitor yet."""
    region = cast.district_manager.region
    assert region is not None
    found = list(
        Customer.objects.filter(region__path__startswith=region.path, status="active", account_manager__isnull=False)
        .exclude(alerts__rule_code=COMPETITOR_CODE)
        .order_by("code")[:3]
    )
    assert len(found) == 3
    return found


def record(by: object, customers: list[Customer], **kw: object) -> tuple[CompetitorEvent, int]:
    data = EventInput(
        operator=str(kw.pop("operator", "telecom")),
        kind=str(kw.pop("kind", "offer")),
        summary=str(kw.pop("summary", "专线 8 折并送三年维护")),
        date=kw.pop("date", dt.date(2026, 11, 10)),
        customer_codes=[c.code for c in customers],
        evidence="客户转述",
    )
    return event_save(by=by, data=data)


@pytest.fixture
def plan(cast: Cast) -> object:
    return plan_save(
        by=cast.planner,
        data=PlanInput(name="测试预案：续约让利", product_codes=["LINE", "BB"], offer="续约两年专线 9 折", days=30),
    )


def test_an_event_on_three_customers_raises_three_alerts_and_tasks(cast: Cast) -> None:
    customers = three_of(cast)
    event, opened = record(cast.district_manager, customers)
    assert opened == 3
    alerts = Alert.objects.filter(rule_code=COMPETITOR_CODE, customer__in=customers, status="open")
    assert alerts.count() == 3
    assert {a.family for a in alerts} == {"prevent"}
    assert all(a.evidence["events"][0]["event"] == event.pk for a in alerts)
    tasks = Task.objects.filter(rule_code=COMPETITOR_CODE, customer__in=customers, status="open")
    assert {(t.customer_id, t.assignee_id) for t in tasks} == {(c.pk, c.account_manager_id) for c in customers}
    # A second event on one of them adds to its open alert instead of opening another.
    again, opened_again = record(cast.district_manager, customers[:1], operator="unicom", kind="handset")
    assert opened_again == 0
    alert = Alert.objects.get(rule_code=COMPETITOR_CODE, customer=customers[0], status="open")
    assert [e["event"] for e in alert.evidence["events"]] == [event.pk, again.pk]


def test_the_month_run_does_not_resolve_or_delete_competitor_alerts(cast: Cast) -> None:
    customers = three_of(cast)
    record(cast.district_manager, customers, date=dt.date(2026, 10, 5))
    before = sorted(Alert.objects.filter(rule_code=COMPETITOR_CODE).values_list("pk", "status", "first_month"))
    _move_alerts(dt.date(2026, 10, 1), [], {}, {})  # a run of October in which no rule fires
    _move_alerts(dt.date(2026, 11, 1), [], {}, {})
    after = sorted(Alert.objects.filter(rule_code=COMPETITOR_CODE).values_list("pk", "status", "first_month"))
    assert after == before


def test_launching_the_plan_targets_exactly_the_events_customers(cast: Cast, plan: object) -> None:
    customers = three_of(cast)
    event, _opened = record(cast.district_manager, customers)
    done = plan_launch(by=cast.district_manager, event=event, plan=plan)
    targets = CampaignTarget.objects.filter(campaign=done.campaign)
    assert {t.customer_id for t in targets} == {c.pk for c in customers}
    assert {t.group for t in targets} == {"target"}  # no control group held out
    assert done.campaign.status == "launched"
    assert set(done.campaign.products.values_list("code", flat=True)) == {"LINE", "BB"}
    assert Task.objects.filter(campaign=done.campaign).count() == 3
    event.refresh_from_db()
    assert event.campaign == done.campaign
    with pytest.raises(ValidationError):  # once
        plan_launch(by=cast.district_manager, event=event, plan=plan)
    assert CampaignTarget.objects.filter(campaign__competitor_events=event).count() == 3
    client = Client()
    client.force_login(cast.district_manager)
    page = client.get(f"/customers/{customers[0].pk}/").content.decode()
    assert done.campaign.name in page and "竞争动向" in page  # the customer's page shows both


def test_who_may_record_and_launch(cast: Cast, plan: object) -> None:
    customers = three_of(cast)
    with pytest.raises(PermissionDenied):
        record(cast.partner, customers)
    with pytest.raises(ValidationError) as refused:  # an account manager records only their own customers
        record(cast.am, [*customers, Customer.objects.exclude(account_manager=cast.am).first()])
    assert "不在您的范围内" in str(refused.value)
    event, _ = record(cast.district_manager, customers)
    with pytest.raises(PermissionDenied):
        plan_launch(by=cast.am, event=event, plan=plan)
    with pytest.raises(ValidationError):
        record(cast.district_manager, customers, date=dt.date(2099, 1, 1))


def test_the_activity_page_counts_by_city_and_lists_the_contested_customers(cast: Cast) -> None:
    customers = three_of(cast)
    event, _ = record(cast.district_manager, customers, date=dt.date(2026, 11, 3))
    data = activity(user=cast.city_manager, months=3, today=dt.date(2026, 11, 30))
    assert data.months == ["2026-09", "2026-10", "2026-11"]
    assert sum(sum(n) for _c, n in data.by_city) >= 1
    contested = {row.customer.pk for row in data.contested}
    assert {c.pk for c in customers} <= contested
    client = Client()
    client.force_login(cast.city_manager)
    page = client.get("/competition/?months=3").content.decode()
    assert customers[0].name in page and 'data-chart="chart-city"' in page
    api = client.get("/api/competition/activity?months=3").json()
    assert {c.pk for c in customers} <= {row["customer_id"] for row in api["contested"]}
    assert client.get(f"/competition/events/{event.pk}/").status_code == 200


def test_the_api_records_and_launches_in_one_step_each(cast: Cast, plan: object) -> None:
    customers = three_of(cast)
    client = Client()
    client.force_login(cast.district_manager)
    made = client.post(
        "/api/competitor-events",
        {
            "operator": "unicom",
            "kind": "bid",
            "summary": "参与办公楼改造投标",
            "date": "2026-11-12",
            "customer_codes": [c.code for c in customers],
        },
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["alerts_opened"] == 3
    launched = client.post(
        f"/api/competitor-events/{made.json()['id']}/launch",
        {"plan_id": plan.pk},
        content_type="application/json",
    )
    assert launched.status_code == 200, launched.content
    assert launched.json()["targets"] == 3
    bad = client.post(
        "/api/competitor-events",
        {"operator": "unicom", "kind": "bid", "summary": "x", "date": "2026-11-12", "customer_codes": ["NOPE"]},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "NOPE" in bad.json()["detail"]
    assert Product.objects.filter(code="LINE").exists()


def test_a_planner_prepares_a_plan_on_its_page(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.planner)
    refused = client.post("/competition/plans/new/", {"name": "无产品预案", "offer": "9 折", "days": "30"})
    assert refused.status_code == 422 and "请至少选择一个推广产品" in refused.content.decode()
    made = client.post(
        "/competition/plans/new/",
        {"name": "专线保卫战", "offer": "续约 9 折", "products": ["LINE"], "operator": "telecom", "days": "45"},
    )
    assert made.status_code == 302
    plan = ResponsePlan.objects.get(name="专线保卫战")
    assert (plan.operator, plan.days, list(plan.products.values_list("code", flat=True))) == ("telecom", 45, ["LINE"])
    assert plan.channels  # proposed from the products when none are ticked
    am = Client()
    am.force_login(cast.am)
    assert am.get("/competition/plans/new/").status_code == 403


def test_a_competitor_alert_reads_as_sentences_not_data(cast: Cast) -> None:
    """The customer's page printed the alert's evidence as a Python list of dicts."""
    from zhengqi.scoring.selectors import open_alerts

    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    record(cast.am, [customer], summary="对手上门推销融合套餐")
    views = [v for v in open_alerts(customer) if v.alert.rule_code == "COMPETITOR"]
    assert views and views[0].reasons
    text = " ".join(views[0].reasons)
    assert "对手上门推销融合套餐" in text and "{" not in text and "[" not in text and "'event'" not in text
    page = Client()
    page.force_login(cast.am)
    html = page.get(f"/customers/{customer.pk}/").content.decode()
    assert "&#x27;event&#x27;" not in html and "&#x27;operator&#x27;" not in html
    assert "对手上门推销融合套餐" in html
