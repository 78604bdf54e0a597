"""``zhengqi rate_year 2026``: the yearly rating of every account manager (客户经理培养), with the
grade changes it proposes for their regional managers to decide. Safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from zhengqi.accounts.models import User
from zhengqi.insight.models import Rating
from zhengqi.insight.talent import rate_year


class Command(BaseCommand):
    help = "客户经理年度评级（可重复运行）。The account managers' yearly rating."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", nargs="?", type=int, default=0, help="年度（默认今年）")
        parser.add_argument("--if-missing", action="store_true", help="该年度已有评级时什么也不做")

    def handle(self, *args: Any, **opts: Any) -> None:
        year = opts["year"] or timezone.localdate().year
        if opts["if_missing"] and Rating.objects.filter(year=year).exists():
            self.stdout.write(f"{year} 年度已有评级，跳过。")
            return
        admin = User.objects.filter(role=User.Role.PROVINCIAL_ADMIN, is_active=True).order_by("pk").first()
        if admin is None:
            raise CommandError("没有省公司管理员账号，无法评级。")
        try:
            made = rate_year(by=admin, year=year)
        except ValidationError as err:
            raise CommandError("；".join(err.messages)) from err
        proposed = sum(1 for r in made if r.proposed_grade != r.grade)
        self.stdout.write(f"{year} 年度评级：{len(made)} 位客户经理，{proposed} 项等级调整待审批。")
