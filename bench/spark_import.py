"""Importing member months from a Spark table two ways, in the same run: checked, merged and written
on the cluster (``imports/spark_lake.py``), and streamed row by row through this process as a small
table is (``readers._spark``, the path before issue 25). Wall time and the driver's peak memory (max
RSS of the Python process; Spark's JVM is not in it) of each, and whether the two lakes hold the
same rows.

    source /tmp/benchenv.sh   # DATABASE_URL and ZHENGQI_VAR of a prepared province (bench/web_load.py)
    .venv/bin/python bench/spark_import.py --month 2026-10 --rows 400000

The source table is the province lake's month with every cell as text, under the import's Chinese
headers (as a BSS export to Hive would be). Each way runs in its own process, so that each peak is
its own; both in Spark's local mode on this machine's cores.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(way: str, month: dt.date, rows: int, out: Path) -> dict[str, object]:
    import django

    django.setup()
    from pyspark.sql import functions as F

    from zhengqi.engine.lake import Lake, spark_session
    from zhengqi.imports import spark_lake
    from zhengqi.imports.kinds.member_month import KIND
    from zhengqi.imports.services import import_file

    source = Lake(Path(os.environ.get("ZHENGQI_LAKE", Path(os.environ["ZHENGQI_VAR"]) / "lake")))
    session = spark_session()
    frame = session.read.parquet(str(source.partition_file("member_month", month))).limit(rows)
    labels = {c.key: c.label for c in KIND.columns}
    frame = frame.select(
        *(F.date_format(c, "yyyy-MM").alias(labels[c]) if c == "month" else F.col(c).cast("string").alias(labels[c])
          for c in frame.columns)
    )  # fmt: skip
    # Several files, as a table of a metastore is: Spark reads them as several partitions.
    frame.repartition(8).write.mode("overwrite").parquet(str(out / "source"))
    session.read.parquet(str(out / "source")).createOrReplaceTempView("bss_member_month")
    if way == "driver":
        spark_lake.ON_THE_CLUSTER.pop("member_month")  # the way a small table goes
    started = time.perf_counter()
    batch = import_file("member_month", Path("spark:bss_member_month"), lake=Lake(out / way))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "inserted": batch.inserted,
        "rejected": batch.rejected,
        "status": batch.status,
        "message": batch.message,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--rows", type=int, default=400_000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    month = dt.datetime.strptime(args.month, "%Y-%m").date()
    if args.child:
        print(json.dumps(child(args.child, month, args.rows, Path(args.out))))
        return
    if "ZHENGQI_VAR" not in os.environ:
        raise SystemExit("set ZHENGQI_VAR (and DATABASE_URL) to a prepared province")
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(dir=os.environ["ZHENGQI_VAR"]) as folder:
        results = {}
        for way in ("cluster", "driver"):
            command = [sys.executable, __file__, "--child", way, "--month", args.month, "--rows", str(args.rows)]
            done = subprocess.run([*command, "--out", folder], capture_output=True, text=True, check=True)
            results[way] = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{way}: {results[way]}", flush=True)  # each as it ends: a long run shows the first
        for way, r in results.items():
            if r["status"] != "succeeded":
                print(f"{way}: {r['status']} — {r['message']}")
        tables = []
        for way in ("cluster", "driver"):
            if results[way]["status"] != "succeeded":
                continue
            table = pq.read_table(Path(folder) / way / "member_month" / f"month={args.month}" / "data.parquet")
            tables.append(sorted(table.select(["msisdn", "revenue", "data_mb"]).to_pylist(), key=lambda r: r["msisdn"]))
    print(f"member months {args.month}, {args.rows:,} rows from a Spark table (local mode, {os.cpu_count()} cores)")
    print(f"{'way':<34}{'seconds':>9}{'driver peak MiB':>17}{'inserted':>11}")
    names = {"cluster": "checked and written on the cluster", "driver": "streamed through the driver"}
    for way, r in results.items():
        print(f"{names[way]:<34}{r['seconds']:9.1f}{r['peak_mib']:17}{r['inserted']:11,}")
    c, d = results["cluster"], results["driver"]
    less, time_ratio = d["peak_mib"] / c["peak_mib"], d["seconds"] / c["seconds"]
    print(f"driver memory: {less:.1f}× less on the cluster; time {time_ratio:.1f}× (streamed / cluster)")
    print(f"same rows in the lake: {len(tables) == 2 and tables[0] == tables[1]}")


if __name__ == "__main__":
    main()
