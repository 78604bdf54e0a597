"""A dashboard's page is rendered once per scope, filters, language and data version, and served
from the cache after that (issue 25): whatever changes in between shows on the next view."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import Region, User

pytestmark = pytest.mark.django_db


def view(user: User, path: str) -> str:
    c = Client()
    c.force_login(user)
    response = c.get(path)
    assert response.status_code == 200
    return response.content.decode()


def test_a_renamed_region_shows_on_the_next_view(october: None, cast: Cast) -> None:
    path = "/insight/performance/?month=2026-10"
    region = Region.objects.filter(level="district").order_by("pk").first()
    assert region is not None
    for n in range(3):
        view(cast.admin, path)  # cached
        region.name = f"改名区{n}"
        region.save()
        assert f"改名区{n}" in view(cast.admin, path)  # the province's region picker lists every district


def test_the_filters_shown_are_the_requests_own(october: None, cast: Cast) -> None:
    plain = view(cast.admin, "/insight/revenue/?month=2026-10")
    tiered = view(cast.admin, "/insight/revenue/?month=2026-10&tier=A")
    assert "<option selected>A</option>" in tiered and "<option selected>A</option>" not in plain
    again = view(cast.admin, "/insight/revenue/?month=2026-10")  # from the cache

    def body(page: str) -> str:
        return page.split('<h1 class="h4">', 1)[1].split("</main>", 1)[0]

    assert body(again) == body(plain)


def test_a_new_month_shows_in_the_month_picker(october: None, cast: Cast) -> None:
    from zhengqi.scoring.month_run import month_run

    before = view(cast.admin, "/insight/performance/")
    assert '<option value="2026-11"' not in before
    month_run(month=dt.date(2026, 11, 1))
    after = view(cast.admin, "/insight/performance/")
    assert '<option value="2026-11"' in after


def test_a_dashboard_seen_again_costs_a_few_queries_whatever_its_figures(october: None, cast: Cast) -> None:
    """Seen again, a dashboard reads the user, the months with results and the filters' own rows —
    the same few queries for every dashboard and scope, however many customers its figures add up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from zhengqi.insight.dashboards import DASHBOARDS

    counts = set()
    for user in (cast.admin, cast.city_manager, cast.am):
        c = Client()
        c.force_login(user)
        for key in DASHBOARDS:
            path = f"/insight/{key}/?month=2026-10&tier=A"
            assert c.get(path).status_code == 200
            with CaptureQueriesContext(connection) as ctx:
                assert c.get(path).status_code == 200
            counts.add(len(ctx.captured_queries))
    assert max(counts) <= MAX_QUERIES_SEEN_AGAIN, counts


MAX_QUERIES_SEEN_AGAIN = 3  # measured: 3 for every dashboard and scope
