"""A development application in the browser: an account manager applies to develop a prospect; the
district manager rejects it with a comment; the account manager revises and applies again; the
district manager approves; the plan's steps are on the account manager's workbench."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import go_to
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import DevelopmentApplication, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reject_reapply_approve(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    base = live_server.url
    am = User.objects.get(username="am")
    prospect = Customer.objects.filter(account_manager=am).order_by("code").first()
    assert prospect is not None
    Customer.objects.filter(pk=prospect.pk).update(status=Customer.Status.PROSPECT, competitor_operator="telecom")

    log_in(page, base, "am")
    go_to(page, "营销", "商机")
    row = page.get_by_test_id("candidates").get_by_role("row").filter(has_text=prospect.name)
    row.get_by_role("link", name="申请开发").click()
    page.get_by_label("客户需求与开发理由").fill("新建园区需要互联网专线")
    page.get_by_label("开发计划").fill("2026-12-01 拜访信息中心主任\n2026-12-40 提交方案")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("开发计划第 2 行应为")).to_be_visible()  # a bad date: nothing saved
    assert not DevelopmentApplication.objects.exists()
    page.get_by_label("开发计划").fill("2026-12-01 拜访信息中心主任\n2026-12-15 提交方案")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待审批")
    page.get_by_role("button", name="退出").click()

    log_in(page, base, "district_mgr")
    go_to(page, "营销", "商机")
    page.get_by_test_id("pending").get_by_role("link", name="审批").click()
    page.get_by_role("button", name="驳回").click()
    expect(page.get_by_test_id("message")).to_contain_text("驳回时请写明原因")
    page.get_by_label("审批意见").fill("请补充预计收入和竞争对手报价")
    page.get_by_role("button", name="驳回").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已驳回")
    page.get_by_role("button", name="退出").click()

    log_in(page, base, "am")
    go_to(page, "营销", "商机")
    page.get_by_test_id("applications").get_by_role("link", name=prospect.name).click()
    page.get_by_test_id("reapply").click()
    expect(page.get_by_label("客户需求与开发理由")).to_have_value(
        "新建园区需要互联网专线"
    )  # the rejected text, to revise
    page.get_by_label("预计月收入（元）").fill("12000")
    page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_test_id("application-status")).to_have_text("待审批")
    page.get_by_role("button", name="退出").click()

    log_in(page, base, "district_mgr")
    go_to(page, "营销", "商机")
    page.get_by_test_id("pending").get_by_role("link", name="审批").click()
    page.get_by_role("button", name="批准").click()
    expect(page.get_by_test_id("application-status")).to_have_text("已批准")
    expect(page.get_by_test_id("plan-steps")).to_contain_text("拜访信息中心主任")
    page.get_by_role("button", name="退出").click()

    second = DevelopmentApplication.objects.get(status="approved")
    assert second.previous is not None and second.previous.status == "rejected"
    assert second.expected_revenue == 12000
    assert Task.objects.filter(development=second, assignee=am).count() == 2

    log_in(page, base, "am")  # the workbench tracks the plan: its next step and how many are left
    plans = page.get_by_test_id("plans")
    expect(plans).to_contain_text(prospect.name)
    expect(plans).to_contain_text("拜访信息中心主任")
