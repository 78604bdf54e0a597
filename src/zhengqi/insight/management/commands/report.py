"""``zhengqi report 2026-10``: the monthly operating-analysis report as Excel and PDF files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqi.accounts.models import User
from zhengqi.insight import exports, figures, report
from zhengqi.insight.figures import FilterError


class Command(BaseCommand):
    help = "生成月度经营分析报告（Excel 与 PDF）。The monthly operating-analysis report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="月份，格式 YYYY-MM，例如 2026-10")
        parser.add_argument("--region", default="", help="区域编码：只出该地市/区县的报告（默认全省）")
        parser.add_argument("--as", dest="username", default="", help="按该用户的权限范围出报告（默认全省）")
        parser.add_argument("--output", default=".", help="输出目录（默认当前目录）")
        parser.add_argument("--format", default="xlsx,pdf", help="xlsx、pdf 或两者（默认 xlsx,pdf）")

    def handle(self, *args: Any, **opts: Any) -> None:
        formats = [f.strip() for f in opts["format"].split(",") if f.strip()]
        if not formats or set(formats) - {"xlsx", "pdf"}:
            raise CommandError(f"不支持的格式“{opts['format']}”：可选 xlsx、pdf。")
        if opts["username"]:
            user = User.objects.filter(username=opts["username"], is_active=True).first()
            if user is None:
                raise CommandError(f"没有有效用户“{opts['username']}”。")
        else:  # the operator on the server: the whole province
            user = User(username="zhengqi-cli", is_superuser=True, is_active=True)
        try:
            f = figures.make_filters(user, month=opts["month"], region=opts["region"])
        except FilterError as err:
            raise CommandError(str(err)) from err
        built = report.build(user, f)
        out = Path(opts["output"])
        out.mkdir(parents=True, exist_ok=True)
        stem = f"zhengqi-report-{f.month:%Y-%m}{'-' + f.region.code if f.region else ''}"
        for sentence in built.commentary:
            self.stdout.write(f"· {sentence}")
        for fmt in formats:
            path = out / f"{stem}.{fmt}"
            path.write_bytes(exports.to_excel(built) if fmt == "xlsx" else exports.to_pdf(built))
            self.stdout.write(self.style.SUCCESS(f"已生成 {path}"))
