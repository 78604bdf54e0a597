"""Pages on a phone (390 × 844): the menu collapses and 退出 is reachable, the workbench, the 360°
page, the task list, the notification centre and a service request fit the screen (no sideways
scroll); a visit is logged end to end. On a 1440 × 900 screen every role's menu is one row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.demo.load import DEMO_PASSWORD
from zhengqi.marketing.models import Interaction
from zhengqi.support.models import ServiceRequest
from zhengqi.support.requests import request_resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def phone(browser: Any) -> Iterator[Page]:
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=3,
        permissions=["geolocation"],
        geolocation={"latitude": 23.129110, "longitude": 113.264385},  # 广州
    )
    yield context.new_page()
    context.close()


def phone_log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("button", name="菜单")).to_be_visible()


WIDEST = """[...document.querySelectorAll('body *')]
  .filter(e => { for (let a = e.parentElement; a; a = a.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return false; } return true; })
  .map(e => [e.getBoundingClientRect().right,
             e.tagName + '.' + [...e.classList].join('.') + ' ' + (e.textContent || '').trim().slice(0, 30)])
  .filter(([right]) => right > 390.5).sort((a, b) => b[0] - a[0]).slice(0, 5)"""


def fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{page.url} is {width} px wide on a 390 px phone: {page.evaluate(WIDEST)}"


def test_an_account_managers_day_on_a_phone(live_server: Any, phone: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    base = live_server.url
    page = phone
    phone_log_in(page, base, "am")
    fits(page)
    page.get_by_role("button", name="菜单").click()
    expect(page.get_by_role("button", name="退出")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "phone-menu.png"))
    customer = Customer.objects.filter(account_manager__username="am", status="active").order_by("code").first()
    assert customer is not None
    for path in (
        "/workbench/",
        f"/customers/{customer.pk}/",
        "/marketing/tasks/",
        "/notifications/",
        "/support/requests/",
    ):
        page.goto(base + path)
        fits(page)
    request = ServiceRequest.objects.filter(customer__account_manager__username="am").first()
    if request is not None:
        page.goto(f"{base}/support/requests/{request.pk}/")
        fits(page)
    # a visit logged from the customer's page: the camera's photo and where the phone is
    page.goto(f"{base}/customers/{customer.pk}/")
    before = Interaction.objects.filter(customer=customer).count()
    page.get_by_text("记录拜访 / 电话 / 会议").click()
    form = page.get_by_test_id("interaction-form")
    form.get_by_label("内容摘要").fill("在客户处演示云专线，客户有意向")
    form.get_by_label("现场照片").set_input_files({"name": "拜访.png", "mimeType": "image/png", "buffer": PNG})
    form.get_by_role("button", name="记录当前位置").click()
    expect(form.get_by_text("已记录位置")).to_be_visible()
    form.get_by_role("button", name="保存接触记录").click()
    expect(page.get_by_test_id("interactions")).to_contain_text("在客户处演示云专线")
    expect(page.get_by_test_id("visit-place").first).to_contain_text("23.12911, 113.26439")
    visit = Interaction.objects.filter(customer=customer).order_by("-pk").first()
    assert Interaction.objects.filter(customer=customer).count() == before + 1
    assert visit is not None and visit.photo and visit.latitude is not None
    photo = page.request.get(f"{base}/marketing/interactions/{visit.pk}/photo/")
    assert photo.ok and photo.body().startswith(b"\x89PNG")
    fits(page)
    page.screenshot(path=str(SCREENSHOTS / "phone-customer.png"), full_page=True)

    # a task closed from the task list
    page.goto(f"{base}/marketing/tasks/")
    task = page.get_by_test_id("task").first
    task.get_by_label("处理结果").fill("已电话回访，客户满意")
    task.get_by_role("button", name="完成").click()
    expect(page.get_by_test_id("task").first).to_contain_text("已电话回访，客户满意")
    fits(page)

    # a resolved service request closed with the customer's feedback
    mine = ServiceRequest.objects.filter(customer__account_manager__username="am")
    resolved = mine.filter(status="resolved").first()
    if resolved is None:  # the department resolves one of the open ones first
        waiting = mine.filter(status="open").select_related("department__head").first()
        assert waiting is not None, "the tiny province has open requests of am's customers"
        worker = waiting.department.head or waiting.department.members.first()
        resolved = request_resolve(by=worker, request=waiting, resolution="已更换光猫，线路恢复")
    if resolved is not None:
        page.goto(f"{base}/support/requests/{resolved.pk}/")
        fits(page)
        close = page.get_by_test_id("close-form")
        close.get_by_label("满意", exact=True).check()
        close.get_by_role("button", name="记录反馈并关闭").click()
        expect(page.get_by_test_id("request-status")).to_have_text("已关闭")
        fits(page)


@pytest.mark.parametrize("username", ["admin", "planner", "city_mgr", "district_mgr", "am", "partner", "dept"])
def test_every_roles_menu_is_one_row_on_a_wide_screen(live_server: Any, browser: Any, username: str) -> None:
    if not Customer.objects.exists():
        load_tiny()
    context = browser.new_context(locale="zh-CN", viewport={"width": 1440, "height": 900})
    page = context.new_page()
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("whoami")).to_be_visible()
    tops = page.evaluate(
        "[...document.querySelectorAll('[data-testid=menu] > li, [data-testid=bell], [data-testid=whoami], "
        "[data-testid=logout]')].map(e => Math.round(e.getBoundingClientRect().top))"
    )
    groups = page.evaluate("document.querySelectorAll('[data-testid=menu] > li').length")
    height = page.evaluate("document.querySelector('nav.navbar').getBoundingClientRect().height")
    context.close()
    assert 1 <= groups <= 7
    assert height < 80, f"{username}'s menu is {height} px high: more than one row"
    assert max(tops) - min(tops) < 20, tops
