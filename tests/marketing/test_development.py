"""Prospects entered by hand, and the strategy page's rules ranked by the kept rate of customers whose
alert task was done against those whose task was not (recomputed here)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import Alert
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def prospect(**changes: str) -> dict[str, str]:
    return {
        "name": "星河智能制造有限公司",
        "customer_type": "enterprise",
        "industry": "C",
        "scale": "medium",
        "competitor_operator": "unicom",
        **changes,
    }


def test_an_account_manager_enters_a_prospect_and_applies_to_develop_it(cast: Cast) -> None:
    am = client_for(cast.am)
    made = am.post("/marketing/prospects/new/", prospect(region=cast.am.region.code))
    customer = Customer.objects.get(name="星河智能制造有限公司")
    assert made.status_code == 302 and made["Location"] == f"/marketing/customers/{customer.pk}/develop/"
    assert (customer.status, customer.account_manager, customer.competitor_operator, customer.source) == (
        "prospect",
        cast.am,
        "unicom",
        "competitor",
    )
    again = am.post("/marketing/prospects/new/", prospect(name="星河智能制造 有限公司"))
    assert again.status_code == 400 and "已有名称相同的客户" in again.content.decode()
    bad = am.post("/marketing/prospects/new/", prospect(name="另一家公司", credit_code="123"))
    assert bad.status_code == 400 and Customer.objects.filter(name="另一家公司").count() == 0
    api = am.post("/api/development/prospects", prospect(name="云岭数据科技有限公司"), content_type="application/json")
    assert api.status_code == 201 and api.json()["account_manager"] == "am"
    refused = client_for(cast.planner).post(
        "/api/development/prospects", prospect(name="第三家公司"), content_type="application/json"
    )
    assert refused.status_code == 403
    candidates = am.get("/api/development/candidates?page_size=1000").json()["items"]
    assert any(c["customer_name"] == "星河智能制造有限公司" and "中国联通" in c["why"] for c in candidates)


def test_rules_are_ranked_by_the_kept_rate_of_worked_alerts(cast: Cast) -> None:
    month_run(month=dt.date(2026, 6, 1))
    month_run(month=dt.date(2026, 10, 1))
    early = Alert.objects.filter(first_month__lte=dt.date(2026, 7, 1))
    assert early.exists()
    code = early.values_list("rule_code", flat=True).order_by("rule_code").first()
    flagged = sorted(set(early.filter(rule_code=code).values_list("customer_id", flat=True)))
    worked = flagged[::2]
    for customer_id in worked:
        customer = Customer.objects.get(pk=customer_id)
        Task.objects.update_or_create(
            customer=customer,
            rule_code=code,
            alert_month=dt.date(2026, 6, 1),
            source="alert",
            defaults={
                "assignee": customer.account_manager or cast.am,
                "title": "处理预警",
                "due": dt.date(2026, 7, 1),
                "status": "done",
            },
        )
    Customer.objects.filter(pk__in=flagged[1:4]).update(status="churned")
    rules = client_for(cast.admin).get("/api/strategy").json()["rules"]
    row = next(r for r in rules if r["rule_code"] == code)
    churned = set(Customer.objects.filter(pk__in=flagged, status="churned").values_list("pk", flat=True))
    done = set(Task.objects.filter(rule_code=code, status="done", source="alert").values_list("customer_id", flat=True))
    w = [c for c in flagged if c in done]
    u = [c for c in flagged if c not in done]
    assert (row["worked"], row["unworked"]) == (len(w), len(u))
    assert row["worked_kept"] == sum(c not in churned for c in w)
    assert row["unworked_kept"] == sum(c not in churned for c in u)
    if w and u:
        assert row["uplift"] == pytest.approx(row["worked_kept"] / len(w) - row["unworked_kept"] / len(u))
    uplifts = [r["uplift"] for r in rules if r["uplift"] is not None]
    assert uplifts == sorted(uplifts, reverse=True)
    page = client_for(cast.admin).get("/marketing/strategy/").content.decode()
    assert 'data-testid="rule-ranking"' in page and row["rule_name"] in page and code not in page  # names, not codes
