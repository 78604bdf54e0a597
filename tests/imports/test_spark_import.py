"""A Spark table goes through the same schemas as a file: same refusals, same merge into the lake.
Member months are checked, merged and written on the cluster (``imports/spark_lake.py``): generated
tables of good and bad rows give the lake, the counts and the refused rows a CSV file of the same rows
gives, on a first import and on a re-import over it."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tests.engine.test_parity import spark_available
from zhengqi.engine.lake import Lake
from zhengqi.imports.kinds.member_month import KIND as MEMBER_MONTH
from zhengqi.imports.services import import_file

pytestmark = [pytest.mark.spark, pytest.mark.django_db]
HEADER = [c.label for c in MEMBER_MONTH.columns]
MONTHS = ("2026-09", "2026-10", "2026-11")  # the tiny lake holds the first two


def spark_or_skip() -> None:
    reason = spark_available()
    if reason:
        if os.environ.get("ZHENGQI_REQUIRE_SPARK") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def test_member_month_from_a_spark_table(tmp_path: Path) -> None:
    spark_or_skip()
    from zhengqi.engine.lake import spark_session

    code = Lake(settings.ZHENGQI_LAKE).read_month("member_month", dt.date(2026, 10, 1)).column("customer_code")[0]
    spark = spark_session()
    rows = [
        ("13800000011", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, 20.0, 0.0),
        ("13800000012", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, -1.0, 0.0),  # negative revenue
        ("123", "2026-11", code.as_py(), 10, 2, 1.5, 0, 0, 5.0, 0.0),  # not a mobile number
    ]
    spark.createDataFrame(rows, HEADER).createOrReplaceTempView("bss_member_month")
    lake = Lake(tmp_path / "lake")
    tried = import_file("member_month", Path("spark:bss_member_month"), lake=lake, dry_run=True)
    assert (tried.status, tried.inserted, tried.rejected) == ("succeeded", 1, 2)
    assert lake.months("member_month") == []  # a dry run writes nothing
    batch = import_file("member_month", Path("spark:bss_member_month"), lake=lake)
    assert batch.status == "succeeded", batch.message
    assert batch.encoding == "spark" and batch.inserted == 1
    assert {r.line: r.column for r in batch.rejections.all()} == {3: "收入", 4: "手机号码"}
    assert lake.read_month("member_month", dt.date(2026, 11, 1)).column("msisdn").to_pylist() == [13800000011]
    missing = import_file("member_month", Path("spark:no_such_table"), lake=lake)
    assert missing.status == "failed" and "找不到 Spark 表" in missing.message
    no_revenue = spark.createDataFrame([r[:8] for r in rows], HEADER[:8])
    no_revenue.createOrReplaceTempView("bss_no_revenue")
    refused = import_file("member_month", Path("spark:bss_no_revenue"), lake=lake)
    assert refused.status == "failed" and "缺少必填列：收入" in refused.message


def test_the_row_checks_load_no_django_models() -> None:
    """Spark's executors unpickle the parsers without Django's apps: ``schemas`` must import alone."""
    code = (
        "import sys; import zhengqi.imports.schemas, zhengqi.imports.readers, zhengqi.imports.spark_lake; "
        "bad = [m for m in sys.modules if m.endswith('.models')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert done.returncode == 0, done.stdout + done.stderr


def _cells(codes: list[str]) -> st.SearchStrategy[list[str]]:
    """A member-month row as a source system writes it: mostly good, each cell sometimes wrong."""
    good = st.tuples(
        st.integers(0, 14).map(lambda i: str(13800000000 + i)),  # few members: keys repeat
        st.sampled_from(MONTHS),
        st.sampled_from(codes),
        st.integers(0, 900).map(str),
        st.integers(0, 50).map(str),
        st.floats(0, 5000, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.integers(0, 9).map(str),
        st.integers(0, 3).map(str),
        st.floats(0, 500, allow_nan=False).map(lambda x: f"{x:.2f}"),
        st.sampled_from(["", "0", "12.5"]),
    ).map(list)
    wrong = st.sampled_from(["", "-1", "abc", "1.5", "123", "2026-13", "NOPE", " 7 ", "1,234", "１２", "x\x07"])

    @st.composite
    def row(draw: st.DrawFn) -> list[str]:
        cells = draw(good)
        for i in draw(st.sets(st.integers(0, len(cells) - 1), max_size=2)):
            cells[i] = draw(wrong)
        if draw(st.integers(0, 30)) == 0:
            cells = [""] * len(cells)  # a blank row: skipped, its line still counted
        return cells

    return row()


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        out.writerows(rows)


def _months(lake: Lake) -> dict[str, list[dict[str, object]]]:
    found = {}
    for key in lake.months("member_month"):
        table = lake.read_month("member_month", dt.datetime.strptime(key, "%Y-%m").date())
        strings = pa.schema([f.with_type(pa.string()) if f.name == "customer_code" else f for f in table.schema])
        table = table.cast(strings)
        found[key] = table.sort_by("msisdn").to_pylist()
    return found


def _outcome(batch: object) -> tuple[object, ...]:
    b = batch  # an ImportBatch
    refused = sorted((r.line, r.column, r.value, r.reason, r.cells) for r in b.rejections.all())  # type: ignore[attr-defined]
    return (b.status, b.rows_total, b.rejected, b.inserted, b.updated, b.unchanged, b.months, refused)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def customer_codes(django_db_blocker: object) -> list[str]:
    from zhengqi.customers.models import Customer

    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        return [*Customer.objects.order_by("code").values_list("code", flat=True)[:3], "NO-SUCH-CUSTOMER"]


def test_member_months_checked_and_written_on_the_cluster_equal_a_files(
    tmp_path_factory: pytest.TempPathFactory, customer_codes: list[str]
) -> None:
    spark_or_skip()
    from zhengqi.engine.lake import spark_session

    spark = spark_session()
    source = Lake(settings.ZHENGQI_LAKE)

    @hsettings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(
        first=st.lists(_cells(customer_codes), min_size=8, max_size=40),
        second=st.lists(_cells(customer_codes), min_size=8, max_size=40),
    )
    def same_as_a_file(first: list[list[str]], second: list[list[str]]) -> None:
        folder = tmp_path_factory.mktemp("spark-import")
        lakes = {"file": Lake(folder / "file"), "spark": Lake(folder / "spark")}
        for lake in lakes.values():  # the lake's existing months: rows of the same members are updated
            for key in MONTHS[:2]:
                month = dt.datetime.strptime(key, "%Y-%m").date()
                target = lake.partition_file("member_month", month)
                target.parent.mkdir(parents=True)
                shutil.copy(source.partition_file("member_month", month), target)
        for n, rows in enumerate((first, second, second)):  # the second twice: a re-run changes nothing
            path = folder / f"import-{n}.csv"
            _write_csv(path, rows)
            by_file = import_file("member_month", path, lake=lakes["file"])
            view = f"bss_member_month_{n}"
            spark.createDataFrame(rows or [[""] * len(HEADER)], HEADER).createOrReplaceTempView(view)
            by_spark = import_file("member_month", Path(f"spark:{view}"), lake=lakes["spark"])
            assert by_spark.encoding == "spark"
            assert _outcome(by_spark) == _outcome(by_file)
            assert _months(lakes["spark"]) == _months(lakes["file"])

    same_as_a_file()


def test_a_spark_table_failing_part_way_is_refused_whole_in_spark_words(tmp_path: Path) -> None:
    """A table that streams through the driver (regions) and fails part-way: nothing is imported and
    the message names Spark, not a damaged file."""
    spark_or_skip()
    from zhengqi.accounts.models import Region
    from zhengqi.engine.lake import spark_session

    before = Region.objects.count()
    spark_session().sql(
        "SELECT concat('ZZ', id) AS `区域编码`, concat('测试', id) AS `区域名称`, '区县' AS `层级`, "
        "CASE WHEN id < 3 THEN '' ELSE raise_error('boom') END AS `上级区域编码` FROM range(10)"
    ).createOrReplaceTempView("bss_regions")
    batch = import_file("regions", Path("spark:bss_regions"), lake=Lake(tmp_path / "lake"))
    assert batch.status == "failed" and "读取 Spark 表时" in batch.message and "已损坏" not in batch.message
    assert Region.objects.count() == before
