"""Service by tier as delivered: the visits each tier's cycle makes due (for any last-visit date and
cycle), a tier move counting from the next day, each tier's promised vs delivered month against an
oracle, and the pages and API within the user's own customers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Interaction
from zhengqi.marketing.service_tiers import next_visit, tier_delivery, visits_due
from zhengqi.support.models import TierService
from zhengqi.support.tiers import record_tier_moves

TODAY = dt.date(2026, 11, 20)


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@given(last=st.one_of(st.none(), st.integers(0, 400)), every=st.integers(1, 366))
def test_the_next_visit_is_one_cycle_after_the_last_or_now_for_a_customer_never_visited(
    last: int | None, every: int
) -> None:
    seen = TODAY - dt.timedelta(days=last) if last is not None else None
    due = next_visit(seen, every, TODAY)
    assert due == (seen + dt.timedelta(days=every) if seen else TODAY)


def visit(customer: Customer, by: User, day: dt.date, kind: str = "visit") -> None:
    Interaction.objects.create(customer=customer, by=by, date=day, kind=kind, summary="拜访")


@pytest.mark.django_db
def test_visits_due_follow_each_customers_tier_in_force(cast: Cast) -> None:
    mine = list(Customer.objects.filter(account_manager=cast.am, status="active").order_by("code")[:4])
    assert len(mine) == 4
    Customer.objects.filter(account_manager=cast.am).exclude(pk__in=[c.pk for c in mine]).update(tier="")
    Interaction.objects.filter(customer__in=mine).delete()
    every = dict(TierService.objects.values_list("tier", "visit_days"))
    a_plus, b, never, moved = mine
    for c, tier in ((a_plus, "A+"), (b, "B"), (never, "C"), (moved, "A")):
        Customer.objects.filter(pk=c.pk).update(tier=tier)
    visit(a_plus, cast.am, TODAY - dt.timedelta(days=every["A+"] + 3))  # 3 days late
    visit(b, cast.am, TODAY - dt.timedelta(days=5))  # long before the next
    visit(b, cast.am, TODAY - dt.timedelta(days=1), kind="call")  # a call is not a visit
    visit(moved, cast.am, TODAY - dt.timedelta(days=every["A+"] + 1))  # late for A+, not for A
    record_tier_moves([(moved.pk, "A", "A+")], today=TODAY)  # A+ from tomorrow
    Customer.objects.filter(pk=moved.pk).update(tier="A+")

    due = {v.customer_id: v for v in visits_due(cast.am, TODAY)}
    assert set(due) == {a_plus.pk, never.pk}
    assert due[a_plus.pk].due == TODAY - dt.timedelta(days=3) and due[never.pk].last is None
    tomorrow = {v.customer_id: v.tier for v in visits_due(cast.am, TODAY + dt.timedelta(days=1))}
    assert tomorrow.get(moved.pk) == "A+"
    assert not {v.customer_id for v in visits_due(cast.other_am, TODAY)} & {c.pk for c in mine}


@pytest.mark.django_db
def test_promised_vs_delivered_matches_a_count_by_hand(cast: Cast) -> None:
    month = dt.date(2026, 10, 1)
    end = dt.date(2026, 10, 31)
    now = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
    customers = list(Customer.objects.filter(account_manager=cast.am, status="active").order_by("code"))
    Interaction.objects.filter(customer__account_manager=cast.am).delete()
    every = dict(TierService.objects.values_list("tier", "visit_days"))
    for i, c in enumerate(customers):
        tier = ["A+", "A", "B", "C", ""][i % 5]
        Customer.objects.filter(pk=c.pk).update(tier=tier)
        c.tier = tier
        if i % 3 == 0:
            visit(c, cast.am, dt.date(2026, 10, 1 + i % 28))
        if i % 4 == 0:
            visit(c, cast.am, dt.date(2026, 8, 15))
    rows = {r.service.tier: r for r in tier_delivery(cast.am, month, now=now)}
    for tier, days in every.items():
        ours = [c for c in customers if c.tier == tier]
        seen = {c.pk: [i.date for i in Interaction.objects.filter(customer=c, date__lte=end)] for c in ours}
        r = rows[tier]
        assert r.customers == len(ours)
        assert r.visits_promised == pytest.approx(len(ours) * 31 / days)
        assert r.visits_done == sum(1 for c in ours for d in seen[c.pk] if d >= month)
        assert r.in_cycle == sum(1 for c in ours if seen[c.pk] and (end - max(seen[c.pk])).days < days)
    # another manager's customers never count in the account manager's view
    other = tier_delivery(cast.other_am, month, now=now)
    assert sum(r.customers for r in other) <= Customer.objects.filter(account_manager=cast.other_am).count()


@pytest.mark.django_db
def test_the_pages_and_api_show_the_users_own_customers_only(cast: Cast) -> None:
    customer = Customer.objects.filter(account_manager=cast.am, status="active").order_by("code").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(tier="A")
    am = client_for(cast.am)
    page = am.get("/marketing/service-tiers/?month=2026-10")
    assert page.status_code == 200 and "分层服务" in page.content.decode()
    assert am.get("/marketing/service-tiers/?month=abc").status_code == 200  # told, this month shown
    got = am.get(f"/api/customers/{customer.pk}/entitlements").json()
    assert got["tier"] == "A" and got["service"]["visit_days"] == TierService.objects.get(tier="A").visit_days
    assert "服务权益" in am.get(f"/customers/{customer.pk}/").content.decode()
    other = cast.customer_of_other_am()
    assert am.get(f"/api/customers/{other.pk}/entitlements").status_code == 404
    refused = am.put("/api/service-tiers/A", {"visit_days": 1}, content_type="application/json")
    assert refused.status_code == 403 and "管理员" in refused.json()["detail"]
    admin = client_for(cast.admin)
    bad = admin.put("/api/service-tiers/A", {"visit_days": "每周"}, content_type="application/json")
    assert bad.status_code == 422 and "拜访周期" in str(bad.json()["detail"])
    ok = admin.put(
        "/api/service-tiers/A", {"visit_days": 20, "deadlines": {"fault": 6}}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["deadlines"] == {"fault": 6}
    assert admin.get("/api/service-tiers/delivery?month=2026-10").status_code == 200
    assert admin.get("/api/service-tiers/delivery?month=2026-13").status_code == 422
