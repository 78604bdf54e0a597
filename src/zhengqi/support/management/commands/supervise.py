"""``zhengqi supervise``: escalate the service requests past their deadline (F-25).

Run it from cron every few minutes; each overdue request is escalated once, however often it runs.
The queue and the workbench also run it when they are opened, so nothing waits for cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhengqi.support.requests import supervise


class Command(BaseCommand):
    help = "服务请求超时督办：超过处理时限的请求升级给部门负责人（每条只升级一次）。Escalate overdue requests."

    def handle(self, *args: Any, **opts: Any) -> None:
        n = supervise()
        self.stdout.write(f"超时督办完成：新升级 {n} 条服务请求。")
