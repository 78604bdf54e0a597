"""``zhengqi run-month YYYY-MM``: features, value scores and tiers, rule hits; write-back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengqi.engine.lake import Lake
from zhengqi.engine.months import Month, MonthError
from zhengqi.engine.rules.language import RuleError
from zhengqi.scoring.models import MonthRun
from zhengqi.scoring.month_run import STEPS, month_run

LABELS = {
    "export": "导出维度",
    "features": "计算特征",
    "value": "价值评分与分级",
    "hits": "规则命中",
    "churn": "流失风险评分",
    "write_back": "写回",
}


class Command(BaseCommand):
    help = "月度运行：计算特征、价值得分与等级、规则预警，并写回数据库。The month run."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("month", nargs="?", help="月份，格式 YYYY-MM，例如 2026-10")
        parser.add_argument("--last", type=int, metavar="N", help="依次运行数据湖中最近 N 个月（代替 month）")
        parser.add_argument("--if-missing", action="store_true", help="跳过已有成功运行记录的月份（用于启动脚本）")
        parser.add_argument(
            "--engine",
            choices=["duckdb", "spark"],
            default="duckdb",
            help="分析引擎：duckdb（默认，单机）或 spark（PySpark）",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["last"]:
            lake = Lake(settings.ZHENGQI_LAKE)
            months = [Month.parse(m).first for m in lake.months("customer_month")[-opts["last"] :]]
            if not months:
                raise CommandError("数据湖中没有客户月度数据。请先导入数据或运行 zhengqi demo。")
        elif opts["month"]:
            try:
                months = [Month.parse(opts["month"]).first]
            except MonthError as exc:
                raise CommandError(str(exc)) from exc
        else:
            raise CommandError("请给出月份（例如 2026-10）或 --last N。")
        backend = "pyspark" if opts["engine"] == "spark" else "duckdb"
        for month in months:
            if opts["if_missing"] and MonthRun.objects.filter(month=month, status=MonthRun.Status.SUCCEEDED).exists():
                self.stdout.write(f"{month:%Y-%m} 已有成功的运行记录，跳过。")
                continue
            self.run_one(month, backend)

    def run_one(self, month: dt.date, backend: str) -> None:
        bar = tqdm(total=len(STEPS), desc=f"{month:%Y-%m} 月度运行", unit="步")

        def progress(step: str) -> None:
            bar.set_postfix_str(LABELS.get(step, step))
            bar.update(1)

        try:
            record = month_run(month=month, backend=backend, progress=progress)  # type: ignore[arg-type]  # the command's choices are exactly the Backend literal
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
                f"{c.get('churn_hits', 0):,} 个客户流失风险需预警，"
                f"新增预警 {c.get('alerts_opened', 0):,} 条。{steps}。"
            )
        )
