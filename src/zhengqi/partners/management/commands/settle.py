"""``zhengqi settle YYYY-MM``: every partner's statement for an ended month (F-19)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengqi.engine.months import Month, MonthError
from zhengqi.partners.settlement import settle


class Command(BaseCommand):
    help = "代理商月度结算：计算已结束月份的结算单（待审批的重算，已审批的保持不变）。Partners' monthly settlement."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="结算月份，格式 YYYY-MM，例如 2026-10（须已结束）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            month = Month.parse(opts["month"]).first
        except MonthError as exc:
            raise CommandError(str(exc)) from None
        bar = tqdm(total=0, desc="结算", unit="家代理商", disable=None)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        try:
            result = settle(month, progress=progress)
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages)) from None
        finally:
            bar.close()
        self.stdout.write(
            f"{result.month:%Y-%m} 结算完成：{result.drafts} 张结算单已（重新）计算，"
            f"{result.frozen} 张已审批的保持不变，应付合计 {result.total:,.2f} 元。"
        )
