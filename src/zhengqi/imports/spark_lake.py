"""Importing a Spark/Hive table into the lake on the cluster: the rows are checked where they are, on
Spark's executors, by the same column parsers a file goes through (``schemas.parse_row``), merged with
the lake's months there and written by Spark; only the counts and the refused rows reach this
process. A province's member months (two million rows a month, more at a large operator) never pass
through the driver one by one, as a file's rows or a small Spark table's do (``readers._spark``).

What the executors need: Python with Zhengqi installed (``spark.pyspark.python``; the row checks
import no Django models) and the lake's folder at the same path (a shared filesystem). Each month is
written by Spark into a folder beside the lake and then moved into place with ``os.replace``: a
reader of the lake sees the whole old month or the whole new one, as with a file's import.
"""

from __future__ import annotations

import datetime as dt
import shutil
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zhengqi.engine.lake import Lake, month_key
from zhengqi.imports.readers import FileRefused, cell_text
from zhengqi.imports.schemas import Kind, Lookups, Problem, map_header, missing_required, parse_row

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass(frozen=True)
class LakeTable:
    """A partitioned lake table an import kind writes: its columns in the files' order with their
    Spark types."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, Spark SQL type)
    key: str  # unique within a month

    def defaults(self) -> dict[str, Any]:
        """Each column's value where the source leaves it out or empty: zero, of the column's type."""
        return {name: 0.0 if kind == "double" else 0 for name, kind in self.columns}


MEMBER_MONTH = LakeTable(
    "member_month",
    (
        ("month", "date"),
        ("msisdn", "bigint"),
        ("customer_code", "string"),
        ("voice_minutes", "int"),
        ("sms_count", "int"),
        ("data_mb", "double"),
        ("vnet_calls", "int"),
        ("competitor_calls", "int"),
        ("revenue", "double"),
        ("revenue_info", "double"),
    ),
    key="msisdn",
)

# The kinds imported this way from a ``spark:`` source; the others stream through ``readers._spark``.
ON_THE_CLUSTER = {"member_month": MEMBER_MONTH}


@dataclass
class Checked:
    counts: dict[str, Any]
    problems: list[Problem]
    total: int
    header: list[str]


def import_table(
    kind: Kind,
    table_name: str,
    *,
    lake: Lake,
    lookups: Lookups,
    dry_run: bool,
    duplicate: Callable[[int, tuple[Any, ...], int, list[str]], Problem],
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """Check, merge and write ``table_name`` (a metastore table or a view) into ``kind``'s lake
    table. ``duplicate(line, key, first_line, cells)`` words the refusal of a row whose key an
    earlier row holds (the first is kept, as in a file)."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    from zhengqi.engine.lake import spark_session

    target = ON_THE_CLUSTER[kind.name]
    session = spark_session()
    try:
        frame = session.table(table_name)
    except Exception as err:
        raise FileRefused(f"找不到 Spark 表“{table_name}”：{str(err).strip().splitlines()[0][:200]}") from err
    header = [str(c) for c in frame.columns]
    positions = map_header(kind, header)
    missing = missing_required(kind, positions)
    if missing:
        raise FileRefused("表缺少必填列：" + "、".join(missing) + "。没有导入任何一行。")

    checked = session.createDataFrame(
        frame.rdd.zipWithIndex().mapPartitions(
            _checker(kind, positions, session.sparkContext.broadcast(lookups), target.defaults())
        ),
        _checked_schema(target),
    ).persist()
    try:
        total = checked.count()
        if progress:
            progress(total)
        # A key held by an earlier row: the first row by line is kept, the others refused.
        keys = ["month", target.key]
        good = checked.filter(F.col("problems").isNull()).withColumn(
            "first_line", F.min("line").over(Window.partitionBy(*keys))
        )
        problems = [
            Problem(r["line"], p["column"], p["value"], p["reason"], list(r["cells"]))
            for r in checked.filter(F.col("problems").isNotNull()).select("line", "problems", "cells").toLocalIterator()
            for p in r["problems"]
        ]
        kind_key = [kind.column(k) for k in kind.key]
        again = good.filter(F.col("line") != F.col("first_line"))
        for r in again.select("line", "first_line", "cells", *keys).collect():
            key = tuple(r[c.key] for c in kind_key)
            problems.append(duplicate(r["line"], key, r["first_line"], list(r["cells"])))
        incoming = good.filter(F.col("line") == F.col("first_line")).select(*(name for name, _t in target.columns))
        counts = _merge(session, lake, target, incoming, dry_run=dry_run)
    finally:
        checked.unpersist()
    return Checked(counts, sorted(problems, key=lambda p: p.line), total, header)


def _checked_schema(target: LakeTable) -> str:
    values = ", ".join(f"`{name}` {kind}" for name, kind in target.columns)
    return (
        f"line bigint, {values}, "
        "problems array<struct<column: string, value: string, reason: string>>, cells array<string>"
    )


