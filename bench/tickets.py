"""Benchmark of the complaint-system ticket import (F-25, F-27): rows/s for a 20,000-ticket CSV, and
the month run's service export that reads them.

    .venv/bin/python bench/tickets.py [--rows 20000]

Prepares var/bench-tickets/ (SQLite with the `demo` province and its departments) on first use,
writes a CSV of ROWS tickets over 2026 (a third closed with the customer's answer, a third resolved,
a third open), and imports it twice in a child process each — the first import inserts every
ticket, the second finds every one unchanged — then times the export of per-customer-month
complaints and surveys that the month run writes to the lake. No target is set by the issue; the
figures show that a file costs a few queries per thousand rows, not a few per row.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench-tickets"
HEADER = ["工单号", "客户编码", "类型", "受理日期", "内容", "办结日期", "处理结果", "是否满意"]
TYPES = ["投诉", "故障", "计费", "交付", "变更"]


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
    rng = np.random.default_rng(20261130)
    customer = rng.integers(0, len(codes), size=rows)
    kind = rng.choice(len(TYPES), size=rows, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    day = rng.integers(0, 300, size=rows)
    state = rng.integers(0, 3, size=rows)  # 0 open, 1 resolved, 2 closed with an answer
    satisfied = rng.random(rows) < 0.85
    start = dt.date(2026, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for i in range(rows):
            created = start + dt.timedelta(days=int(day[i]))
            done = (created + dt.timedelta(days=2)).isoformat() if state[i] else ""
            answer = ("是" if satisfied[i] else "否") if state[i] == 2 else ""
            out.writerow(
                [f"TS-B{i:07d}", codes[customer[i]], TYPES[kind[i]], created.isoformat(), "基准工单",
                 done, "已处理" if state[i] else "", answer]
            )  # fmt: skip


def child(path: str) -> None:
    import django

    django.setup()
    from zhengqi.imports.services import import_file
    from zhengqi.support.surveys import service_month

    started = time.perf_counter()
    batch = import_file("tickets", Path(path))
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    table = service_month()
    export = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": batch.rows_total, "inserted": batch.inserted,
                      "unchanged": batch.unchanged, "rejected": batch.rejected, "status": batch.status,
                      "export_seconds": export, "export_rows": table.num_rows}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--child")
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    VAR.mkdir(parents=True, exist_ok=True)
    codes = prepare()
    reset = "import django; django.setup(); from zhengqi.support.models import ServiceRequest; " \
        "ServiceRequest.objects.filter(external_ref__startswith='TS-B').delete()"  # fmt: skip
    subprocess.run([sys.executable, "-c", reset], env=env(), check=True, cwd=ROOT)
    path = VAR / f"tickets_{args.rows}.csv"
    if not path.exists():
        write_csv(path, args.rows, codes)
    print(f"CSV: {args.rows:,} 个工单, {path.stat().st_size / 2**20:.1f} MiB")
    for label in ("首次导入 first import", "重复导入 re-import"):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(path)], env=env(), check=True, cwd=ROOT, capture_output=True,
            text=True,
        )  # fmt: skip
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{label}: {r['seconds']:.1f} s, {r['rows'] / r['seconds']:,.0f} 行/秒; 新增 {r['inserted']:,}, "
            f"未变 {r['unchanged']:,}, 拒绝 {r['rejected']:,} ({r['status']}); "
            f"月度运行的服务导出 {r['export_rows']:,} 个客户月, {r['export_seconds']:.2f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
