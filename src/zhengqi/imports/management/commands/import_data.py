"""``zhengqi import KIND FILE``: import an operator's export, with a progress bar and a report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengqi.accounts.models import User
from zhengqi.imports.kinds import KINDS
from zhengqi.imports.readers import SPARK_PREFIX
from zhengqi.imports.reports import write_report
from zhengqi.imports.services import import_file


class Command(BaseCommand):
    help = "导入数据文件（CSV/GBK、Excel、Parquet）。Import a CSV (UTF-8 or GBK), xlsx or Parquet file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "kind", choices=sorted(KINDS), help="导入类型：" + "、".join(f"{k}（{v.label}）" for k, v in KINDS.items())
        )
        parser.add_argument("file", type=Path, nargs="?", help="CSV、xlsx 或 Parquet 文件")
        parser.add_argument("--spark-table", help="改为读取 Spark/Hive 表（库名.表名），用同一套列定义")
        parser.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
        parser.add_argument("--by", help="记为哪个用户的导入（用户名）")
        parser.add_argument("--report", type=Path, help="被拒绝行的报告（.xlsx 或 .csv）")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["spark_table"]:
            path = Path(SPARK_PREFIX + options["spark_table"])
        elif options["file"] is None:
            raise CommandError("请给出要导入的文件，或用 --spark-table 指定 Spark 表。")
        else:
            path = options["file"]
            if not path.exists():
                raise CommandError(f"文件不存在：{path}")
        by = None
        if options["by"]:
            by = User.objects.filter(username=options["by"]).first()
            if by is None:
                raise CommandError(f"用户不存在：{options['by']}")
        with tqdm(desc=f"导入 {options['kind']}", unit="行", disable=options["verbosity"] == 0) as bar:

            def progress(done: int) -> None:
                bar.update(done - bar.n)

            batch = import_file(options["kind"], path, by=by, dry_run=options["dry_run"], progress=progress)
        if batch.status == batch.Status.FAILED:
            raise CommandError(batch.message)
        mode = "（试运行，未写入）" if batch.dry_run else ""
        self.stdout.write(
            f"批次 {batch.pk}{mode}：共 {batch.rows_total} 行，新增 {batch.inserted}，更新 {batch.updated}，"
            f"未变 {batch.unchanged}，拒绝 {batch.rejected}。"
        )
        for r in batch.rejections.all()[:20]:
            self.stdout.write(f"  第 {r.line} 行 {r.column}：{r.reason}")
        if batch.rejected > 20:
            self.stdout.write(f"  ……另有 {batch.rejected - 20} 行，见报告。")
        if options["report"] and batch.rejected:
            write_report(batch, options["report"])
            self.stdout.write(f"报告：{options['report']}")
