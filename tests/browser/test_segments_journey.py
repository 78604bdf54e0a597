"""Segments people can work (issue 23), in the browser: a dashboard's number is clicked and lands on
the customer list with its conditions; the list is saved as a segment (its condition widened to the
prospects) after a preview; a campaign is started from the segment, whose launch page names the
prospects and the overlap with a running campaign and asks for confirmation; the campaign's targets
are downloaded and read back with openpyxl."""

from __future__ import annotations

import datetime as dt

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.campaigns.services import campaign_launch
from zhengqi.marketing.models import Campaign, CampaignTarget
from zhengqi.scoring.models import Segment
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_drill_down_to_segment_to_campaign_to_export(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    month_run(month=dt.date(2026, 9, 1))
    month_run(month=dt.date(2026, 10, 1))
    admin = User.objects.get(username="admin")
    today = dt.date.today()
    running = Campaign.objects.create(
        name="已在执行的关怀活动", segment="status = 'active'", start=today, end=today + dt.timedelta(days=30),
        seed=5, created_by=admin,
    )  # fmt: skip
    campaign_launch(by=admin, campaign=running)
    base = live_server.url
    log_in(page, base, "admin")

    # a number on a dashboard lands on the customer list, its conditions in words above it
    page.goto(f"{base}/insight/arrears/?month=2026-10")
    first = page.get_by_test_id("table-arrears").locator("tbody tr").first
    count = int(first.locator("td").nth(1).inner_text().replace(",", ""))
    first.locator("td").nth(1).get_by_role("link").click()
    expect(page.get_by_test_id("drill")).to_contain_text("连续欠费")
    expect(page.get_by_test_id("result-count")).to_contain_text(f"共 {count} 个客户")

    # saved as a segment: the condition the list said, widened to the prospects, previewed, saved
    page.get_by_test_id("save-segment").click()
    condition = page.get_by_label("条件（规则语言）")
    written = condition.input_value()
    assert "arrears_streak between" in written
    condition.fill(f"({written}) or status = 'prospect'")
    page.get_by_label("名称").fill("欠费客户与潜在客户")
    page.get_by_test_id("segment-preview").click()
    expect(page.get_by_test_id("preview-count")).to_contain_text("规则有效")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("member-count")).to_contain_text("您可见的成员")
    segment = Segment.objects.get(name="欠费客户与潜在客户")

    # a campaign on it: the launch page names the prospects and the overlap, and asks to confirm
    page.get_by_test_id("segment-campaign").click()
    expect(page.locator("#c-segment")).to_have_value(segment.expression)
    page.locator("#c-start").fill(today.isoformat())
    page.locator("#c-end").fill((today + dt.timedelta(days=45)).isoformat())
    page.locator("input[name=products]").first.check()
    page.get_by_role("button", name="保存").click()
    page.get_by_test_id("launch").click()
    expect(page.get_by_test_id("preview-prospects")).to_contain_text("潜在客户")
    expect(page.get_by_test_id("preview-overlaps")).to_contain_text("已在执行的关怀活动")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "campaign-launch-confirm.png"), full_page=True)
    page.get_by_test_id("confirm-launch").click()
    expect(page.get_by_test_id("campaign-status")).to_have_text("执行中")
    campaign = Campaign.objects.get(name="欠费客户与潜在客户")

    # its targets, downloaded and read back
    with page.expect_download() as download:
        page.get_by_test_id("campaign-export-xlsx").click()
    saved = SCREENSHOTS / "campaign-targets.xlsx"
    download.value.save_as(saved)
    sheet = load_workbook(saved).active
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, r in enumerate(rows) if r[0] == "客户编码")
    codes = {r[0] for r in rows[header + 1 :]}
    assert codes == set(CampaignTarget.objects.filter(campaign=campaign).values_list("customer__code", flat=True))
    prospects = set(Customer.objects.filter(status="prospect").values_list("code", flat=True))
    assert codes & prospects, "the develop part of the campaign reached prospects"
    assert any("营销活动：欠费客户与潜在客户" in str(r[0]) for r in rows[:header])
