"""Performance assessment: each account manager's KPIs for a month are recomputed here from the
snapshots and tasks, independently of the service: informatization revenue to date against the
target and time progress, target-market retention, member in-network rate and task completion;
ranks; a regional manager sets targets for their own managers only; an account manager sees only
their own row; the drill-down lists exactly the manager's customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import CustomerSnapshot
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
AUG, OCT = dt.date(2026, 8, 1), dt.date(2026, 10, 1)


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def runs(db: None) -> None:
    month_run(month=AUG)
    month_run(month=OCT)


def test_kpis_agree_with_an_independent_count(cast: Cast, runs: None) -> None:
    admin = client_for(cast.admin)
    saved = admin.put(
        "/api/insight/kpi/targets",
        {"manager": "am", "year": 2026, "metric": "revenue_info", "value": "500000"},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    admin.put(
        "/api/insight/kpi/targets",
        {"manager": "am", "year": 2026, "metric": "retention", "value": "97"},
        content_type="application/json",
    )
    Task.objects.create(customer=cast.am.customers.first(), assignee=cast.am, title="回访", due=dt.date(2026, 9, 1))
    done = Task.objects.create(
        customer=cast.am.customers.first(), assignee=cast.am, title="拜访", due=dt.date(2026, 10, 5), status="done"
    )
    Task.objects.create(
        customer=cast.am.customers.first(), assignee=cast.am, title="取消", due=dt.date(2026, 10, 6), status="cancelled"
    )
    Task.objects.create(
        customer=cast.am.customers.first(), assignee=cast.am, title="下月", due=dt.date(2026, 11, 6), status="done"
    )
    rows = admin.get("/api/insight/kpi?month=2026-10").json()
    mine = next(r for r in rows if r["manager"] == "am")

    now = CustomerSnapshot.objects.filter(month=OCT, customer__account_manager=cast.am)
    revenue = sum((s.revenue_info_ytd or Decimal(0) for s in now), Decimal(0))
    assert Decimal(mine["revenue_info_ytd"]) == revenue
    assert mine["revenue_completion"] == pytest.approx(float(revenue / 500000))
    assert mine["time_progress"] == pytest.approx(10 / 12)
    start = {
        s.customer_id: s.members_active or 0
        for s in CustomerSnapshot.objects.filter(month=AUG, customer__account_manager=cast.am)
        if s.features.get("status") == "active"
    }
    kept = {
        s.customer_id: s.members_active or 0
        for s in now
        if s.customer_id in start and s.features.get("status") == "active"
    }
    assert (mine["target_market"], mine["retained"]) == (len(start), len(kept))
    assert mine["retention"] == pytest.approx(len(kept) / len(start))
    assert mine["retention_target"] == "0.9700"
    # each customer counts at most the members it had at the start: growth does not hide losses
    assert mine["in_network"] == pytest.approx(sum(min(n, start[c]) for c, n in kept.items()) / sum(start.values()))
    assert 0 <= mine["in_network"] <= 1
    tasks = Task.objects.filter(assignee=cast.am, due__year=2026, due__lte=dt.date(2026, 10, 31)).exclude(
        status="cancelled"
    )
    assert (mine["tasks_due"], mine["tasks_done"]) == (tasks.count(), tasks.filter(status="done").count())
    assert done.status == "done" and mine["task_completion"] == pytest.approx(
        tasks.filter(status="done").count() / tasks.count()
    )

    # ranks: 1 is the best, by the value itself
    revenue_sorted = sorted((Decimal(r["revenue_info_ytd"]) for r in rows), reverse=True)
    for r in rows:
        assert r["ranks"]["revenue_info_ytd"] == 1 + sum(
            1 for v in revenue_sorted if v > Decimal(r["revenue_info_ytd"])
        )

    drill = admin.get(f"/api/insight/kpi/{cast.am.pk}/customers?month=2026-10&page_size=1000").json()
    assert {c["customer_id"] for c in drill["items"]} == set(now.values_list("customer_id", flat=True))


def test_who_sees_and_sets_what(cast: Cast, runs: None) -> None:
    own = client_for(cast.am).get("/api/insight/kpi?month=2026-10").json()
    assert [r["manager"] for r in own] == ["am"]
    assert client_for(cast.am).get(f"/api/insight/kpi/{cast.other_am.pk}/customers?month=2026-10").status_code == 404
    district = client_for(cast.district_manager)
    seen = {r["manager"] for r in district.get("/api/insight/kpi?month=2026-10").json()}
    assert "am" in seen
    outside = (
        User.objects.filter(role="account_manager")
        .exclude(region__path__startswith=cast.district_manager.region.path)
        .first()
    )
    assert outside is not None and outside.username not in seen
    refused = district.put(
        "/api/insight/kpi/targets",
        {"manager": outside.username, "year": 2026, "metric": "revenue_info", "value": "1"},
        content_type="application/json",
    )
    assert refused.status_code == 404
    bad = district.put(
        "/api/insight/kpi/targets",
        {"manager": "am", "year": 2026, "metric": "retention", "value": "150"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and "0 至 100%" in bad.json()["detail"]
    assert (
        client_for(cast.am)
        .put(
            "/api/insight/kpi/targets",
            {"manager": "am", "year": 2026, "metric": "revenue_info", "value": "1"},
            content_type="application/json",
        )
        .status_code
        == 403
    )
    page = district.get("/insight/kpi/?month=2026-10").content.decode()
    assert 'data-testid="kpi-am"' in page and outside.username not in page
    drill = district.get(f"/insight/kpi/{cast.am.pk}/?month=2026-10")
    assert drill.status_code == 200 and 'data-testid="kpi-customers"' in drill.content.decode()
    workbench = client_for(cast.am).get("/workbench/").content.decode()
    assert 'data-testid="my-kpi"' in workbench


@settings(max_examples=30, deadline=None)
@given(
    members=st.lists(
        st.tuples(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=5000)),
        min_size=1,
        max_size=8,
    )
)
def test_in_network_rate_never_exceeds_100_percent(members: list[tuple[int, int]]) -> None:
    """Whatever the members of a manager's customers did (grew by ten, fell to none), the rate is
    a share of the members at the start: between 0 and 1."""
    from zhengqi.accounts.models import User
    from zhengqi.customers.models import Customer
    from zhengqi.insight.kpi import kpis

    admin = User.objects.get(username="admin")
    am = User.objects.get(username="am")
    customers = list(Customer.objects.filter(account_manager=am).order_by("pk")[: len(members)])
    CustomerSnapshot.objects.filter(month__in=[AUG, OCT]).delete()
    for customer, (start, now) in zip(customers, members, strict=False):
        for month, n in ((AUG, start), (OCT, now)):
            CustomerSnapshot.objects.create(
                customer=customer, month=month, members_active=n, features={"status": "active"}
            )
    row = next(k for k in kpis(admin, OCT) if k.manager.username == "am")
    if row.in_network is not None:
        assert 0 <= row.in_network <= 1


def test_the_kpi_table_exports_as_shown(october: None, cast: Cast) -> None:
    import csv
    import io

    district = Client()
    district.force_login(cast.district_manager)
    page = district.get("/insight/kpi/?month=2026-10")
    shown = [r.manager.display_name or r.manager.username for r in page.context["rows"]]
    response = district.get("/insight/kpi/export.csv?month=2026-10")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    header = next(i for i, r in enumerate(rows) if r and r[0] == "客户经理")
    assert [r[0] for r in rows[header + 1 :]] == shown and "月份 2026-10" in rows[2][0]
