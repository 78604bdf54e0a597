"""A marketing planner writes a rule: a typo is explained, the fixed rule is previewed, then saved."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.scoring.models import Rule
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_planner_writes_a_rule(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    month_run(month=dt.date(2026, 10, 1))
    base = live_server.url
    log_in(page, base, "planner")
    page.goto(f"{base}/scoring/rules/new/")
    page.get_by_label("规则编码").fill("X01")
    page.get_by_label("规则名称").fill("协议将到期的大客户")
    page.get_by_label("规则表达式").fill("contract_days_left <= 120 and tier in ('A+', 'A') and revnue > 0")
    page.get_by_role("button", name="校验并预览").click()
    expect(page.get_by_test_id("preview-error")).to_contain_text("未知的特征“revnue”")
    page.get_by_label("规则表达式").fill("contract_days_left <= 120 and tier in ('A+', 'A')")
    page.get_by_role("button", name="校验并预览").click()
    expect(page.get_by_test_id("preview-count")).to_contain_text("规则有效")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "planner-rule-preview.png"), full_page=True)
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.get_by_text("规则 X01 已保存为第 1 版。")).to_be_visible()
    assert Rule.objects.get(code="X01").expression == "contract_days_left <= 120 and tier in ('A+', 'A')"
