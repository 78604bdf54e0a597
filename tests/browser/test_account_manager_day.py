"""An account manager's morning: an alert task on the workbench, the customer page, a visit with
two key persons and a next step, and the task closes with its outcome."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Interaction, Task
from zhengqi.scoring.month_run import month_run

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_alert_task_to_visit_to_done(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    month_run(month=dt.date(2026, 10, 1))
    task = (
        Task.objects.filter(assignee__username="am", status="open", source="alert")
        .select_related("customer")
        .order_by("due", "pk")
        .first()
    )
    assert task is not None
    # the visit needs two key persons: make sure the customer has them
    people = list(task.customer.key_persons.all()[:2])
    while len(people) < 2:
        people.append(task.customer.key_persons.create(name=f"联系人{len(people) + 1}", phone="13800000000"))
    base = live_server.url
    log_in(page, base, "am")
    page.goto(f"{base}/workbench/")
    row = page.locator(f"#task-{task.pk}")
    expect(row).to_contain_text(task.customer.name)
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "am-workbench.png"), full_page=True)
    row.get_by_role("link", name="记录拜访").click()
    page.wait_for_load_state("networkidle")  # the page's scripts have run: nothing resets the form under us
    form = page.get_by_test_id("interaction-form")
    for person in people:
        form.get_by_label(person.name, exact=True).check()
    form.get_by_label("内容摘要").fill("上门拜访，了解协议续签意向")
    form.get_by_label("结果", exact=True).fill("客户同意下月签订新协议")
    form.get_by_label("下一步", exact=True).fill("准备续约方案")
    form.get_by_label("下一步日期").fill("2026-12-01")
    form.get_by_role("button", name="保存接触记录并完成任务").click()
    expect(page.get_by_test_id("message")).to_contain_text("任务已完成")
    expect(page.get_by_test_id("interactions")).to_contain_text("准备续约方案")
    page.screenshot(path=str(SCREENSHOTS / "am-customer-after-visit.png"), full_page=True)
    task.refresh_from_db()
    assert task.status == "done" and task.outcome == "客户同意下月签订新协议"
    visit = Interaction.objects.get(task=task)
    assert {p.pk for p in visit.key_persons.all()} == {p.pk for p in people}
    assert Task.objects.filter(customer=task.customer, title="准备续约方案", due=dt.date(2026, 12, 1)).exists()
