"""``zhengqi demo``: generate the fictional province into the web database and the lake."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from zhengqi.demo.load import DEMO_PASSWORD, DemoDataExists, build, build_lake_only, has_data
from zhengqi.demo.province import DEFAULT_END, SIZES
from zhengqi.engine.lake import Lake
from zhengqi.engine.months import Month, MonthError


class Command(BaseCommand):
    help = "生成演示省份（云海省）的数据：区域、员工、客户、成员与 24 个月的事实。Generate the demo province."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--size",
            choices=sorted(SIZES),
            default="demo",
            help="tiny（测试用）、demo（约 2,000 客户）或 province（约 40,000 客户）",
        )
        parser.add_argument("--seed", type=int, default=20261022, help="随机种子：同一种子生成同样的数据")
        parser.add_argument(
            "--end", default=f"{DEFAULT_END:%Y-%m}", help="最后一个月，格式 YYYY-MM（默认 %(default)s）"
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="删除已有的客户、员工、区域与月度运行结果后重新生成（规则与价值模型保留）",
        )
        parser.add_argument("--if-empty", action="store_true", help="数据库已有数据时什么也不做（用于启动脚本）")
        parser.add_argument(
            "--lake-only",
            action="store_true",
            help="只写数据湖（事实、成员与维度），不写网页数据库：用于 x10 规模的基准测试",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            end = Month.parse(opts["end"]).first
        except MonthError as exc:
            raise CommandError(str(exc)) from exc
        if opts["if_empty"] and has_data():
            self.stdout.write("数据库中已有数据，跳过演示数据生成。")
            return
        lake = Lake(settings.ZHENGQI_LAKE)
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(total=total, desc=stage, unit="", leave=True)
            bar.update(done - bar.n)

        started = time.perf_counter()
        if opts["lake_only"]:
            province = build_lake_only(size=opts["size"], seed=opts["seed"], lake=lake, progress=progress)
            for bar in bars.values():
                bar.close()
            self.stdout.write(
                self.style.SUCCESS(
                    f"已写入数据湖：{len(province.customers['code']):,} 个客户、{province.members_total:,} 名成员、"
                    f"{province.member_month_rows:,} 行成员月度数据，用时 {time.perf_counter() - started:.1f} 秒。"
                )
            )
            return
        if opts["size"] == "x10":
            raise CommandError("x10 规模只用于基准测试，请加 --lake-only。")
        try:
            province = build(
                size=opts["size"], seed=opts["seed"], lake=lake, end=end, replace=opts["replace"], progress=progress
            )
        except DemoDataExists as exc:
            raise CommandError(
                "数据库中已有数据。要重新生成，请加 --replace（会删除现有客户、员工、区域与月度运行结果）。"
            ) from exc
        finally:
            for bar in bars.values():
                bar.close()
        elapsed = time.perf_counter() - started
        n = len(province.customers["code"])
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {n:,} 个客户、{province.members_total:,} 名成员、"
                f"{province.member_month_rows:,} 行成员月度数据，"
                f"{province.months[0]:%Y-%m} 至 {province.months[-1]:%Y-%m}，用时 {elapsed:.1f} 秒。"
            )
        )
        self.stdout.write(f"数据湖：{lake.root}")
        logins = "admin、planner、city_mgr、district_mgr、am、partner、dept（响应中心）、network、billing、dept_head"
        self.stdout.write(f"演示账号（密码均为 {DEMO_PASSWORD}）：{logins}")
