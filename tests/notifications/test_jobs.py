"""The scheduler's own jobs: the month run on the first working day after the facts arrive (once),
the account manager's morning digest (once a day, only to someone with something to do)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from tests.conftest import Cast
from zhengqi.engine.lake import Lake
from zhengqi.engine.months import Month
from zhengqi.marketing.models import Task
from zhengqi.notifications.models import Delivery
from zhengqi.portal.digest import digests_send
from zhengqi.portal.jobs import month_run_when_ready
from zhengqi.scoring.models import MonthRun

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_month_run_waits_for_a_working_day_and_runs_the_newest_month_once() -> None:
    newest = Month.parse(Lake(settings.ZHENGQI_LAKE).months("customer_month")[-1]).first
    MonthRun.objects.filter(month__gte=newest).delete()
    saturday = dt.datetime(2026, 12, 5, 6, 0, tzinfo=SHANGHAI)
    assert "不是工作日" in month_run_when_ready(saturday)
    assert not MonthRun.objects.filter(month=newest).exists()
    monday = dt.datetime(2026, 12, 7, 6, 0, tzinfo=SHANGHAI)
    outcome = month_run_when_ready(monday)
    assert f"{newest:%Y-%m}" in outcome and "已启动" in outcome
    run = MonthRun.objects.get(month=newest)
    assert run.status == MonthRun.Status.SUCCEEDED and run.started_by is None
    assert "没有新到的数据" in month_run_when_ready(monday + dt.timedelta(days=1))
    assert MonthRun.objects.filter(month=newest).count() == 1


def test_the_digest_goes_once_a_day_to_whoever_has_something_to_do(cast: Cast) -> None:
    today = dt.date(2026, 12, 2)
    customer = cast.am.customers.first()
    Task.objects.create(customer=customer, assignee=cast.am, title="催缴十月欠费", due=today - dt.timedelta(days=2))
    Delivery.objects.all().delete()
    assert digests_send(today) >= 1
    mail = Delivery.objects.get(to=cast.am.email)
    assert mail.subject == "【政企】2026-12-02 每日工作摘要"
    assert "催缴十月欠费" in mail.text and "逾期任务" in mail.text and "催缴十月欠费" in mail.html
    assert digests_send(today) == 0  # a re-run the same day
    assert not Delivery.objects.filter(to=cast.city_manager.email).exists()  # not an account manager
