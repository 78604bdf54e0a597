"""Benchmark of the month run: wall time and peak memory per step, and two ratios measured in the
same run — the feature step vs a plain pandas implementation (bench/pandas_features.py), and vs
DuckDB's bare scan of every column of the member-month Parquet (the input/output floor).

    ZHENGQI_VAR=var-bench .venv/bin/python bench/month_run.py --month 2026-10

ZHENGQI_VAR must hold a generated province (``zhengqi demo --size province``). The month run
scores churn with the lake's active churn model; ``--churn-model-from var/lake`` first copies the
active model of another lake (e.g. the demo's: same generator, same features) into this one, so
that the scoring step is measured without training on the province. Each measurement
runs in its own process, so that each peak memory (max RSS) is its own. Targets (issue 3) on the
2-core machine: the whole month run under 30 s and 3 GiB; features ≥ 2× faster than pandas with
≥ 4× less peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def peak_mib() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


class StepClock:
    """A progress callback that records each step's wall time and the peak memory so far."""

    def __init__(self) -> None:
        self.started = self.last = time.perf_counter()
        self.marks: list[tuple[str, float, int]] = []

    def __call__(self, step: str) -> None:
        now = time.perf_counter()
        self.marks.append((step, now - self.last, peak_mib()))
        self.last = now

    def total(self) -> float:
        return time.perf_counter() - self.started


