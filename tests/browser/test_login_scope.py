"""An account manager logs in and sees exactly their own customers; a district manager sees
their district's. Through the real pages, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.demo.load import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def province() -> None:
    # Transactional tests empty the database after each test; load the province if needed.
    if not Customer.objects.exists():
        load_tiny()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("whoami")).to_be_visible()


def test_account_manager_sees_exactly_own_customers(live_server: object, page: Page, province: None) -> None:
    base = live_server.url
    log_in(page, base, "am")
    expect(page).to_have_url(f"{base}/workbench/")  # an account manager's day starts on the workbench
    menu = page.get_by_test_id("menu")
    menu.get_by_role("button", name="客户", exact=True).click()
    menu.get_by_role("link", name="集团客户", exact=True).click()
    own = list(Customer.objects.filter(account_manager__username="am").order_by("code").values_list("name", flat=True))
    assert 0 < len(own) <= 25
    expect(page.get_by_test_id("result-count")).to_have_text(f"共 {len(own)} 个客户")
    shown = page.get_by_test_id("customer-row").locator("td:nth-child(2)").all_inner_texts()
    assert shown == own
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "am-customer-list.png"), full_page=True)

    # Another manager's customer, reached by typing its address, is "not found".
    theirs = Customer.objects.exclude(account_manager__username="am").exclude(account_manager=None).first()
    response = page.goto(f"{base}/customers/{theirs.pk}/")
    assert response is not None and response.status == 404

    # Their own customer's page shows the revenue chart drawn by ECharts (served by the app).
    mine = Customer.objects.filter(account_manager__username="am", status="active").first()
    page.goto(f"{base}/customers/{mine.pk}/")
    expect(page.get_by_test_id("customer-name")).to_have_text(mine.name)
    expect(page.get_by_test_id("revenue-chart").locator("canvas")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "am-customer-detail.png"), full_page=True)


def test_district_manager_sees_the_district(live_server: object, page: Page, province: None) -> None:
    base = live_server.url
    log_in(page, base, "district_mgr")
    district = Customer.objects.filter(
        region__code=Customer.objects.values_list("region__code", flat=True)
        .filter(region__staff__username="district_mgr")
        .first()
    )
    count = district.count()
    expect(page.get_by_test_id("result-count")).to_have_text(f"共 {count} 个客户")
    # Filtering by tier narrows the list without leaving the district (HTMX swaps the table).
    page.get_by_label("价值等级").select_option("C")
    expected = district.filter(tier="C").count()
    expect(page.get_by_test_id("result-count")).to_have_text(f"共 {expected} 个客户")
