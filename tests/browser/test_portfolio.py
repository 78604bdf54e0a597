"""A regional manager reassigns a customer: the old account manager loses it, the new one has it;
an A+ customer offered to an unqualified grade is refused with its message."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reassignment_moves_access_and_respects_qualification(
    live_server: object, page: Page, browser: Browser
) -> None:
    if not Customer.objects.exists():
        load_tiny()
    base = live_server.url
    old = User.objects.get(username="am")
    customer = Customer.objects.filter(account_manager=old, status="active").exclude(tier__in=["A+", "A"]).first()
    assert customer is not None
    new = User.objects.create_user(
        "am_new", password="Zhengqi@2026", role="account_manager", region=old.region, grade=1, display_name="新经理"
    )
    log_in(page, base, "district_mgr")
    page.goto(f"{base}/customers/{customer.pk}/")
    page.get_by_label("调整客户经理").select_option(str(new.pk))
    page.get_by_role("button", name="转给该客户经理").click()
    expect(page.get_by_test_id("message")).to_contain_text("已将客户转给 新经理")

    # (c) an A+ customer to a junior manager is refused, with the rule's name
    top = Customer.objects.filter(region=old.region, status="active").exclude(pk=customer.pk).first()
    assert top is not None
    Customer.objects.filter(pk=top.pk).update(tier="A+")
    page.goto(f"{base}/customers/{top.pk}/")
    page.get_by_label("调整客户经理").select_option(str(new.pk))
    page.get_by_role("button", name="转给该客户经理").click()
    expect(page.get_by_test_id("message")).to_contain_text("任职资格")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reassign-refused.png"), full_page=True)

    # (b) the old manager can no longer open the customer; the new one can
    for username, status in (("am", 404), ("am_new", 200)):
        context = browser.new_context(locale="zh-CN")
        other = context.new_page()
        log_in(other, base, username)
        response = other.goto(f"{base}/customers/{customer.pk}/")
        assert response is not None and response.status == status, username
        context.close()
