"""The account manager's pages on a 1366×768 laptop and from the keyboard; bulk reassignment by a
regional manager from the customer list."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Task
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_customer_page_fits_a_laptop_and_works_from_the_keyboard(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    month_run(month=dt.date(2026, 10, 1))
    customer = Customer.objects.filter(account_manager__username="am", status="active").first()
    assert customer is not None
    person = customer.key_persons.create(name="键盘测试人", phone="13912345678")
    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/workbench/")
    assert no_horizontal_scroll(page)
    page.goto(f"{base}/customers/{customer.pk}/")
    assert no_horizontal_scroll(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "am-customer-360.png"), full_page=True)
    expect(page.get_by_test_id("key-persons")).to_contain_text("139****5678")

    # Unmask by keyboard: the reveal control is a real button.
    page.get_by_test_id("reveal").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("key-persons")).to_contain_text("13912345678")
    assert LogEntry.objects.get_for_object(person).filter(action=LogEntry.Action.ACCESS).count() == 1

    # A task by keyboard: type the title, Tab through the date, Enter submits.
    title = page.get_by_test_id("task-form").get_by_placeholder("要做什么")
    title.focus()
    page.keyboard.type("电话确认招标时间")
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message")).to_contain_text("已创建任务")
    assert Task.objects.filter(customer=customer, title="电话确认招标时间", assignee__username="am").exists()


def test_regional_manager_moves_customers_in_bulk(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    manager = User.objects.get(username="district_mgr")
    assert manager.region is not None
    target = User.objects.create(
        username="bulk_target", display_name="批量接手人", role="account_manager", region=manager.region, grade=3
    )
    base = live_server.url
    log_in(page, base, "district_mgr")
    am = User.objects.get(username="am")
    page.goto(f"{base}/customers/?account_manager={am.pk}")
    rows = page.get_by_test_id("customer-row")
    names = [rows.nth(i).get_by_role("link").inner_text() for i in range(2)]
    for i in range(2):
        rows.nth(i).get_by_role("checkbox").check()
    bulk = page.get_by_test_id("bulk-reassign")
    bulk.get_by_label("将勾选的客户转给").select_option(str(target.pk))
    bulk.get_by_placeholder("原因").fill("均衡工作量")
    bulk.get_by_role("button", name="批量转移").click()
    expect(page.get_by_test_id("message")).to_contain_text("已将 2 个客户转给")
    assert set(Customer.objects.filter(name__in=names).values_list("account_manager", flat=True)) == {target.pk}
    page.goto(f"{base}/customers/portfolio/")
    expect(page.get_by_test_id("workload")).to_contain_text(str(target))
    page.screenshot(path=str(SCREENSHOTS / "manager-workload.png"), full_page=True)
