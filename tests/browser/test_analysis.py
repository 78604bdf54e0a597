"""A city manager reads the performance dashboard (charts drawn, numbers beside them), clicks a
count down to the customers behind it, and downloads the monthly report as PDF and Excel."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_city_manager_drills_down_and_downloads_the_report(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    month_run(month=dt.date(2026, 9, 1))
    month_run(month=dt.date(2026, 10, 1))
    base = live_server.url
    log_in(page, base, "city_mgr")
    go_to(page, "洞察", "客户洞察")
    expect(page.get_by_test_id("panel-info")).to_contain_text("完成率")
    expect(page.locator("[data-chart] canvas")).to_have_count(2)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "dashboard-performance.png"), full_page=True)

    # the arrears dashboard: a count of customers, clicked, lists exactly that many
    page.get_by_role("link", name="欠费分析").click()
    first = page.get_by_test_id("table-arrears").locator("tbody tr").first
    count = int(first.locator("td").nth(1).inner_text().replace(",", ""))
    first.locator("td").nth(1).get_by_role("link").click()
    # it lands on the customer list, the dashboard's conditions shown in words above it
    expect(page.get_by_test_id("drill")).to_contain_text("看板月份")
    expect(page.get_by_test_id("result-count")).to_contain_text(f"共 {count} 个客户")

    go_to(page, "洞察", "经营分析报告")
    expect(page.get_by_test_id("commentary")).to_contain_text("时间进度")
    page.screenshot(path=str(SCREENSHOTS / "report-page.png"))
    with page.expect_download() as pdf:
        page.get_by_test_id("download-pdf").click()
    saved = SCREENSHOTS / "report-city.pdf"
    pdf.value.save_as(saved)
    assert saved.read_bytes()[:5] == b"%PDF-"
    with page.expect_download() as xlsx:
        page.get_by_test_id("download-xlsx").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")
