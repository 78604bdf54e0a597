"""``zhengqi scheduler``: the built-in scheduler. Runs beside the web server and the worker
(``./dev start`` starts all three); every 30 seconds it runs the schedules that are due — task
escalation, service-request supervision, messages, digests, briefs, settlements and the month run —
and records each run on the 定时任务 page. ``--once`` runs what is due now and exits (for a cron line
or a check)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from typing import Any

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from zhengqi.notifications.schedules import tick

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "内置定时调度：按“定时任务”页面的设置运行逾期上报、督办、摘要、简报、结算和月度运行。The scheduler."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="只检查并运行一次到期的任务，然后退出")
        parser.add_argument("--now", help="按该时间判断是否到期（ISO 格式，用于检查；仅与 --once 一起使用）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["now"] and not opts["once"]:
            raise CommandError("--now 只能与 --once 一起使用。")
        if opts["once"]:
            now = None
            if opts["now"]:
                try:
                    now = dt.datetime.fromisoformat(opts["now"])
                except ValueError as err:
                    raise CommandError(f"时间格式应为 ISO 格式，例如 2026-12-01T07:00+08:00：{opts['now']}") from err
                if now.tzinfo is None:
                    raise CommandError("请给出带时区的时间，例如 2026-12-01T07:00+08:00。")
            self.report(tick(now))
            return
        scheduler = BlockingScheduler()
        scheduler.add_job(
            self.beat,
            IntervalTrigger(seconds=30),
            max_instances=1,
            coalesce=True,
            next_run_time=dt.datetime.now(dt.UTC),
        )
        self.stdout.write("定时调度已启动（每 30 秒检查一次到期任务；Ctrl+C 停止）。")
        with contextlib.suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()

    def beat(self) -> None:
        close_old_connections()
        try:
            self.report(tick())
        except Exception:  # the database away for a moment: try again at the next beat
            log.exception("scheduler tick failed")
        finally:
            close_old_connections()

    def report(self, runs: list[Any]) -> None:
        for r in runs:
            mark = "✓" if r.ok else "✗"
            self.stdout.write(f"{mark} {r.schedule.job}：{r.outcome}")
