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
        bt = sub.add_parser("backtest", help="在数据湖上按时间回测客户流失模型 rolling backtest on the lake")
        bt.add_argument("--periods", type=int, default=6, help="回测最近几个可确定标签的月份（默认 6）")
        bt.add_argument("--horizon", type=int, default=6, help="预测未来几个月内流失（默认 6）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "backtest":
            self._backtest(options)
            return
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

    def _backtest(self, options: dict[str, Any]) -> None:
        from django.conf import settings
        from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

        from zhengqi.engine.churn.evaluate import top_decile_lift
        from zhengqi.engine.churn.training import backtest
        from zhengqi.engine.lake import Lake
        from zhengqi.insight.export import export_dimensions

        lake = Lake(settings.ZHENGQI_LAKE)
        export_dimensions(lake)
        ts, results = backtest(
            lake,
            periods=options["periods"],
            horizon=options["horizon"],
            progress=lambda m: self.stderr.write(f"回测 backtesting {m} …"),
        )
        self.stdout.write(
            f"客户流失（{options['horizon']} 个月内）训练样本 {len(ts.frame):,} 行，特征 {len(ts.features)} 个，"
            f"正例占比 {ts.frame['label'].mean():.2%}"
        )
        self.stdout.write(f"{'month':<10}{'rows':>7}{'lost':>6}{'ROC AUC':>9}{'PR AUC':>8}{'lift@10%':>9}{'Brier':>8}")
        aucs, lifts = [], []
        for month, y, p, _model in results:
            auc, lift = roc_auc_score(y, p), top_decile_lift(y, p)
            aucs.append(auc)
            lifts.append(lift)
            self.stdout.write(
                f"{month:%Y-%m}   {len(y):>7}{int(y.sum()):>6}{auc:>9.4f}{average_precision_score(y, p):>8.4f}"
                f"{lift:>9.2f}{brier_score_loss(y, p):>8.4f}"
            )
        self.stdout.write(f"平均 mean ROC AUC {sum(aucs) / len(aucs):.4f}, lift@10% {sum(lifts) / len(lifts):.2f}")
