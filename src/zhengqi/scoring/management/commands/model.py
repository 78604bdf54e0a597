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
        bt = sub.add_parser("backtest", help="在数据湖上按时间回测两个流失模型 rolling backtest on the lake")
        bt.add_argument("--periods", type=int, default=6, help="回测最近几个可确定标签的月份（默认 6）")
        tr = sub.add_parser("train", help="回测并训练流失模型，保存到模型库 train and register")
        tr.add_argument("--periods", type=int, default=6, help="先回测最近几个月（默认 6；0 = 不回测）")
        tr.add_argument("--activate", action="store_true", help="训练后设为当前使用的版本")
        tr.add_argument("--if-missing", action="store_true", help="模型库已有版本时什么也不做")
        sub.add_parser("versions", help="列出模型库中的版本 list versions")
        ac = sub.add_parser("activate", help="启用某个版本 activate a version")
        ac.add_argument("version")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action != "evaluate":
            self._lake_action(action, options)
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

    def _lake_action(self, action: str, options: dict[str, Any]) -> None:
        from django.conf import settings

        from zhengqi.engine.churn import registry
        from zhengqi.engine.churn.bundle import History, backtest
        from zhengqi.engine.lake import Lake
        from zhengqi.scoring.export import export_dimensions

        lake = Lake(settings.ZHENGQI_LAKE)
        say = (lambda m: self.stderr.write(f"{m} …")) if options["verbosity"] else None
        if action == "versions":
            active = registry.active_version(lake)
            for card in registry.versions(lake):
                customer = ((card.get("backtest") or {}).get("customer")) or {}
                auc = customer.get("roc_auc")
                self.stdout.write(
                    f"{'*' if card['version'] == active else ' '} {card['version']}  截至 as of {card['as_of']}"
                    f"  ROC AUC {auc if auc is None else round(auc, 4)}"
                )
            return
        if action == "activate":
            try:
                registry.set_active(lake, options["version"])
            except registry.UnknownVersion as err:
                raise CommandError(str(err)) from err
            self.stdout.write(f"已启用流失模型 {options['version']}。下次月度运行将使用它。")
            return
        try:
            export_dimensions(lake)
            if action == "backtest":
                summary = backtest(History(lake), periods=options["periods"], progress=say).summary()
                self.stdout.write(format_backtest(summary))
                return
            if options["if_missing"] and registry.versions(lake):
                self.stdout.write("模型库已有流失模型，未重新训练。")
                return
            version = registry.train(lake, periods=options["periods"], activate=options["activate"], progress=say)
        except ValueError as err:
            raise CommandError(str(err)) from err
        card = registry.card(lake, version)
        if card.get("backtest"):
            self.stdout.write(format_backtest(card["backtest"]))
        state = "（已启用 active）" if registry.active_version(lake) == version else ""
        self.stdout.write(f"已保存流失模型 {version}{state}，训练截至 {card['as_of']}。")


def format_backtest(summary: dict[str, Any]) -> str:
    lines = []
    for name, title in (
        ("member", "成员流失（3 个月内）member churn"),
        ("customer", "客户流失（6 个月内）customer churn"),
    ):
        lines.append(title)
        lines.append(f"{'month':<10}{'rows':>9}{'lost':>7}{'ROC AUC':>9}{'PR AUC':>8}{'lift@10%':>9}{'Brier':>8}")
        for row in summary[f"{name}_months"]:
            lines.append(
                f"{row['month']:<10}{row['rows']:>9,}{row['positives']:>7,}{_f(row['roc_auc'], 9, 4)}"
                f"{_f(row['pr_auc'], 8, 4)}{_f(row['lift'], 9, 2)}{_f(row['brier'], 8, 4)}"
            )
        m = summary[name]
        lines.append(
            f"{'mean':<10}{'':>16}{_f(m['roc_auc'], 9, 4)}{_f(m['pr_auc'], 8, 4)}{_f(m['lift'], 9, 2)}"
            f"{_f(m['brier'], 8, 4)}"
        )
        lines.append("")
    lines.append("校准曲线 calibration (predicted → observed, by decile of risk):")
    lines.append("  " + "  ".join(f"{p['predicted']:.3f}→{p['observed']:.3f}" for p in summary["calibration_curve"]))
    return "\n".join(lines)


def _f(value: float | None, width: int, digits: int) -> str:
    return f"{'—':>{width}}" if value is None or value != value else f"{value:>{width}.{digits}f}"
