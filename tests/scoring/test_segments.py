"""Saved segments (issue 23): conditions validated as rules are, members equal to what the condition
selects in the month run within each user's scope, sharing by role and region, the trend kept by
the month run, a campaign started from a segment, the members exported."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import Cast
from zhengqi.accounts.models import Region
from zhengqi.customers.selectors import customers_visible_to
from zhengqi.scoring.configuration import rule_preview
from zhengqi.scoring.models import Segment, SegmentMember
from zhengqi.scoring.month_run import month_run
from zhengqi.scoring.segments import segment_members, segment_save, segment_trend, segments_visible_to

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)
SETTINGS = hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

comparison = st.one_of(
    st.builds(lambda n: f"revenue > {n}", st.integers(min_value=0, max_value=20000)),
    st.builds(lambda n: f"members_active >= {n}", st.integers(min_value=0, max_value=200)),
    st.sampled_from(["status = 'active'", "tier in ('A+', 'A')", "complaints_3m > 0", "product_count = 0"]),
)
condition = (
    st.builds(lambda a, op, b: f"{a} {op} {b}", comparison, st.sampled_from(["and", "or"]), comparison) | comparison
)


@pytest.fixture
def ran(cast: Cast) -> Cast:
    month_run(month=OCT)
    return cast


@SETTINGS
@given(expression=condition, who=st.sampled_from(["admin", "district_manager", "am"]))
def test_members_are_what_the_condition_selects_in_the_users_scope(ran: Cast, expression: str, who: str) -> None:
    user = getattr(ran, who)
    segment = segment_save(by=user, name="测试细分", expression=expression)
    members = set(segment_members(user=user, segment=segment).values_list("code", flat=True))
    preview = rule_preview(user=user, expression=expression, sample_size=100000)
    assert members == {c.code for c in preview.sample} and len(members) == preview.count
    assert members <= set(customers_visible_to(user).values_list("code", flat=True))
    assert [p.count for p in segment_trend(user=user, segment=segment)] == [len(members)]


@SETTINGS
@given(bad=st.sampled_from(["revenue >", "drop table customers", "revenue > 1; delete", "no_such_feature > 1", ""]))
def test_a_bad_condition_is_refused_in_chinese_and_saves_nothing(ran: Cast, bad: str) -> None:
    before = Segment.objects.count()
    with pytest.raises(ValidationError) as err:
        segment_save(by=ran.am, name="坏条件", expression=bad)
    message = " ".join(err.value.messages)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)
    assert Segment.objects.count() == before


def test_sharing_by_role_and_region(ran: Cast) -> None:
    private = segment_save(by=ran.planner, name="私有", expression="status = 'active'")
    to_managers = segment_save(
        by=ran.planner, name="给区域经理", expression="status = 'active'", shared=True, shared_role="regional_manager"
    )
    region = ran.district_manager.region
    assert region is not None
    elsewhere = (
        Region.objects.exclude(path__startswith=region.path)
        .exclude(pk__in=[r.pk for r in Region.objects.all() if region.path.startswith(r.path)])
        .first()
    )
    other_region = segment_save(
        by=ran.planner, name="给别的区域", expression="status = 'active'", shared=True, shared_region=elsewhere
    )
    seen = set(segments_visible_to(ran.district_manager))
    assert to_managers in seen and private not in seen and other_region not in seen
    assert to_managers not in set(segments_visible_to(ran.am))  # another role
    client = Client()
    client.force_login(ran.am)
    assert client.get(f"/scoring/segments/{private.pk}/").status_code == 404
    assert client.get(f"/api/segments/{private.pk}").status_code == 404
    assert (
        client.put(
            f"/api/segments/{to_managers.pk}", {"name": "x", "expression": "1 = 1"}, content_type="application/json"
        ).status_code
        == 404
    )


def test_the_month_run_keeps_each_months_members(ran: Cast) -> None:
    segment = segment_save(by=ran.admin, name="在网", expression="status = 'active'")
    month_run(month=dt.date(2026, 9, 1))  # re-runs October after it
    months = set(SegmentMember.objects.filter(segment=segment).values_list("month", flat=True))
    assert months == {dt.date(2026, 9, 1), OCT}


def test_a_campaign_starts_from_a_segment_and_its_members_export(ran: Cast) -> None:
    segment = segment_save(by=ran.planner, name="高价值", expression="tier in ('A+', 'A')")
    client = Client()
    client.force_login(ran.planner)
    form = client.get("/marketing/campaigns/new/", {"segment_id": segment.pk}).content.decode()
    assert "tier in (&#x27;A+&#x27;, &#x27;A&#x27;)" in form and "高价值" in form
    response = client.get(f"/scoring/segments/{segment.pk}/export.xlsx")
    sheet = load_workbook(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    ).active
    codes = {row[0] for row in sheet.iter_rows(min_row=6, values_only=True)}
    assert codes == set(segment_members(user=ran.planner, segment=segment).values_list("code", flat=True))
    page = client.get(f"/scoring/segments/{segment.pk}/").content.decode()
    assert 'data-chart="chart-segment"' in page