def _checker(
    kind: Kind, positions: dict[str, int], lookups: Any, defaults: dict[str, Any]
) -> Callable[[Iterable[tuple[Any, int]]], Iterator[tuple[Any, ...]]]:
    """The function each executor runs over its rows (``(row, index)`` from ``zipWithIndex``): the
    row's line as a spreadsheet of the table would number it (the header is line 1), its values in
    the lake's columns (``defaults`` where empty), or its problems; blank rows are left out, as in a file."""

    def check(rows: Iterable[tuple[Any, int]]) -> Iterator[tuple[Any, ...]]:
        known: Lookups = lookups.value
        for row, index in rows:
            cells = [cell_text(v) for v in row]
            if not any(c.strip() for c in cells):
                continue
            line = index + 2
            parsed = parse_row(kind, positions, line, cells, known)
            if isinstance(parsed, list):
                reasons = [(p.column, p.value, p.reason) for p in parsed]
                yield (line, *(None for _n in defaults), reasons, cells)
            else:
                values = parsed.values
                yield (line, *(values.get(n, d) for n, d in defaults.items()), None, cells)

    return check


def _merge(
    session: SparkSession, lake: Lake, target: LakeTable, incoming: DataFrame, *, dry_run: bool
) -> dict[str, Any]:
    """Each month of ``incoming`` merged into the lake's: its rows replace those of the same key, the
    others stay. Months with nothing new or changed are not rewritten."""
    from pyspark.sql import functions as F

    columns = [name for name, _t in target.columns]
    months = sorted(r["month"] for r in incoming.select("month").distinct().collect())
    files = [lake.partition_file(target.name, m) for m in months]
    existing = [str(path) for path in files if path.exists()]
    keys = ["month", target.key]
    values = [c for c in columns if c not in keys]
    stored = (
        session.read.parquet(*existing).select(*(F.col(c).cast(t) for c, t in target.columns)) if existing else None
    )
    if stored is not None:
        old = stored.select(*keys, *(F.col(c).alias(f"{c}__old") for c in values))
        joined = incoming.join(old, on=keys, how="left")
        fresh = F.col(f"{values[0]}__old").isNull()
        same = F.lit(True)
        for c in values:
            same = same & F.col(c).eqNullSafe(F.col(f"{c}__old"))
        per_month = joined.groupBy("month").agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.when(fresh, 1).otherwise(0)).alias("fresh"),
            F.sum(F.when(~fresh & same, 1).otherwise(0)).alias("same"),
        )
    else:
        per_month = incoming.groupBy("month").agg(
            F.count(F.lit(1)).alias("rows"), F.count(F.lit(1)).alias("fresh"), F.lit(0).alias("same")
        )
    inserted = updated = unchanged = 0
    rewrite: list[dt.date] = []
    for r in per_month.collect():
        fresh_n, same_n = int(r["fresh"]), int(r["same"])
        changed = int(r["rows"]) - fresh_n - same_n
        inserted, updated, unchanged = inserted + fresh_n, updated + changed, unchanged + same_n
        if fresh_n or changed:
            rewrite.append(r["month"])
    if rewrite and not dry_run:
        merged = incoming.filter(F.col("month").isin(rewrite))
        if stored is not None:
            kept = stored.filter(F.col("month").isin(rewrite)).join(merged.select(*keys), on=keys, how="left_anti")
            merged = kept.unionByName(merged)
        _write_months(lake, target, merged.select(*columns), rewrite)
    return {
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged,
        "months": [month_key(m) for m in months],
    }


def _write_months(lake: Lake, target: LakeTable, merged: DataFrame, months: list[dt.date]) -> None:
    """Spark writes one file per month into a folder beside the lake's table (each month's rows in
    one task); each is then moved into place, atomically."""
    from pyspark.sql import functions as F

    staging = lake.table_path(target.name) / f".spark-import-{uuid.uuid4().hex}"
    try:
        (
            merged.withColumn("_month", F.date_format("month", "yyyy-MM"))
            .repartition("_month")
            .write.option("compression", "zstd")
            .option("maxRecordsPerFile", 0)
            .partitionBy("_month")
            .parquet(str(staging))
        )
        for month in months:
            files = sorted((staging / f"_month={month_key(month)}").glob("*.parquet"))
            if len(files) != 1:  # one task per month wrote it: more would be a Spark setting
                raise RuntimeError(f"Spark wrote {len(files)} files for {month_key(month)}")
            lake.place_month(target.name, month, files[0])
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def table_of(path: Path | str) -> str:
    """``spark:db.table`` → ``db.table``."""
    from zhengqi.imports.readers import SPARK_PREFIX

    return str(path).removeprefix(SPARK_PREFIX)
