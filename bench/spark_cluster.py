"""The month's engine steps (features, value and tiers, rule hits) on a Spark standalone cluster —
a master and two workers started on this machine from the pyspark distribution — against DuckDB on
the same lake, in the same run: wall time of each, and whether every column of every result is
equal.

    ZHENGQI_VAR=var/bench-province .venv/bin/python bench/spark_cluster.py --month 2026-10
    ZHENGQI_SPARK_MASTER=spark://host:7077 ... bench/spark_cluster.py   # an existing cluster instead

The lake must hold the month's dimension tables (a month run of the province's database has
exported them: ``bench/web_load.py`` prepares it). On two cores a cluster is slower than DuckDB — it
is here to show the same code runs distributed and agrees to the bit, and what starting it costs;
docs/performance.md says when a province needs one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1, help="cores per worker")
    parser.add_argument("--memory", default="1g", help="memory per worker (an executor takes Spark's default, 1g)")
    args = parser.parse_args()
    if "ZHENGQI_VAR" not in os.environ:
        raise SystemExit("set ZHENGQI_VAR to a folder holding a generated province")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    month = dt.datetime.strptime(args.month, "%Y-%m").date()

    from contextlib import nullcontext

    from zhengqi.engine.lake import Lake
    from zhengqi.engine.pipeline import run_month
    from zhengqi.engine.rules.builtin import BUILTIN_RULES
    from zhengqi.engine.spark_cluster import standalone_cluster
    from zhengqi.engine.value.model import DEFAULT_MODEL

    lake = Lake(Path(os.environ.get("ZHENGQI_LAKE", Path(os.environ["ZHENGQI_VAR"]) / "lake")))
    started = time.perf_counter()
    duck = run_month(lake, month, model=DEFAULT_MODEL, rules=BUILTIN_RULES, backend="duckdb")
    duck_seconds = time.perf_counter() - started

    given = os.environ.get("ZHENGQI_SPARK_MASTER")
    started = time.perf_counter()
    cluster = nullcontext(given) if given else standalone_cluster(args.workers, args.cores, args.memory)
    with cluster as master:
        up = time.perf_counter() - started
        os.environ["ZHENGQI_SPARK_MASTER"] = str(master)
        os.environ.setdefault("ZHENGQI_SPARK_PARTITIONS", str(max(2, args.workers * args.cores * 2)))
        from pyspark.sql import SparkSession

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # pyspark about pandas 3
            started = time.perf_counter()
            spark = run_month(lake, month, model=DEFAULT_MODEL, rules=BUILTIN_RULES, backend="pyspark")
            spark_seconds = time.perf_counter() - started
        session = SparkSession.getActiveSession()
        executors = session.sparkContext._jsc.sc().getExecutorMemoryStatus().size() - 1 if session else 0
        if session is not None:
            session.stop()

    print(f"month {args.month}, lake {lake.root}")
    print(f"cluster {master}: {executors} executors; started in {up:.1f} s" if not given else f"cluster {master}")
    print(f"{'step':<10}{'DuckDB s':>10}{'Spark s':>10}{'rows':>10}  equal")
    same_everywhere = True
    for d_step, s_step in zip(duck.steps, spark.steps, strict=True):
        a, b = getattr(duck, d_step.name, None), getattr(spark, s_step.name, None)
        equal = "—"
        if a is not None and b is not None:
            differing = [c for c in a.schema.names if c not in b.schema.names or a[c].to_pylist() != b[c].to_pylist()]
            equal = "yes" if not differing else f"NO: {', '.join(differing[:5])}"
            same_everywhere &= not differing
        print(f"{d_step.name:<10}{d_step.seconds:>10.2f}{s_step.seconds:>10.2f}{d_step.rows:>10}  {equal}")
    print(f"{'whole':<10}{duck_seconds:>10.2f}{spark_seconds:>10.2f}")
    print("same results on both engines: " + ("yes" if same_everywhere else "NO"))
    if not same_everywhere:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
