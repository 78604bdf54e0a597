"""A district manager records a competitor's move on three of the district's customers (after a
typo in a customer code is refused), sees the activity chart and the contested customers, and
launches a response plan on exactly those customers."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.competition.models import CompetitorEvent, ResponsePlan
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import CampaignTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_competitor_move_is_recorded_and_answered(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not ResponsePlan.objects.exists():
        load_tiny()
    manager = User.objects.get(username="district_mgr")
    assert manager.region is not None
    three = list(
        Customer.objects.filter(
            region__path__startswith=manager.region.path, status="active", account_manager__isnull=False
        ).order_by("-code")[:3]
    )
    plan = ResponsePlan.objects.order_by("name").first()
    assert len(three) == 3 and plan is not None
    base = live_server.url
    log_in(page, base, "district_mgr")
    go_to(page, "服务", "竞争动向")
    page.get_by_role("link", name="登记竞争动向").click()
    form = page.get_by_test_id("event-form")
    form.get_by_label("竞争对手").select_option("unicom")
    form.get_by_label("动向").select_option("handset")
    form.get_by_label("发生日期").fill("2026-11-20")
    form.get_by_label("内容").fill("对手客户经理上门推销融合套餐")
    codes = "\n".join(c.code for c in three)
    form.get_by_label("涉及的客户编码（逗号或换行分隔）").fill(codes + "\nNO-SUCH-CODE")
    form.get_by_role("button", name="登记并预警").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("NO-SUCH-CODE")  # refused, nothing recorded
    assert not CompetitorEvent.objects.filter(summary="对手客户经理上门推销融合套餐").exists()
    page.get_by_label("涉及的客户编码（逗号或换行分隔）").fill(codes)
    page.get_by_role("button", name="登记并预警").click()
    expect(page.get_by_role("alert")).to_contain_text("3 个客户新增竞争防范预警")
    expect(page.get_by_test_id("event-customers").get_by_role("row")).to_have_count(4)  # header + 3

    page.get_by_test_id("launch-form").get_by_role("combobox").select_option(str(plan.pk))
    page.get_by_role("button", name="一键启动").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan.name)
    event = CompetitorEvent.objects.get(summary="对手客户经理上门推销融合套餐")
    assert event.campaign is not None
    targets = set(CampaignTarget.objects.filter(campaign=event.campaign).values_list("customer_id", flat=True))
    assert targets == {c.pk for c in three}

    page.goto(f"{base}/competition/")
    expect(page.locator('[data-chart="chart-city"] canvas')).to_have_count(1)
    contested = page.get_by_test_id("contested")
    for customer in three:
        expect(contested).to_contain_text(customer.name)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "competition.png"), full_page=True)
