"""全员营销: a support-department employee refers a lead from a phone (a wrong number refused first);
it goes to the district's manager, who finds it waiting, records it won with the deal's monthly
revenue; the month's rewards pay the referrer by the rule in force."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_phone import phone_log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Referral
from zhengqi.marketing.referrals import reward_of, rule_in_force

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(browser: Any) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def test_a_lead_from_a_phone_is_won_and_rewarded(live_server: object, phone: Page, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    manager = User.objects.get(username="district_mgr")
    assert manager.region is not None
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    phone_log_in(phone, base, "network")
    phone.goto(f"{base}/marketing/referrals/new/")
    form = phone.get_by_test_id("referral-form")
    form.get_by_label("单位名称").fill("永宁区新建产业园管委会")
    form.get_by_label("所在区域").select_option(str(manager.region.pk))
    form.get_by_label("需求").fill("园区 40 家企业要宽带，管委会要一条专线")
    form.get_by_label("联系人").fill("周主任")
    form.get_by_label("联系电话").fill("1391234")
    form.get_by_role("button", name="提交推荐").click()
    expect(phone.locator(".invalid-feedback")).to_contain_text("手机号")
    assert not Referral.objects.filter(organisation="永宁区新建产业园管委会").exists()
    phone.get_by_test_id("referral-form").get_by_label("联系电话").fill("13912348888")
    phone.get_by_test_id("referral-form").get_by_role("button", name="提交推荐").click()
    expect(phone.get_by_role("alert")).to_contain_text("已提交推荐")
    expect(phone.get_by_test_id("referral-follower")).to_have_text(str(manager))
    phone.screenshot(path=str(SCREENSHOTS / "referral-phone.png"), full_page=True)
    made = Referral.objects.get(organisation="永宁区新建产业园管委会")

    log_in(page, base, "district_mgr")
    go_to(page, "营销", "全员营销推荐")
    page.get_by_test_id("referrals").get_by_role("link", name=made.number).click()
    expect(page.get_by_test_id("referral-phone")).to_have_text("13912348888")  # the follower calls (others: masked)
    progress = page.get_by_test_id("progress-form")
    progress.get_by_label("结果").select_option("won")
    progress.get_by_label("成交月收入（元）").fill("3200")
    progress.get_by_role("button", name="保存").click()
    expect(page.get_by_test_id("referral-status")).to_have_text("已成交")

    made.refresh_from_db()
    assert made.decided_at is not None
    want = reward_of(made, rule_in_force(made.decided_at.date()))
    assert want > Decimal("0")
    page.goto(f"{base}/marketing/referrals/rewards/")
    rewards = page.get_by_test_id("rewards")
    expect(rewards.get_by_role("row").filter(has_text=made.number)).to_contain_text(str(want))
    page.screenshot(path=str(SCREENSHOTS / "referral-rewards.png"), full_page=True)
