"""A Spark table goes through the same schemas as a file: same refusals, same merge into the lake."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings

from tests.engine.test_parity import spark_available
from zhengqi.engine.lake import Lake
from zhengqi.imports.kinds.member_month import KIND as MEMBER_MONTH
from zhengqi.imports.services import import_file

pytestmark = [pytest.mark.spark, pytest.mark.django_db]


def test_member_month_from_a_spark_table(tmp_path: Path) -> None:
    reason = spark_available()
    if reason:
        if os.environ.get("ZHENGQI_REQUIRE_SPARK") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from pyspark.sql import SparkSession

    code = Lake(settings.ZHENGQI_LAKE).read_month("member_month", dt.date(2026, 10, 1)).column("customer_code")[0]
    spark = SparkSession.builder.appName("zhengqi-test").config("spark.ui.enabled", "false").getOrCreate()
    rows = [
        ("13800000011", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, 20.0, 0.0),
        ("13800000012", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, -1.0, 0.0),  # negative revenue
        ("123", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, 5.0, 0.0),  # not a mobile number
    ]
    columns = [c.label for c in MEMBER_MONTH.columns]
    spark.createDataFrame(rows, columns).createOrReplaceTempView("bss_member_month")
    lake = Lake(tmp_path / "lake")
    batch = import_file("member_month", Path("spark:bss_member_month"), lake=lake)
    assert batch.status == "succeeded", batch.message
    assert batch.encoding == "spark" and batch.inserted == 1
    assert {r.line: r.column for r in batch.rejections.all()} == {3: "收入", 4: "手机号码"}
    assert lake.read_month("member_month", dt.date(2026, 11, 1)).column("msisdn").to_pylist() == [13800000011]
    missing = import_file("member_month", Path("spark:no_such_table"), lake=lake)
    assert missing.status == "failed" and "找不到 Spark 表" in missing.message
