"""The opportunity pipeline: account managers register opportunities of their customers and move them
through the stages (a loss needs its reason); of two concurrent edits the second is refused and
nothing is overwritten; the forecast weighs expected revenue by the admin's stage probabilities, by
region and close month (recomputed here independently); a won opportunity becomes a project."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from auditlog.models import LogEntry
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer, Product
from zhengqi.engine.months import add_months
from zhengqi.marketing.models import Opportunity

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def new(client: Client, customer: Customer, **changes: object) -> dict[str, object]:
    product = Product.objects.order_by("code").first()
    assert product is not None
    body = {
        "customer_id": customer.pk,
        "name": "园区专线",
        "close_date": add_months(dt.date.today().replace(day=1), 1).isoformat(),
        "expected_revenue": "8000",
        "products": [product.code],
        **changes,
    }
    answer = client.post("/api/opportunities", body, content_type="application/json")
    assert answer.status_code == 201, answer.content
    return answer.json()


def test_stages_loss_reasons_history_and_scope(cast: Cast) -> None:
    am = client_for(cast.am)
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    made = new(am, customer)
    assert made["stage"] == "discovery" and made["probability"] == "0.10" and made["owner"] == "am"
    url = f"/api/opportunities/{made['id']}"
    body = {
        "name": "园区专线",
        "close_date": made["close_date"],
        "expected_revenue": "8000",
        "version": made["version"],
    }
    moved = am.put(url, {**body, "stage": "proposal"}, content_type="application/json").json()
    assert moved["stage"] == "proposal" and moved["version"] == made["version"] + 1
    lost = am.put(url, {**body, "stage": "lost", "version": moved["version"]}, content_type="application/json")
    assert lost.status_code == 422 and "丢单时请填写原因" in lost.json()["detail"]
    assert Opportunity.objects.get(pk=made["id"]).stage == "proposal"  # nothing saved
    history = LogEntry.objects.get_for_object(Opportunity.objects.get(pk=made["id"]))
    assert any("stage" in (e.changes_dict or {}) for e in history)  # the stage change is in the history

    other = cast.customer_of_other_am()
    refused = am.post(
        "/api/opportunities",
        {"customer_id": other.pk, "name": "x", "close_date": "2026-12-01"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    assert client_for(cast.other_am).get(url).status_code == 404
    assert client_for(cast.planner).post("/api/opportunities", {}, content_type="application/json").status_code == 403


def test_the_second_of_two_concurrent_edits_is_refused(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    made = new(client_for(cast.am), customer)
    url = f"/api/opportunities/{made['id']}"
    base = {"close_date": made["close_date"], "expected_revenue": "8000", "version": made["version"]}
    first = client_for(cast.am).put(
        url, {**base, "name": "客户经理的修改", "stage": "confirmed"}, content_type="application/json"
    )
    assert first.status_code == 200
    manager = client_for(cast.district_manager)
    second = manager.put(url, {**base, "name": "经理的修改", "stage": "negotiation"}, content_type="application/json")
    assert second.status_code == 409 and "已被他人修改" in second.json()["detail"]
    saved = Opportunity.objects.get(pk=made["id"])
    assert (saved.name, saved.stage) == ("客户经理的修改", "confirmed")
    # the page says the same and keeps what the second editor typed
    page = manager.post(
        f"/marketing/opportunities/{made['id']}/", {**base, "name": "经理的修改", "stage": "negotiation"}
    )
    assert page.status_code == 409 and "已被他人修改" in page.content.decode() and "经理的修改" in page.content.decode()


def test_the_forecast_weighs_by_the_admins_probabilities(cast: Cast) -> None:
    admin = client_for(cast.admin)
    assert (
        client_for(cast.planner)
        .put("/api/pipeline/stages", {"proposal": 50}, content_type="application/json")
        .status_code
        == 403
    )
    bad = admin.put("/api/pipeline/stages", {"proposal": "150"}, content_type="application/json")
    assert bad.status_code == 422
    chances = admin.put(
        "/api/pipeline/stages", {"proposal": "50", "negotiation": "0.7"}, content_type="application/json"
    ).json()
    assert chances["proposal"] == "0.500" and chances["negotiation"] == "0.700"

    this_month = dt.date.today().replace(day=1)
    customers = list(Customer.objects.filter(account_manager__isnull=False).order_by("code")[:12])
    stages = ["discovery", "confirmed", "proposal", "negotiation", "signed", "lost"]
    for i, customer in enumerate(customers):
        owner = client_for(customer.account_manager)
        made = new(
            owner, customer, expected_revenue=str(1000 * (i + 1)), close_date=add_months(this_month, i % 4).isoformat()
        )
        stage = stages[i % len(stages)]
        if stage != "discovery":
            owner.put(
                f"/api/opportunities/{made['id']}",
                {
                    "name": "园区专线",
                    "close_date": made["close_date"],
                    "expected_revenue": str(1000 * (i + 1)),
                    "stage": stage,
                    "lost_reason": "价格",
                    "version": made["version"],
                },
                content_type="application/json",
            )
    answer = admin.get("/api/pipeline/forecast?months=4").json()

    # independently: open stages only, revenue × probability, by the customer's city and close month
    p = {"discovery": 0.10, "confirmed": 0.25, "proposal": 0.50, "negotiation": 0.70}
    want: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for o in Opportunity.objects.select_related("customer__region"):
        if o.stage in p:
            city = Region.objects.get(code=o.customer.region.path.strip("/").split("/")[1]).name
            want[city][o.close_date.strftime("%Y-%m")] += float(o.expected_revenue) * p[o.stage]
    got = {r["region"]: {m: float(v) for m, v in r["months"].items() if float(v)} for r in answer["rows"]}
    assert got == {city: dict(months) for city, months in want.items()}
    assert answer["months"] == [add_months(this_month, i).strftime("%Y-%m") for i in range(4)]
    mine = client_for(cast.am).get("/api/pipeline/forecast").json()
    assert sum(float(v) for r in mine["rows"] for v in r["months"].values()) <= sum(
        float(v) for r in answer["rows"] for v in r["months"].values()
    )


def test_a_won_opportunity_becomes_a_project_with_a_team(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    am = client_for(cast.am)
    made = new(am, customer)
    url = f"/api/opportunities/{made['id']}"
    early = am.post(
        f"{url}/project", {"started": "2026-12-01", "planned_end": "2027-03-01"}, content_type="application/json"
    )
    assert early.status_code == 422 and "签约后才能立项" in early.json()["detail"]
    am.put(
        url,
        {"name": "园区专线", "close_date": made["close_date"], "stage": "signed", "version": made["version"]},
        content_type="application/json",
    )
    started = am.post(
        f"{url}/project",
        {"started": "2026-12-01", "planned_end": "2027-03-01", "team": [cast.district_manager.username]},
        content_type="application/json",
    ).json()
    project = started["project"]
    assert project["phase"] == "initiated" and set(project["team"]) == {"am", cast.district_manager.username}
    moved = am.put(
        f"{url}/project", {"phase": "building", "version": project["version"]}, content_type="application/json"
    )
    assert moved.json()["project"]["phase"] == "building"
    stale = am.put(
        f"{url}/project", {"phase": "testing", "version": project["version"]}, content_type="application/json"
    )
    assert stale.status_code == 409


def test_the_board_and_the_pages(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    am = client_for(cast.am)
    assert "登记商机" in am.get(f"/customers/{customer.pk}/").content.decode()
    close = add_months(dt.date.today().replace(day=1), 1).isoformat()
    refused = am.post(f"/marketing/customers/{customer.pk}/opportunity/", {"name": "", "close_date": close})
    assert refused.status_code == 400 and "请填写商机名称" in refused.content.decode()
    made = am.post(
        f"/marketing/customers/{customer.pk}/opportunity/",
        {"name": "视频会议", "close_date": close, "expected_revenue": "3000", "stage": "negotiation"},
        follow=True,
    )
    assert "已登记" in made.content.decode()
    board = am.get("/marketing/pipeline/").content.decode()
    assert 'data-testid="stage-negotiation"' in board and "视频会议" in board
    assert "1800.00" in board  # 3000 × 60 % in the forecast table
    opportunity = Opportunity.objects.get(name="视频会议")
    signed = {"name": "视频会议", "close_date": close, "expected_revenue": "3000", "stage": "signed"}
    am.post(f"/marketing/opportunities/{opportunity.pk}/", {**signed, "version": opportunity.version})
    am.post(
        f"/marketing/opportunities/{opportunity.pk}/project/", {"started": "2026-12-01", "planned_end": "2027-02-01"}
    )
    page = am.get(f"/marketing/opportunities/{opportunity.pk}/").content.decode()
    assert 'data-testid="project"' in page and "立项" in page
    assert client_for(cast.other_am).get(f"/marketing/opportunities/{opportunity.pk}/").status_code == 404
