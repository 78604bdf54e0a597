"""``zhengqi escalate-tasks``: the daily job that escalates overdue tasks to regional managers.

Run it once a day from cron or a systemd timer (``0 7 * * * zhengqi escalate-tasks``); running it
twice the same day escalates nothing twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqi.marketing.tasks.services import tasks_escalate


class Command(BaseCommand):
    help = "将逾期未办的任务上报给所在区域经理（每日运行一次）。Escalate overdue tasks to regional managers (daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="按该日期判断逾期（YYYY-MM-DD，默认今天）")

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as err:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{options['today']}") from err
        n = tasks_escalate(today=today)
        self.stdout.write(f"已上报逾期任务 {n} 项。")
