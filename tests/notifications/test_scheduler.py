"""The built-in scheduler: jobs run when their schedule says, once however often it ticks; a bad
schedule is refused in Chinese and changes nothing; every run is recorded; the escalation job tells
the regional manager in the app and by e-mail."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.conftest import Cast
from tests.notifications.servers import Inbox, text_of
from zhengqi.customers.models import Customer
from zhengqi.marketing.models import Task
from zhengqi.notifications import schedules
from zhengqi.notifications.models import Kind, Notification, Schedule, ScheduleRun
from zhengqi.notifications.schedules import Job, cron_trigger, schedule_update, tick

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = dt.datetime(2026, 12, 1, 0, 0, tzinfo=SHANGHAI)


@pytest.fixture
def counting() -> Any:
    calls: list[dt.datetime] = []
    job = Job("test-count", "测试任务", "0 7 * * *", lambda now: calls.append(now) or "ok")  # type: ignore[func-returns-value]
    schedules.register(job)
    yield calls
    schedules.JOBS.pop("test-count", None)


@hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(offsets=st.lists(st.integers(min_value=0, max_value=4 * 24 * 60), min_size=1, max_size=12))
def test_a_job_runs_at_most_once_for_each_time_its_schedule_names(offsets: list[int], counting: list[Any]) -> None:
    Schedule.objects.all().delete()
    counting.clear()
    schedules.schedules_ensure(START)
    ticks = sorted(START + dt.timedelta(minutes=m) for m in offsets)
    for t in ticks:
        tick(t)
        tick(t)  # a second scheduler, or a restart, at the same moment
    sevens = [START.replace(hour=7) + dt.timedelta(days=d) for d in range(5)]
    crossed = [s for s in sevens if s <= ticks[-1]]
    assert len(counting) <= len(crossed)
    # every 07:00 with a tick at or after it, before the next 07:00, runs the job exactly once
    windows = {max(s for s in crossed if s <= t) for t in ticks if any(s <= t for s in crossed)}
    assert len(counting) == len(windows)
    assert ScheduleRun.objects.filter(schedule__job="test-count", ok=True).count() == len(counting)


@hsettings(max_examples=40, deadline=None)
@given(expression=st.text(alphabet="0123456789*/-, abcdefghijklmnopqrstuvwxyz?L#", max_size=30))
def test_any_schedule_text_is_accepted_as_cron_or_refused_in_chinese(expression: str) -> None:
    try:
        cron_trigger(expression)
    except ValidationError as err:
        assert any("cron" in m or "分 时 日 月 周" in m for m in err.messages)


def test_a_refused_schedule_changes_nothing(cast: Cast, counting: list[Any]) -> None:
    schedules.schedules_ensure()
    before = Schedule.objects.get(job="test-count")
    with pytest.raises(ValidationError):
        schedule_update(by=cast.admin, job="test-count", cron="61 7 * * *")
    after = Schedule.objects.get(job="test-count")
    assert (after.cron, after.next_run_at, after.enabled) == (before.cron, before.next_run_at, before.enabled)
    changed = schedule_update(by=cast.admin, job="test-count", cron="30  6 * * 1-5", enabled=False)
    assert changed.cron == "30 6 * * 1-5" and not changed.enabled


def test_a_failing_job_is_recorded_and_the_others_still_run(counting: list[Any]) -> None:
    schedules.register(Job("test-fail", "会失败的任务", "0 7 * * *", lambda now: 1 / 0))  # type: ignore[arg-type, return-value]
    try:
        schedules.schedules_ensure(START)
        runs = tick(START.replace(hour=8))
        by_job = {r.schedule.job: r for r in runs}
        assert by_job["test-fail"].ok is False and "ZeroDivisionError" in by_job["test-fail"].outcome
        assert by_job["test-count"].ok is True and len(counting) == 1
    finally:
        schedules.JOBS.pop("test-fail", None)


def overdue_task(cast: Cast, days: int = 3) -> Task:
    customer = Customer.objects.filter(
        account_manager=cast.am, region__path__startswith=cast.district_manager.region.path
    ).first()
    assert customer is not None
    today = dt.date(2026, 12, 2)
    return Task.objects.create(
        customer=customer, assignee=cast.am, title="回访专线故障", due=today - dt.timedelta(days=days)
    )


def test_the_scheduler_escalates_an_overdue_task_and_the_manager_is_told_and_mailed(smtp: Inbox, cast: Cast) -> None:
    task = overdue_task(cast)
    schedules.schedules_ensure(START)
    Schedule.objects.exclude(job="escalate-tasks").update(enabled=False)  # this test watches one job
    out = call_command_output("scheduler", "--once", "--now", "2026-12-02T07:00:30+08:00")
    assert "✓ escalate-tasks" in out
    task.refresh_from_db()
    assert task.escalated_to == cast.district_manager
    note = Notification.objects.get(user=cast.district_manager, kind=Kind.ESCALATION)
    assert note.title == "有 1 项逾期任务上报给您" and note.read_at is None
    [mail] = smtp.to(cast.district_manager.email)
    assert str(mail["Subject"]).strip() == "【政企】有 1 项逾期任务上报给您"
    assert "/workbench/#escalated" in text_of(mail)
    run = ScheduleRun.objects.get(schedule__job="escalate-tasks")
    assert run.ok and "已上报逾期任务 1 项" in run.outcome and "发送 1 条" in run.outcome
    # the next tick the same morning does nothing again
    call_command_output("scheduler", "--once", "--now", "2026-12-02T07:05:00+08:00")
    assert ScheduleRun.objects.filter(schedule__job="escalate-tasks").count() == 1
    assert len(smtp.to(cast.district_manager.email)) == 1


def call_command_output(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_scheduler_command_refuses_a_time_without_a_zone() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="时区"):
        call_command("scheduler", "--once", "--now", "2026-12-02T07:00")