def child(kind: str, month: dt.date) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    lake_root = Path(os.environ.get("ZHENGQI_LAKE", Path(os.environ["ZHENGQI_VAR"]) / "lake"))
    if kind == "scan":
        import duckdb

        con = duckdb.connect()
        glob = str(lake_root / "member_month" / "month=*" / "data.parquet")
        cols = [
            r[0]
            for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet('{glob}', hive_partitioning=false)").fetchall()
        ]
        started = time.perf_counter()
        counts = ", ".join(f'count("{c}")' for c in cols)
        rows = con.execute(f"SELECT {counts} FROM read_parquet('{glob}', hive_partitioning=false)").fetchone()
        return {"seconds": time.perf_counter() - started, "rows": rows[0] if rows else 0, "peak_mib": peak_mib()}
    if kind == "pandas":
        from bench.pandas_features import features

        # Fail with MemoryError rather than push the whole machine into the OOM killer.
        limit = int(float(os.environ.get("ZHENGQI_BENCH_PANDAS_GIB", "20")) * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

        started = time.perf_counter()
        out = features(lake_root, month)
        return {
            "seconds": time.perf_counter() - started,
            "rows": len(out),
            "peak_mib": peak_mib(),
            "check": {
                "members_active": int(out["members_active"].sum()),
                "revenue": round(float(out["revenue"].sum()), 2),
            },
        }
    if kind == "features":
        # Imported before the clock, as the other measurements import theirs (ibis converts its
        # results with pandas, which it imports on first use: a second of importing, not of work).
        import ibis.backends.duckdb.converter  # noqa: F401

        from zhengqi.engine.features import monthly
        from zhengqi.engine.lake import Lake
        from zhengqi.engine.sources import staged_sources

        started = time.perf_counter()
        table = monthly.build(staged_sources(Lake(lake_root).connect("duckdb")), month).to_pyarrow()
        return {
            "seconds": time.perf_counter() - started,
            "rows": table.num_rows,
            "peak_mib": peak_mib(),
            "check": {
                "members_active": int(sum(table["members_active"].to_pylist())),
                "revenue": round(sum(table["revenue"].to_pylist()), 2),
            },
        }
    if kind == "pipeline":  # the engine's steps alone, for a lake without a web database (x10)
        from zhengqi.engine.lake import Lake
        from zhengqi.engine.pipeline import run_month
        from zhengqi.engine.rules.builtin import BUILTIN_RULES
        from zhengqi.engine.value.model import DEFAULT_MODEL

        clock = StepClock()
        result = run_month(Lake(lake_root), month, model=DEFAULT_MODEL, rules=BUILTIN_RULES, progress=clock)
        step_rows = {s.name: s.rows for s in result.steps}
        return {"seconds": clock.total(), "steps": clock.marks, "peak_mib": peak_mib(), "counts": step_rows}
    if kind == "month_run":
        import django

        django.setup()
        from django.urls import get_resolver

        from zhengqi.scoring.month_run import month_run

        # The worker that runs month runs has its URLs loaded once (the tasks' notifications link to
        # pages): loaded before the clock, like django.setup(), not counted in one month's run.
        get_resolver().url_patterns  # noqa: B018  # loads the URL configuration
        marks: list[tuple[str, float, int]] = []
        started = time.perf_counter()
        last = [started]

        def progress(step: str) -> None:
            now = time.perf_counter()
            marks.append((step, now - last[0], peak_mib()))
            last[0] = now

        record = month_run(month=month, progress=progress)
        return {
            "seconds": time.perf_counter() - started,
            "steps": marks,
            "peak_mib": peak_mib(),
            "counts": record.counts,
            "tasks": tasks_per_person(month),
        }
    raise SystemExit(f"unknown measurement {kind}")


def tasks_per_person(month: dt.date) -> dict[str, Any]:
    """What the month run gave people to do: tasks issued per account manager (and per regional
    manager, for customers nobody looks after) against the configured capacity."""
    from django.conf import settings
    from django.db.models import Count

    from zhengqi.accounts.models import User
    from zhengqi.marketing.models import Task

    issued = Task.objects.filter(source=Task.Source.ALERT, issued_month=month, status=Task.Status.OPEN)
    per = dict(issued.values("assignee_id").annotate(n=Count("pk")).values_list("assignee_id", "n"))
    ams = set(User.objects.filter(role=User.Role.ACCOUNT_MANAGER, is_active=True).values_list("pk", flat=True))
    am_counts = [per.get(pk, 0) for pk in ams]
    others = [n for pk, n in per.items() if pk not in ams]
    return {
        "capacity": int(settings.ZHENGQI_TASKS_PER_MANAGER),
        "account_managers": len(ams),
        "am_tasks": sum(am_counts),
        "am_max": max(am_counts, default=0),
        "am_mean": round(sum(am_counts) / len(ams), 1) if ams else 0,
        "regional_managers": len(others),
        "regional_tasks": sum(others),
        "regional_max": max(others, default=0),
    }


def run_child(kind: str, month: str) -> dict[str, Any]:
    out = subprocess.run(  # each measurement in its own process: its peak memory is its own
        [sys.executable, __file__, "--child", kind, "--month", month],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if out.returncode != 0:
        print(out.stderr[-3000:], file=sys.stderr)
        raise SystemExit(f"{kind} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def vacuum_if_autovacuum_is_off() -> None:
    """Each re-run of a month replaces its snapshots, alerts and tasks. A production PostgreSQL's
    autovacuum clears the old rows; where it is off (a test server), re-runs pile them up and each
    measurement would be slower than the last: VACUUM first, standing in for it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        row = con.execute("SHOW autovacuum").fetchone()
        if row and row[0] == "off":
            print("autovacuum is off on this server: VACUUM first, as autovacuum would have", flush=True)
            con.execute("VACUUM")


def copy_churn_model(source_root: Path) -> None:
    import shutil

    from zhengqi.engine.churn import registry
    from zhengqi.engine.lake import Lake

    source = Lake(source_root)
    version = registry.active_version(source)
    if version is None:
        raise SystemExit(f"{source_root} has no active churn model (zhengqi model train --activate)")
    target = Lake(Path(os.environ.get("ZHENGQI_LAKE", Path(os.environ["ZHENGQI_VAR"]) / "lake")))
    folder = target.root / "models" / "churn" / version
    if not folder.exists():
        shutil.copytree(source.root / "models" / "churn" / version, folder)
    registry.set_active(target, version)
    print(f"churn model {version} (from {source_root}) is active in {target.root}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument(
        "--engine-only",
        action="store_true",
        help="lake without a web database (zhengqi demo --size x10 --lake-only): engine steps only",
    )
    parser.add_argument("--churn-model-from", type=Path, help="copy this lake's active churn model first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    month = dt.datetime.strptime(args.month, "%Y-%m").date()
    if args.child:
        print(json.dumps(child(args.child, month)))
        return
    if "ZHENGQI_VAR" not in os.environ:
        raise SystemExit("set ZHENGQI_VAR to a folder holding a generated province")

    if args.churn_model_from:
        copy_churn_model(args.churn_model_from)
    if not args.engine_only:
        vacuum_if_autovacuum_is_off()
    full = run_child("pipeline" if args.engine_only else "month_run", args.month)
    warm = "" if args.engine_only else " (a warm worker: Django and its URLs loaded)"
    print(f"month run {args.month}: {full['seconds']:.1f} s, peak {full['peak_mib']} MiB{warm}")
    for step, seconds, peak in full["steps"]:  # type: ignore[union-attr]  # the report's steps are a list (built above)
        print(f"  {step:<12}{seconds:8.2f} s   peak so far {peak:>6} MiB")
    print(f"  counts: {full['counts']}")
    if "tasks" in full:
        t = full["tasks"]
        print(
            f"  tasks per account manager: mean {t['am_mean']}, max {t['am_max']} (capacity {t['capacity']}; "
            f"{t['am_tasks']:,} tasks for {t['account_managers']:,} account managers); regional managers' queues: "
            f"{t['regional_tasks']:,} tasks for {t['regional_managers']}, max {t['regional_max']}"
        )
        print(f"  within capacity: {'yes' if max(t['am_max'], t['regional_max']) <= t['capacity'] else 'NO'}")
    ours, scan = run_child("features", args.month), run_child("scan", args.month)
    try:
        pandas: dict[str, Any] | None = run_child("pandas", args.month)
    except SystemExit:  # e.g. out of memory at the x10 size: say so and keep the rest
        pandas = None
    print(f"{'features':<22}{'seconds':>9}{'peak MiB':>10}")
    rows = [("engine (DuckDB)", ours), ("DuckDB bare scan", scan)] + ([("pandas baseline", pandas)] if pandas else [])
    for name, r in rows:
        print(f"{name:<22}{r['seconds']:>9.2f}{r['peak_mib']:>10}")
    print(f"engine vs bare scan: {ours['seconds'] / scan['seconds']:.1f}× the floor")
    if pandas is None:
        limit = os.environ.get("ZHENGQI_BENCH_PANDAS_GIB", "20")
        print(f"pandas baseline: did not finish (MemoryError within its {limit} GiB limit)")
        return
    print(
        f"speed vs pandas: {pandas['seconds'] / ours['seconds']:.1f}×   "
        f"memory vs pandas: {pandas['peak_mib'] / ours['peak_mib']:.1f}× less"
    )
    print(f"same answers: engine {ours['check']}  pandas {pandas['check']}")


if __name__ == "__main__":
    main()
