"""Benchmark of the demo generator: wall time, rows written per second and peak memory.

    .venv/bin/python bench/generate.py                 # demo and province sizes
    .venv/bin/python bench/generate.py --sizes demo

Each size runs in its own process against a fresh SQLite database and lake in a temporary
folder, so that its peak memory (max RSS) is its own. Targets (issue 2): demo < 60 s;
province < 10 min and < 8 GiB.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_one(size: str, seed: int) -> dict[str, float | int | str]:
    """Runs inside the child process: migrate, generate, count what was written."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from zhengqi.customers.models import Contract, Customer, CustomerMonth, KeyPerson, Subscription
    from zhengqi.demo.load import build
    from zhengqi.engine.lake import Lake

    call_command("migrate", verbosity=0)
    lake = Lake(settings.ZHENGQI_LAKE)
    started = time.perf_counter()
    province = build(size=size, seed=seed, lake=lake)
    elapsed = time.perf_counter() - started
    web_rows = sum(m.objects.count() for m in (Customer, KeyPerson, Subscription, Contract, CustomerMonth))
    lake_rows = province.member_month_rows + province.members_total + int(province.alive.sum())
    lake_bytes = sum(p.stat().st_size for p in Path(lake.root).rglob("*.parquet"))
    return {
        "size": size,
        "customers": len(province.customers["code"]),
        "members": province.members_total,
        "web_rows": web_rows,
        "lake_rows": lake_rows,
        "seconds": round(elapsed, 1),
        "rows_per_s": round((web_rows + lake_rows) / elapsed),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "lake_mib": round(lake_bytes / 2**20, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", default=["demo", "province"])
    parser.add_argument("--seed", type=int, default=20261022)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.seed)))
        return

    print(
        f"{'size':<10}{'customers':>10}{'members':>11}{'web rows':>11}{'lake rows':>12}"
        f"{'seconds':>9}{'rows/s':>10}{'peak MiB':>10}{'lake MiB':>10}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"zhengqi-bench-{size}-") as tmp:
            env = {**os.environ, "ZHENGQI_VAR": tmp, "ZHENGQI_LAKE": str(Path(tmp) / "lake")}
            env.pop("DATABASE_URL", None)
            out = subprocess.run(
                [sys.executable, __file__, "--one", size, "--seed", str(args.seed)],
                env=env,
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                print(out.stderr[-3000:], file=sys.stderr)
                raise SystemExit(f"{size}: failed")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"{r['size']:<10}{r['customers']:>10,}{r['members']:>11,}{r['web_rows']:>11,}{r['lake_rows']:>12,}"
                f"{r['seconds']:>9}{r['rows_per_s']:>10,}{r['peak_rss_mib']:>10,}{r['lake_mib']:>10}",
                flush=True,
            )


if __name__ == "__main__":
    main()
