"""Where the lake's tables are, how they are written, and how the engine connects to them.

Layout under the lake root (Parquet, one file per month partition)::

    members/data.parquet                        one row per member (MSISDN)
    member_month/month=YYYY-MM/data.parquet     one row per member per month (with its own month column)
    customer_month/month=YYYY-MM/data.parquet   one row per customer per month
    dim_*/data.parquet                          dimensions exported by the web side for a run
    features/month=YYYY-MM/data.parquet         results of the month run (features, scores, hits)

A month is written to a temporary file and moved into place with ``os.replace``, which is atomic:
a reader sees the whole old month or the whole new one, never half of either.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pyarrow as pa
import pyarrow.parquet as pq

if TYPE_CHECKING:
    import ibis
    import pyspark.sql

PARTITIONED_TABLES = ("member_month", "customer_month")
Backend = Literal["duckdb", "pyspark"]


def month_key(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


class Lake:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def table_path(self, name: str) -> Path:
        return self.root / name

    def partition_file(self, name: str, month: dt.date) -> Path:
        return self.root / name / f"month={month_key(month)}" / "data.parquet"

    def write_month(self, name: str, month: dt.date, table: pa.Table) -> Path:
        """Replace one month of a partitioned table, atomically."""
        return self._write_atomic(self.partition_file(name, month), table)

    def place_month(self, name: str, month: dt.date, written: Path) -> Path:
        """Move a month's file written elsewhere on the lake's filesystem (by Spark) into place,
        atomically, replacing the month's file."""
        target = self.partition_file(name, month)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(written, target)
        return target

    def write_table(self, name: str, table: pa.Table) -> Path:
        """Replace a whole unpartitioned table, atomically."""
        return self._write_atomic(self.root / name / "data.parquet", table)

    def months(self, name: str) -> list[str]:
        folder = self.root / name
        if not folder.exists():
            return []
        return sorted(p.name.removeprefix("month=") for p in folder.glob("month=*") if (p / "data.parquet").exists())

    def read_month(self, name: str, month: dt.date) -> pa.Table:
        return pq.read_table(self.partition_file(name, month))

    def read_table(self, name: str) -> pa.Table:
        return pq.read_table(self.root / name / "data.parquet")

    def _write_atomic(self, target: Path, table: pa.Table) -> Path:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
        try:
            pq.write_table(table, tmp, compression="zstd")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        return target

    def recode_customer(self, old: str, new: str) -> int:
        """Give every fact of customer ``old`` to customer ``new`` (a merge of duplicates): members,
        member months and customer months, each file rewritten atomically and only if it holds
        ``old``. Two customer-month rows of one month are added up. Returns the rows moved."""
        import pyarrow.compute as pc

        moved = 0
        files = [self.root / "members" / "data.parquet"]
        for name in PARTITIONED_TABLES:
            files += sorted((self.root / name).glob("month=*/data.parquet"))
        for path in files:
            if not path.exists():
                continue
            table = pq.read_table(path)
            codes = pc.cast(table.column("customer_code"), pa.string())
            hits = pc.equal(codes, old)
            n = int(pc.sum(hits).as_py() or 0)
            if n == 0:
                continue
            index = table.schema.get_field_index("customer_code")
            recoded = pc.if_else(hits, pa.scalar(new), codes).cast(table.schema.field(index).type)
            table = table.set_column(index, table.schema.field(index), recoded)
            if path.parent.parent.name == "customer_month":
                table = _add_up_customer_months(table)
            self._write_atomic(path, table)
            moved += n
        return moved

    def duckdb_memory_budget(self) -> str:
        """Half the size of the member-month files, at least 1 GiB and at most half the machine's
        memory: small lakes stay small in RAM, large ones get room for the operators that cannot
        spill (measured: province 0.6 GiB of 1; ×10 needs more than 1)."""
        data = sum(p.stat().st_size for p in (self.root / "member_month").glob("month=*/data.parquet"))
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        budget = min(max(data // 2, 2**30), machine // 2)
        return f"{budget // 2**20}MB"

    def connect(self, backend: Backend = "duckdb") -> ibis.BaseBackend:
        """An Ibis connection with each lake table registered under its name."""
        import ibis

        if backend == "duckdb":
            # A bounded memory budget: DuckDB spills to disk rather than hold the lake in RAM.
            spill = self.root / ".duckdb-spill"
            spill.mkdir(parents=True, exist_ok=True)
            con = ibis.duckdb.connect(
                memory_limit=os.environ.get("ZHENGQI_DUCKDB_MEMORY") or self.duckdb_memory_budget(),
                preserve_insertion_order=False,
                temp_directory=str(spill),
            )
        elif backend == "pyspark":  # pragma: no cover - exercised where pyspark is installed
            con = ibis.pyspark.connect(spark_session())
        else:
            raise ValueError(f"unknown backend {backend!r}: use 'duckdb' or 'pyspark'")
        names = sorted(p.name for p in self.root.iterdir() if p.is_dir()) if self.root.exists() else []
        for name in names:
            folder = self.root / name
            if not any(folder.glob("**/data.parquet")):
                continue
            if name in PARTITIONED_TABLES:
                # Each file carries its own month column: the folder names are not read as data.
                extra = {"hive_partitioning": False} if backend == "duckdb" else {}
                con.read_parquet(str(folder / "month=*" / "data.parquet"), table_name=name, **extra)
            else:
                con.read_parquet(str(folder / "data.parquet"), table_name=name)
        return con


def spark_session() -> pyspark.sql.SparkSession:
    """The Spark session the engine and the imports share: the operator's cluster named by
    ``ZHENGQI_SPARK_MASTER`` (spark://host:7077, yarn, k8s://…); without it local mode, or Spark
    Connect where SPARK_REMOTE names a server. The rest from spark-defaults.conf. The executors run
    Python (the imports' row checks) with ``PYSPARK_PYTHON``, by default this interpreter: on a
    cluster whose machines install Zhengqi elsewhere, set it to theirs."""
    import sys

    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("zhengqi")
    master = os.environ.get("ZHENGQI_SPARK_MASTER")
    if master:
        builder = builder.master(master)
    session = (
        builder.config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", os.environ.get("ZHENGQI_SPARK_PARTITIONS", "8"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _add_up_customer_months(table: pa.Table) -> pa.Table:
    """One row per customer and month: numbers summed over the rows that share them."""
    numeric = [f.name for f in table.schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)]
    grouped = table.group_by(["month", "customer_code"], use_threads=False).aggregate([(c, "sum") for c in numeric])
    grouped = grouped.rename_columns([n.removesuffix("_sum") for n in grouped.schema.names])
    return grouped.select(table.schema.names).cast(table.schema)
