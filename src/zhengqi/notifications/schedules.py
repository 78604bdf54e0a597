"""The built-in scheduler's bookkeeping: which jobs exist (registered by the apps that own them),
when each runs (a cron expression the provincial admin edits), and a record of every run.

``tick`` is what the scheduler process (``zhengqi scheduler``) calls every half minute: it claims each
schedule that is due with a conditional UPDATE of ``next_run_at`` — so that two schedulers, or one
restarted, never run a job twice — runs it, and records the outcome. APScheduler's ``CronTrigger``
reads the expressions and computes the next time; the schedules themselves live in the database."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from zhengqi.accounts.models import User

from .models import Schedule, ScheduleRun

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    label: Promise
    cron: str  # the default schedule
    run: Callable[[dt.datetime], str]  # does the work at the given time; returns a sentence for the record
    help: Promise | str = ""


JOBS: dict[str, Job] = {}


def register(job: Job) -> None:
    cron_trigger(job.cron)
    JOBS[job.name] = job


def cron_trigger(expression: str) -> CronTrigger:
    """A five-field cron expression in the province's time zone, or a ValidationError in Chinese."""
    fields = expression.split()
    if len(fields) != 5:
        raise ValidationError(
            {"cron": _("执行时间应为 5 段的 cron 表达式（分 时 日 月 周），例如 “0 7 * * 1-5” 表示工作日 7:00。")}
        )
    try:
        return CronTrigger.from_crontab(" ".join(fields), timezone=ZoneInfo(settings.TIME_ZONE))
    except ValueError as err:
        raise ValidationError(
            {
                "cron": _(
                    "无法识别的 cron 表达式“%(cron)s”：请检查每一段的取值（分 0–59，时 0–23，日 1–31，月 1–12，"
                    "周 0–6 或 mon–sun；可用 *、*/5、1-5、1,3）。"
                )
                % {"cron": expression}
            }
        ) from err


def next_after(expression: str, now: dt.datetime) -> dt.datetime | None:
    """The first time strictly after ``now`` that the expression names."""
    fire = cron_trigger(expression).get_next_fire_time(None, now + dt.timedelta(seconds=1))
    return fire.astimezone(dt.UTC) if fire else None


def schedules_ensure(now: dt.datetime | None = None) -> None:
    """A schedule for every registered job (its default time) and none for a job no longer known."""
    now = now or timezone.now()
    have = set(Schedule.objects.values_list("job", flat=True))
    Schedule.objects.bulk_create(
        [
            Schedule(job=j.name, cron=j.cron, next_run_at=next_after(j.cron, now))
            for j in JOBS.values()
            if j.name not in have
        ],
        ignore_conflicts=True,
    )


def schedules() -> list[tuple[Job, Schedule | None]]:
    rows = {s.job: s for s in Schedule.objects.all()}
    return [(job, rows.get(name)) for name, job in JOBS.items()]


def schedule_get(job: str) -> Schedule:
    if job not in JOBS:
        raise Http404(_("没有这个定时任务。"))
    schedules_ensure()
    return Schedule.objects.get(job=job)


def schedule_update(*, by: User, job: str, cron: str | None = None, enabled: bool | None = None) -> Schedule:
    schedule = schedule_get(job)
    if cron is not None:
        cron = " ".join(cron.split())
        cron_trigger(cron)
        schedule.cron = cron
    if enabled is not None:
        schedule.enabled = enabled
    schedule.next_run_at = next_after(schedule.cron, timezone.now())
    schedule.updated_by = by
    schedule.save()
    return schedule


def runs_of(job: str | None = None) -> QuerySet[ScheduleRun]:
    qs = ScheduleRun.objects.select_related("schedule", "by")
    return qs.filter(schedule__job=job) if job else qs


def run(schedule: Schedule, *, trigger: str, by: User | None = None, now: dt.datetime | None = None) -> ScheduleRun:
    """Run one schedule's job now and record how it went; a failure is recorded (and logged), never
    raised: the scheduler goes on with the next job."""
    now = now or timezone.now()
    record = ScheduleRun.objects.create(schedule=schedule, trigger=trigger, by=by, started_at=timezone.now())
    try:
        outcome, ok = JOBS[schedule.job].run(now), True
    except Exception as err:  # the job's own failure belongs in its record, not in the scheduler's crash
        log.exception("scheduled job %s failed", schedule.job)
        outcome, ok = _("执行失败：%(error)s") % {"error": f"{type(err).__name__}: {err}"}, False
    record.finished_at, record.ok, record.outcome = timezone.now(), ok, str(outcome)[:4000]
    record.save(update_fields=["finished_at", "ok", "outcome"])
    return record


def tick(now: dt.datetime | None = None) -> list[ScheduleRun]:
    """Run every enabled schedule that is due at ``now`` (each claimed first)."""
    now = now or timezone.now()
    schedules_ensure(now)
    done = []
    for schedule in Schedule.objects.filter(enabled=True, next_run_at__lte=now, job__in=list(JOBS)).order_by("pk"):
        claimed = Schedule.objects.filter(pk=schedule.pk, next_run_at=schedule.next_run_at).update(
            next_run_at=next_after(schedule.cron, now)
        )
        if claimed:
            done.append(run(schedule, trigger=ScheduleRun.Trigger.SCHEDULED, now=now))
    return done


def schedule_run_now(*, by: User, job: str) -> None:
    """Run a job at once, in the background worker (its record shows on the page when done)."""
    from .jobs import schedule_run_task

    schedule_get(job)
    schedule_run_task.enqueue(job, by.pk)
