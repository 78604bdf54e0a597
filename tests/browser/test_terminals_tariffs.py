"""终端与资费: the planner adds one of our tariff plans (a fee in words refused first); the account
manager records the competitor's plan from a competitor event on their customer, then offers that
customer a bundle — terminals, our plan for its lines — and reads its price against the competitor's;
the customer declines, the manager records why, and the catalogue page counts it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.competition.models import Bundle, CompetitorEvent, Terminal
from zhengqi.competition.tariffs import bundle_outcomes
from zhengqi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_bundle_is_priced_against_the_competitors_tariff(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not CompetitorEvent.objects.exists():
        load_tiny()
    event = (
        CompetitorEvent.objects.filter(customers__account_manager__username="am", customers__status="active")
        .order_by("-date")
        .first()
    )
    assert event is not None
    customer = event.customers.filter(account_manager__username="am", status="active").order_by("code").first()
    assert customer is not None
    phone = Terminal.objects.filter(active=True).first() or Terminal.objects.create(
        name="5G 手机", kind="phone", price=2400
    )
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    # 1. The planner adds a plan to the catalogue.
    log_in(page, base, "planner")
    go_to(page, "服务", "终端与资费")
    form = page.get_by_test_id("tariff-form")
    form.get_by_label("资费名称").fill("集团尊享 58")
    form.get_by_label("月费（元/线）").fill("五十八")
    form.get_by_role("button", name="加入我方资费").click()
    expect(page.get_by_role("alert")).to_contain_text("不是数字")
    form = page.get_by_test_id("tariff-form")
    form.get_by_label("月费（元/线）").fill("５８元")  # as a Chinese input method types it
    form.get_by_role("button", name="加入我方资费").click()
    expect(page.get_by_test_id("our-tariffs")).to_contain_text("集团尊享 58")
    log_out(page)

    # 2. The account manager records the competitor's plan on the event.
    log_in(page, base, "am")
    page.goto(f"{base}/competition/events/{event.pk}/")
    form = page.get_by_test_id("event-tariff-form")
    form.get_by_label("资费名称").fill("对手融合 29")
    form.get_by_label("月费（元/线）").fill("29")
    form.get_by_role("button", name="登记对手资费").click()
    expect(page.get_by_test_id("event-tariffs")).to_contain_text("对手融合 29")

    # 3. A bundle for the customer, priced against that plan for the same lines.
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_test_id("bundles-link").click()
    form = page.get_by_test_id("bundle-form")
    form.get_by_label("我方资费").select_option(label="集团尊享 58（58.00 元/线）")
    form.get_by_label("线路数").fill("20")
    form.get_by_label("终端", exact=True).select_option(str(phone.pk))
    form.get_by_role("button", name="保存并比价").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写终端数量")
    form = page.get_by_test_id("bundle-form")
    form.get_by_label("我方资费").select_option(label="集团尊享 58（58.00 元/线）")
    form.get_by_label("线路数").fill("20")
    form.get_by_label("终端", exact=True).select_option(str(phone.pk))
    form.get_by_label("终端数量").fill("5")
    form.get_by_role("button", name="保存并比价").click()
    expect(page.get_by_role("alert")).to_contain_text("已保存终端资费组合")
    made = Bundle.objects.filter(customer=customer).latest("created_at")
    assert made.competitor_tariff is not None and made.competitor_tariff.name == "对手融合 29"
    row = page.get_by_test_id("bundles").get_by_role("row").filter(has_text="集团尊享 58")
    expect(row).to_contain_text("580.00")  # their 29 × 20 lines
    expect(row.get_by_test_id("gap")).to_contain_text("贵")
    expect(row.get_by_test_id("gap")).to_contain_text("%")

    # 4. The customer says no: the reason is asked for, then recorded, and counted on the catalogue page.
    row.get_by_role("button", name="未成交").click()
    expect(page.get_by_role("alert")).to_contain_text("请填写未成交的原因")
    row = page.get_by_test_id("bundles").get_by_role("row").filter(has_text="集团尊享 58")
    row.get_by_label("未成交原因").fill("对手月费低一半")
    row.get_by_role("button", name="未成交").click()
    row = page.get_by_test_id("bundles").get_by_role("row").filter(has_text="集团尊享 58")
    expect(row.get_by_test_id("outcome")).to_contain_text("未成交：对手月费低一半")
    made.refresh_from_db()
    assert (made.status, made.decided_by.username if made.decided_by else "") == ("lost", "am")
    go_to(page, "服务", "终端与资费")
    dearer = page.get_by_test_id("outcome-dearer")
    counted = {r.position: r for r in bundle_outcomes(made.decided_by)}["dearer"]
    assert counted.lost >= 1
    expect(dearer.locator("td").nth(3)).to_have_text(str(counted.lost))
    page.screenshot(path=str(SCREENSHOTS / "bundle-outcomes.png"), full_page=True)
    page.screenshot(path=str(SCREENSHOTS / "terminals-tariffs.png"), full_page=True)
