"""The month run on a real Spark standalone cluster — a master and two workers started from the
pyspark distribution, on loopback — gives the same features, scores, tiers and hits as DuckDB, and
runs on the cluster's executors, not in the driver (issue 25: the distributed path as an operator
runs it; ``ZHENGQI_SPARK_MASTER`` names the cluster)."""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.engine.test_parity import assert_same_results, spark_available
from zhengqi.engine.lake import Lake
from zhengqi.engine.pipeline import run_month
from zhengqi.engine.rules.builtin import BUILTIN_RULES
from zhengqi.engine.value.model import DEFAULT_MODEL
from zhengqi.scoring.export import export_dimensions

pytestmark = [pytest.mark.spark, pytest.mark.django_db]
MONTH = dt.date(2026, 10, 1)


def _stop_session() -> None:
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is not None:
        session.stop()


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    reason = spark_available()
    if reason:
        if os.environ.get("ZHENGQI_REQUIRE_SPARK") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    from zhengqi.engine.spark_cluster import standalone_cluster

    _stop_session()  # a local session of an earlier test would be reused by getOrCreate
    with standalone_cluster(workers=2, cores=1, memory="1g") as master:
        monkeypatch.setenv("ZHENGQI_SPARK_MASTER", master)
        try:
            yield master
        finally:
            _stop_session()  # later tests get local mode again


def test_the_month_run_on_a_standalone_cluster_equals_duckdb(cluster: str, tmp_path: Path) -> None:
    from pyspark.sql import SparkSession

    lake = Lake(settings.ZHENGQI_LAKE)
    export_dimensions(lake)
    duck = run_month(lake, MONTH, model=DEFAULT_MODEL, rules=BUILTIN_RULES, backend="duckdb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # pyspark about pandas 3
        spark = run_month(lake, MONTH, model=DEFAULT_MODEL, rules=BUILTIN_RULES, backend="pyspark")
        session = SparkSession.getActiveSession()
    assert session is not None and session.sparkContext.master == cluster
    executors = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1  # less the driver
    assert executors == 2
    assert_same_results(duck, spark)

    # An import from a table of the cluster: the rows are checked on the executors (their own Python
    # processes, which load no Django) and the lake's month written by them.
    from zhengqi.imports.kinds.member_month import KIND as MEMBER_MONTH
    from zhengqi.imports.services import import_file

    code = lake.read_month("member_month", MONTH).column("customer_code")[0].as_py()
    rows = [(str(13900000000 + i), "2026-11", code, "1", "1", "1.5", "0", "0", "10", "") for i in range(50)]
    rows.append(("12345", "2026-11", code, "1", "1", "1.5", "0", "0", "10", ""))
    session.createDataFrame(rows, [c.label for c in MEMBER_MONTH.columns]).createOrReplaceTempView("bss_members")
    target = Lake(tmp_path / "lake")
    batch = import_file("member_month", Path("spark:bss_members"), lake=target)
    assert (batch.status, batch.inserted, batch.rejected) == ("succeeded", 50, 1), batch.message
    assert target.read_month("member_month", dt.date(2026, 11, 1)).num_rows == 50
