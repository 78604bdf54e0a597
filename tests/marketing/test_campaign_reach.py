"""Campaigns that reach everyone they should and no one too often (issue 23): develop campaigns on
prospects (tasks to their account manager or the regional manager above), the launch preview's
counts, overlaps and contact limit equal to what the launch then does, and no customer targeted by
more campaigns in a month than the admin's limit — for generated limits and campaign sequences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.campaigns.services import (
    campaign_launch,
    campaign_launch_preview,
    contact_policy_set,
)
from zhengqi.marketing.models import Campaign, CampaignTarget, ContactPolicy, Task
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db
OCT = dt.date(2026, 10, 1)
SEGMENTS = ["status = 'active'", "status = 'prospect'", "tier in ('A+', 'A', 'B')", "revenue > 3000"]


@pytest.fixture
def ran(cast: Cast) -> Cast:
    month_run(month=OCT)
    return cast


def _campaign(by: User, segment: str, n: int) -> Campaign:
    today = dt.date.today()
    return Campaign.objects.create(
        name=f"触达测试 {n}", segment=segment, start=today, end=today + dt.timedelta(days=30), seed=n, created_by=by
    )


@hypothesis_settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(limit=st.integers(min_value=1, max_value=3), plan=st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=4))
def test_no_customer_is_targeted_more_often_than_the_limit(ran: Cast, limit: int, plan: list[str]) -> None:
    CampaignTarget.objects.all().delete()
    Campaign.objects.all().delete()
    contact_policy_set(by=ran.admin, max_per_month=limit)
    for n, segment in enumerate(plan):
        campaign = _campaign(ran.planner, segment, n)
        try:
            preview = campaign_launch_preview(by=ran.admin, campaign=campaign)
        except ValidationError:
            continue  # nothing selected (or all over the limit): nothing launched
        try:
            done = campaign_launch(by=ran.admin, campaign=campaign)
        except ValidationError:
            assert preview.targets + preview.control == 0
            continue
        # the preview said what the launch did
        assert (done.targets, done.control, done.excluded) == (preview.targets, preview.control, preview.excluded)
        assert done.tasks == done.targets  # every target has someone: its manager or the regional manager
    per_customer: dict[int, int] = {}
    for customer_id in CampaignTarget.objects.filter(group="target").values_list("customer_id", flat=True):
        per_customer[customer_id] = per_customer.get(customer_id, 0) + 1
    assert max(per_customer.values(), default=0) <= limit


def test_a_develop_campaign_reaches_prospects(ran: Cast) -> None:
    campaign = _campaign(ran.planner, "status = 'prospect'", 99)
    preview = campaign_launch_preview(by=ran.admin, campaign=campaign)
    assert preview.prospects == preview.targets + preview.control > 0
    campaign_launch(by=ran.admin, campaign=campaign)
    targets = CampaignTarget.objects.filter(campaign=campaign, group="target").select_related("customer__region")
    assert targets and all(t.customer.status == Customer.Status.PROSPECT for t in targets)
    for task in Task.objects.filter(campaign=campaign).select_related("assignee__region", "customer__region"):
        if task.customer.account_manager_id:
            assert task.assignee_id == task.customer.account_manager_id
        else:  # the regional manager above the prospect
            assert task.assignee.role == "regional_manager"
            assert task.customer.region.path.startswith(task.assignee.region.path)


def test_the_preview_names_overlaps_with_running_campaigns(ran: Cast) -> None:
    contact_policy_set(by=ran.admin, max_per_month=5)
    first = _campaign(ran.planner, "status = 'active'", 1)
    campaign_launch(by=ran.admin, campaign=first)
    second = _campaign(ran.planner, "tier in ('A+', 'A', 'B')", 2)
    preview = campaign_launch_preview(by=ran.admin, campaign=second)
    first_targets = set(
        CampaignTarget.objects.filter(campaign=first, group="target").values_list("customer_id", flat=True)
    )
    selected = set(Customer.objects.filter(status="active", tier__in=["A+", "A", "B"]).values_list("pk", flat=True))
    assert dict((c.pk, n) for c, n in preview.overlaps) == {first.pk: len(first_targets & selected)}
    client = Client()
    client.force_login(ran.admin)
    page = client.get(f"/marketing/campaigns/{second.pk}/launch/preview/").content.decode()
    assert 'data-testid="preview-overlaps"' in page and first.name in page and "确认启动" in page
    answer = client.get(f"/api/campaigns/{second.pk}/launch-preview").json()
    assert answer["overlaps"] == [
        {"campaign_id": first.pk, "campaign_name": first.name, "customers": preview.overlaps[0][1]}
    ]


def test_only_the_admin_sets_the_limit(ran: Cast) -> None:
    with pytest.raises(PermissionDenied):
        contact_policy_set(by=ran.planner, max_per_month=3)
    with pytest.raises(ValidationError) as err:
        contact_policy_set(by=ran.admin, max_per_month=0)
    assert "1 到 31" in str(err.value)
    assert ContactPolicy.objects.count() == 0  # nothing saved by a refusal
    client = Client()
    client.force_login(ran.admin)
    assert client.put(
        "/api/campaigns/contact-policy", {"max_per_month": 4}, content_type="application/json"
    ).json() == {"max_per_month": 4}
    assert ContactPolicy.current().max_per_month == 4
