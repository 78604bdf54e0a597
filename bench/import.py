"""Benchmark of the member-month import: rows/s and peak memory for a 1,000,000-row CSV.

    .venv/bin/python bench/import.py [--rows 1000000]

Prepares var/bench-import/ (SQLite with the `demo` province, for its customer codes) on first
use, writes a CSV of ROWS members in one month (2026-11, a month the lake does not hold yet) and
imports it twice in a child process each — the first import inserts every row, the second finds
every row unchanged — printing wall time, rows/s and peak memory (max RSS) of each.
Target (issue 5): under 60 s and under 4 GiB for 1,000,000 rows.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench-import"
HEADER = [
    "手机号码",
    "月份",
    "客户编码",
    "语音分钟数",
    "短信条数",
    "流量(MB)",
    "V网内通话次数",
    "呼叫异网客服次数",
    "收入",
    "信息化收入",
]


def env() -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "ZHENGQI_VAR": str(VAR),
        "DATABASE_URL": f"sqlite:///{VAR / 'zhengqi.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }


def prepare() -> list[str]:
    zhengqi = [sys.executable, "-m", "zhengqi.cli"]
    subprocess.run([*zhengqi, "migrate", "-v", "0"], env=env(), check=True, cwd=ROOT)
    subprocess.run([*zhengqi, "demo", "--size", "demo", "--if-empty"], env=env(), check=True, cwd=ROOT)
    code = "import django; django.setup(); from zhengqi.customers.models import Customer; " \
        "import json; print(json.dumps(list(Customer.objects.values_list('code', flat=True))))"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env(), check=True, cwd=ROOT, capture_output=True, text=True)
    data: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return data


def write_csv(path: Path, rows: int, codes: list[str]) -> None:
    rng = np.random.default_rng(20261122)
    msisdn = 13000000000 + rng.choice(6 * 10**9 // 10, size=rows, replace=False)
    customer = rng.integers(0, len(codes), size=rows)
    voice = rng.poisson(180, rows)
    sms = rng.poisson(20, rows)
    data_mb = np.round(rng.gamma(2.0, 1500.0, rows), 2)
    vnet = rng.poisson(15, rows)
    competitor = rng.poisson(0.05, rows)
    revenue = np.round(rng.gamma(3.0, 20.0, rows), 2)
    info = np.round(revenue * rng.uniform(0, 0.4, rows), 2)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            out.writerow(
                [msisdn[i], "2026-11", codes[customer[i]], voice[i], sms[i], data_mb[i], vnet[i], competitor[i],
                 revenue[i], info[i]]
            )  # fmt: skip


def child(path: str) -> None:
    import django

    django.setup()
    from zhengqi.imports.services import import_file

    started = time.perf_counter()
    batch = import_file("member_month", Path(path))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "peak_mib": peak, "rows": batch.rows_total, "inserted": batch.inserted,
                      "unchanged": batch.unchanged, "rejected": batch.rejected, "status": batch.status}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    VAR.mkdir(parents=True, exist_ok=True)
    codes = prepare()
    path = VAR / f"member_month_{args.rows}.csv"
    # A fresh month each time: the first import inserts everything.
    partition = VAR / "lake" / "member_month" / "month=2026-11"
    if partition.exists():
        for f in partition.iterdir():
            f.unlink()
        partition.rmdir()
    started = time.perf_counter()
    if not path.exists():
        write_csv(path, args.rows, codes)
    print(f"CSV: {args.rows:,} 行, {path.stat().st_size / 2**20:.0f} MiB, 生成 {time.perf_counter() - started:.1f} s")
    for label in ("首次导入 first import", "重复导入 re-import"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)],
            env=env(),
            check=True,
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{label}: {r['seconds']:.1f} s, {r['rows'] / r['seconds']:,.0f} 行/秒, 峰值内存 {r['peak_mib']:,.0f} MiB; "
            f"新增 {r['inserted']:,}, 未变 {r['unchanged']:,}, 拒绝 {r['rejected']:,} ({r['status']})",
            flush=True,
        )


if __name__ == "__main__":
    main()
