"""The pages run under a Content-Security-Policy without 'unsafe-inline' scripts: nothing is refused
by the browser, the charts are drawn and the small behaviours (language switch, select all, styled
form fields) still work. A user makes an API token on its page, uses it, and revokes it."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import go_to
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import ApiToken
from zhengqi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch(page: Page) -> list[str]:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    return refused


def test_no_page_needs_an_inline_script(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    base = live_server.url
    refused = watch(page)
    log_in(page, base, "city_mgr")

    page.goto(f"{base}/customers/")
    expect(page.get_by_test_id("filters").locator("select").first).to_have_class("form-select")
    page.get_by_label("全选本页").check()
    boxes = page.locator("input[name=customer]")
    assert boxes.count() > 0
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))

    customer = Customer.objects.filter(account_manager__isnull=False, region__path__startswith="/").first()
    assert customer is not None
    page.goto(f"{base}/customers/portfolio/")
    expect(page.get_by_test_id("workload-chart").locator("canvas")).to_have_count(1)
    page.goto(f"{base}/scoring/rules/new/")
    expect(page.get_by_test_id("rule-form").locator("textarea").first).to_have_class("form-control")

    page.get_by_label("language").select_option("en")
    expect(page.get_by_role("link", name="Workbench", exact=True)).to_be_visible()
    assert refused == [], refused


def test_a_user_makes_uses_and_revokes_an_api_token(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    base = live_server.url
    refused = watch(page)
    log_in(page, base, "am")
    go_to(page, "管理", "API 令牌")
    page.get_by_label("用途").fill("周报脚本")
    page.get_by_label("有效天数").fill("7")
    page.get_by_role("button", name="创建令牌").click()
    key = page.get_by_test_id("new-token-key").inner_text().strip()
    assert key.startswith("zq_")

    def call() -> int:
        request = urllib.request.Request(f"{base}/api/tasks", headers={"Authorization": f"Bearer {key}"})  # noqa: S310
        try:
            with urllib.request.urlopen(request) as answer:  # noqa: S310
                json.load(answer)
                return int(answer.status)
        except urllib.error.HTTPError as err:
            return err.code

    assert call() == 200
    page.reload()
    expect(page.get_by_test_id("token-table")).not_to_contain_text(key)  # shown once only
    token = ApiToken.objects.get(name="周报脚本")
    row = page.get_by_test_id(f"token-{token.pk}")
    expect(row).to_contain_text("有效")
    row.get_by_role("button", name="吊销").click()
    expect(page.get_by_test_id(f"token-{token.pk}")).to_contain_text("已吊销")
    assert call() == 401
    assert refused == [], refused
