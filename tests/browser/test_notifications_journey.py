"""Done-when of issue 24: an overdue task escalates by the scheduler (``zhengqi scheduler --once``),
the regional manager's bell shows it, opening it lands on the escalated task, and the e-mail has
arrived at the local SMTP server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from tests.notifications.servers import Inbox, smtp, text_of
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Task
from zhengqi.notifications.models import Delivery, Notification, Schedule
from zhengqi.notifications.schedules import schedules_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
__all__ = ["smtp"]


def test_an_overdue_task_escalated_by_the_scheduler_rings_the_managers_bell_and_mails_them(
    live_server: Any, page: Page, smtp: Inbox
) -> None:
    if not Customer.objects.exists():
        load_tiny()
    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    manager = User.objects.get(username="district_mgr")
    customer = Customer.objects.filter(
        account_manager__username="am", region__path__startswith=manager.region.path
    ).first()
    assert customer is not None
    today = timezone.localdate()
    Task.objects.create(
        customer=customer, assignee=customer.account_manager, title="上门回访断网投诉", due=today - dt.timedelta(days=4)
    )
    now = timezone.localtime().replace(hour=7, minute=0, second=30, microsecond=0)
    schedules_ensure(now - dt.timedelta(days=1))
    Schedule.objects.exclude(job__in=["escalate-tasks", "deliver"]).update(enabled=False)

    call_command("scheduler", "--once", "--now", now.isoformat())

    [mail] = smtp.to(manager.email)
    assert str(mail["Subject"]).strip() == "【政企】有 1 项逾期任务上报给您"
    assert "/workbench/#escalated" in text_of(mail)

    base = live_server.url
    log_in(page, base, "district_mgr")
    expect(page.get_by_test_id("unread")).to_have_text("1")
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("notifications")).to_contain_text("有 1 项逾期任务上报给您")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "notifications.png"), full_page=True)
    page.get_by_test_id("notifications").get_by_role("button").first.click()
    expect(page.get_by_test_id("escalated")).to_contain_text("上门回访断网投诉")
    expect(page.get_by_test_id("unread")).to_have_count(0)

    # the provincial admin sees the runs on the schedules page
    page.get_by_role("button", name="退出").click()
    log_in(page, base, "admin")
    page.goto(f"{base}/schedules/")
    expect(page.get_by_test_id("schedule-runs")).to_contain_text("已上报逾期任务 1 项")
