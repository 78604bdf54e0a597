"""分层服务: the provincial admin shortens the A+ tier's visit cycle and fault deadline (a wrong value
refused first); the account manager finds an A+ customer due for a visit on the workbench, sees the
entitlements on its page, logs the visit (the customer leaves the card) and a fault, which gets the
A+ deadline; the city manager reads the tier's promised vs delivered visits."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Interaction
from zhengqi.support.models import Department, ServiceRequest, TierService
from zhengqi.support.tiers import install_defaults

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_premium_customer_is_visited_on_its_cycle_and_served_within_its_deadline(
    live_server: object, page: Page
) -> None:
    if not Customer.objects.exists() or not Department.objects.exists():
        load_tiny()
    install_defaults()
    mine = Customer.objects.filter(account_manager__username="am", status="active").order_by("code")
    customer = mine.first()
    assert customer is not None
    mine.exclude(pk=customer.pk).update(tier="C")
    Customer.objects.filter(pk=customer.pk).update(tier="A+")
    Interaction.objects.filter(customer__account_manager__username="am").delete()
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The admin edits the A+ promises: a cycle in words is refused, then 20 days and a 2-hour fault deadline.
    log_in(page, base, "admin")
    go_to(page, "服务", "分层服务")
    form = page.get_by_test_id("tier-form-A+")
    page.locator("details", has=form).locator("summary").click()
    form.get_by_label("拜访周期（天）").fill("每月")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("拜访周期应为 1 至 366 天的整数")
    form = page.get_by_test_id("tier-form-A+")
    page.locator("details", has=form).locator("summary").click()
    form.get_by_label("拜访周期（天）").fill("20")
    form.get_by_label("故障处理时限（小时，留空按通用）").fill("2")
    form.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("已更新 A+ 级服务标准")
    expect(page.get_by_test_id("catalogue")).to_contain_text("每 20 天至少拜访一次")
    assert TierService.objects.get(tier="A+").visit_days == 20
    log_out(page)

    # 2. The account manager: the customer, never visited, is due on the workbench.
    log_in(page, base, "am")
    card = page.get_by_test_id("visits-due")
    expect(card.get_by_role("listitem").first).to_contain_text(customer.name)  # the higher tier first
    expect(card).to_contain_text("从未拜访")
    card.get_by_role("link", name=customer.name).click()
    expect(page.get_by_test_id("entitlement")).to_contain_text("按 A+ 级服务")
    expect(page.get_by_test_id("entitlement")).to_contain_text("每 20 天至少拜访一次")
    page.get_by_text("记录拜访 / 电话 / 会议").click()
    form = page.get_by_test_id("interaction-form")
    form.get_by_label("内容摘要").fill("季度服务回顾，客户满意")
    form.get_by_role("button", name="保存接触记录").click()
    expect(page.get_by_test_id("interactions")).to_contain_text("季度服务回顾")
    expect(page.get_by_test_id("entitlement")).not_to_contain_text("最近拜访 无")
    page.goto(f"{base}/workbench/")
    expect(page.get_by_test_id("visits-due")).not_to_contain_text(customer.name)

    # 3. A fault logged for the customer gets the A+ deadline: two hours.
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_test_id("request-link").click()
    page.get_by_label("类型").select_option("fault")
    page.get_by_label("标题").fill("总部专线中断")
    page.get_by_role("button", name="受理并分派").click()
    made = ServiceRequest.objects.get(customer=customer, title="总部专线中断")
    assert made.tier == "A+" and (made.due_at - made.created_at).total_seconds() == 2 * 3600
    log_out(page)

    # 4. The city manager reads the month: one A+ visit made of those promised, with the chart.
    log_in(page, base, "city_mgr")
    go_to(page, "服务", "分层服务")
    row = page.get_by_test_id("delivery").get_by_role("row").filter(has_text="A+")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(3)).to_have_text("1")
    expect(page.locator('[data-chart="tier-chart"] canvas')).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "service-tiers.png"), full_page=True)
