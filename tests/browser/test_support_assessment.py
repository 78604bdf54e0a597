"""支撑体系考核: a complaint about a bill lands at the complaint desk, which passes it to the billing
centre (the deadline stands); billing resolves it; the provincial admin sets a target and finds the
billing centre in this month's ranking (the report's sheet: tests/insight/test_report.py)."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.support.models import Department, ServiceRequest, SupportTarget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_misrouted_complaint_is_passed_on_and_the_departments_are_ranked(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not Department.objects.exists():
        load_tiny()
    customer = Customer.objects.filter(account_manager__username="am", status="active").order_by("-code").first()
    assert customer is not None
    billing = Department.objects.get(code="BIL")
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The account manager logs the complaint: it goes to the complaint desk.
    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_test_id("request-link").click()
    page.get_by_label("类型").select_option("complaint")
    page.get_by_label("标题").fill("投诉专线月费比合同约定高 200 元")
    page.get_by_role("button", name="受理并分派").click()
    made = ServiceRequest.objects.get(customer=customer, title="投诉专线月费比合同约定高 200 元")
    due = made.due_at
    assert made.department.code == "KF"
    log_out(page)

    # 2. The desk passes it to the billing centre; a transfer without a reason is refused first.
    log_in(page, base, "dept")
    page.goto(f"{base}/support/requests/{made.pk}/")
    form = page.get_by_test_id("transfer-form")
    form.get_by_label("接手部门").select_option(str(billing.pk))
    form.get_by_label("转派原因").fill(" ")
    form.get_by_role("button", name="转派").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("请写明转派原因")
    page.get_by_test_id("transfer-form").get_by_label("接手部门").select_option(str(billing.pk))
    page.get_by_test_id("transfer-form").get_by_label("转派原因").fill("月费差异属计费问题")
    page.get_by_test_id("transfer-form").get_by_role("button", name="转派").click()
    expect(page.get_by_role("alert")).to_contain_text("处理时限不变")
    log_out(page)

    # 3. Billing finds it in its queue, with the same deadline, and resolves it.
    log_in(page, base, "billing")
    queue = page.get_by_test_id("request-table")
    queue.get_by_role("link", name=made.number).click()
    expect(page.get_by_test_id("request-department")).to_have_text(billing.name)
    expect(page.get_by_test_id("timeline")).to_contain_text("转派")
    page.get_by_label("处理结果").fill("核实为套餐配置错误，已退还差额并更正。")
    page.get_by_role("button", name="办结").click()
    expect(page.get_by_test_id("request-status")).to_have_text("已处理，待回访")
    made.refresh_from_db()
    assert made.due_at == due
    log_out(page)

    # 4. The admin sets a target and reads this month's ranking.
    log_in(page, base, "admin")
    go_to(page, "服务", "支撑部门考核")
    this_month = timezone.localdate().strftime("%Y-%m")
    page.get_by_label("月份").select_option(this_month)
    expect(page).to_have_url(f"{base}/support/assessment/?month={this_month}")
    target = page.get_by_test_id("target-form")
    target.get_by_label("指标").select_option("on_time")
    target.get_by_label("目标值").fill("九成")
    target.get_by_role("button", name="设定目标").click()
    expect(page.get_by_role("alert")).to_contain_text("不是数字")
    target = page.get_by_test_id("target-form")
    target.get_by_label("指标").select_option("on_time")
    target.get_by_label("目标值").fill("95%")
    target.get_by_role("button", name="设定目标").click()
    expect(page.get_by_role("alert")).to_contain_text("已设定考核目标")
    assert SupportTarget.objects.filter(department=None, metric="on_time", value="0.950").exists()
    ranking = page.get_by_test_id("assessment")
    expect(ranking.get_by_role("row").filter(has_text=billing.name)).to_have_count(1)
    expect(page.locator('[data-chart="assessment-chart"] canvas')).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "support-assessment.png"), full_page=True)
