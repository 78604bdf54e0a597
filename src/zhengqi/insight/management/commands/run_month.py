"""``zhengqi run-month YYYY-MM``: features, value scores and tiers, rule hits; write-back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengqi.engine.rules.language import RuleError
from zhengqi.insight.services import month_run

STEPS = ["export", "features", "value", "hits", "write_back"]
LABELS = {
    "export": "导出维度",
    "features": "计算特征",
    "value": "价值评分与分级",
    "hits": "规则命中",
    "write_back": "写回",
}


class Command(BaseCommand):
    help = "月度运行：计算特征、价值得分与等级、规则预警，并写回数据库。The month run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", help="月份，格式 YYYY-MM，例如 2026-10")
        parser.add_argument(
            "--engine",
            choices=["duckdb", "spark"],
            default="duckdb",
            help="分析引擎：duckdb（默认，单机）或 spark（PySpark）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            month = dt.datetime.strptime(opts["month"], "%Y-%m").date()
        except ValueError as exc:
            raise CommandError(f"月份格式应为 YYYY-MM，例如 2026-10，而不是“{opts['month']}”。") from exc
        backend = "pyspark" if opts["engine"] == "spark" else "duckdb"
        bar = tqdm(total=len(STEPS), desc=f"{month:%Y-%m} 月度运行", unit="步")

        def progress(step: str) -> None:
            bar.set_postfix_str(LABELS.get(step, step))
            bar.update(1)

        try:
            record = month_run(month=month, backend=backend, progress=progress)  # type: ignore[arg-type]
        except (RuleError, ValidationError) as exc:
            raise CommandError(f"规则有误，月度运行未执行：{exc}") from exc
        except FileNotFoundError as exc:
            raise CommandError(f"数据湖中缺少该月的数据：{exc}。请先导入数据或生成演示数据。") from exc
        finally:
            bar.close()
        steps = "，".join(f"{LABELS.get(s['name'], s['name'])} {s['seconds']:.1f} 秒" for s in record.steps)
        c = record.counts
        self.stdout.write(
            self.style.SUCCESS(
                f"{month:%Y-%m} 月度运行完成（{record.backend}）：{c.get('snapshots', 0):,} 个客户快照，"
                f"{c.get('tier_changes', 0):,} 次等级变动，{c.get('hits', 0):,} 条规则命中，"
                f"新增预警 {c.get('alerts_opened', 0):,} 条。{steps}。"
            )
        )
