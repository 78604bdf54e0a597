"""``zhengqi model evaluate``: run the churn model's training, validation and reporting on any
labelled table (CSV or Parquet), to check the machinery on real data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from zhengqi.engine.churn.evaluate import TableError, evaluate, read_table


class Command(BaseCommand):
    help = "流失模型评估：在任意带标签的表上训练、验证并报告指标。Evaluate the churn model on a labelled table."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        ev = sub.add_parser("evaluate", help="评估 evaluate")
        ev.add_argument("--table", type=Path, required=True, help="CSV（UTF-8 或 GBK）或 Parquet 文件")
        ev.add_argument("--label", required=True, help="标签列：0/1、Yes/No 或 是/否（1 / Yes / 是 = 流失）")
        ev.add_argument("--id", dest="id_column", help="标识列（不作为特征）")
        ev.add_argument("--time", dest="time_column", help="时间列：给出则按时间滚动回测，否则分层交叉验证")
        ev.add_argument("--folds", type=int, default=5, help="交叉验证折数（默认 5）")
        ev.add_argument("--periods", type=int, default=6, help="按时间回测的期数（默认最近 6 期）")
        ev.add_argument("--seed", type=int, default=0)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            frame = read_table(options["table"])
            report = evaluate(
                frame,
                label=options["label"],
                id_column=options["id_column"],
                time_column=options["time_column"],
                folds=options["folds"],
                periods=options["periods"],
                seed=options["seed"],
                progress=lambda name: self.stderr.write(f"训练 training {name} …") if options["verbosity"] else None,
            )
        except TableError as err:
            raise CommandError(str(err)) from err
        self.stdout.write(report.as_text())
