"""An account manager logs a complaint from the customer's page; it lands in the complaint desk's
queue; the desk's user resolves it; the account manager calls the customer back, records that they
are satisfied, and the customer's page and the workbench show it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.support.models import Department, ServiceRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_label("用户名")).to_be_visible()


def test_a_complaint_from_acceptance_to_the_customers_feedback(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not Department.objects.exists():
        load_tiny()
    customer = (
        Customer.objects.filter(account_manager__username="am", status="active", service_requests__isnull=True)
        .order_by("code")
        .first()
    )
    assert customer is not None
    desk = Department.objects.get(routing_rules__request_type="complaint", routing_rules__region__isnull=True)
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The account manager accepts the complaint on the customer's page.
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_test_id("request-link").click()
    page.get_by_label("类型").select_option("complaint")
    page.get_by_label("优先级").select_option("urgent")
    page.get_by_label("标题").fill("专线每天上午中断十分钟")
    page.get_by_label("详细情况").fill("客户信息中心主任反映，已持续一周。")
    page.get_by_role("button", name="受理并分派").click()
    expect(page.get_by_role("alert")).to_contain_text(desk.name)
    expect(page.get_by_test_id("request-department")).to_have_text(desk.name)
    expect(page.get_by_test_id("request-status")).to_have_text("处理中")
    made = ServiceRequest.objects.get(customer=customer, title="专线每天上午中断十分钟")
    page.screenshot(path=str(SCREENSHOTS / "service-request-accepted.png"), full_page=True)
    log_out(page)

    # 2. The complaint desk finds it in its queue and resolves it.
    log_in(page, base, "dept")
    expect(page).to_have_url(f"{base}/support/requests/")
    expect(page.get_by_role("link", name="集团客户")).to_have_count(0)
    queue = page.get_by_test_id("request-table")
    expect(queue).to_contain_text(customer.name)
    page.screenshot(path=str(SCREENSHOTS / "service-queue.png"), full_page=True)
    queue.get_by_role("link", name=made.number).click()
    expect(page.get_by_role("link", name=customer.name)).to_have_count(0)  # the name, not the customer's page
    page.get_by_label("处理结果").fill("更换机房光模块，连续观察三天无中断。")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已处理，待回访")
    log_out(page)

    # 3. The account manager sees it waiting on the workbench, calls the customer and closes it.
    log_in(page, base, "am")
    waiting = page.get_by_test_id("workbench-requests")
    expect(waiting).to_contain_text(made.number)
    expect(waiting).to_contain_text("待回访")
    page.screenshot(path=str(SCREENSHOTS / "service-workbench.png"), full_page=True)
    waiting.get_by_role("link", name=made.number).click()
    expect(page.get_by_test_id("request-resolution")).to_contain_text("更换机房光模块")
    close = page.get_by_test_id("close-form")
    close.get_by_label("满意", exact=True).check()
    close.get_by_placeholder("客户的原话（可选）").fill("恢复正常，谢谢。")
    close.get_by_role("button", name="记录反馈并关闭").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已关闭")
    expect(page.get_by_test_id("request-feedback")).to_contain_text("满意")
    expect(page.get_by_test_id("timeline")).to_contain_text("回访关闭")

    # 4. The customer's page shows the closed request and the satisfaction it recorded.
    page.goto(f"{base}/customers/{customer.pk}/")
    requests = page.get_by_test_id("customer-requests")
    expect(requests).to_contain_text(made.number)
    expect(requests).to_contain_text("已关闭")
    expect(page.get_by_test_id("satisfaction")).to_contain_text("100%")
    page.screenshot(path=str(SCREENSHOTS / "service-customer.png"), full_page=True)
    page.goto(f"{base}/workbench/")
    expect(page.get_by_text(made.number)).to_have_count(0)  # nothing left to do on it
