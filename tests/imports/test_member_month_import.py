"""Member-month facts into the lake: merged by (MSISDN, month), each month replaced atomically;
re-running changes nothing; an import killed half-way and re-run equals a clean import."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pytest
from django.conf import settings

from zhengqi.engine.lake import Lake
from zhengqi.imports.kinds.member_month import KIND as MEMBER_MONTH
from zhengqi.imports.services import import_file

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
MONTHS = [dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)]
HEADER = [c.label for c in MEMBER_MONTH.columns]


def write_csv(path: Path, lake: Lake, months: list[dt.date], *, per_month: int = 40, new: int = 5) -> None:
    """Rows taken from the lake, a third of them with a changed revenue, plus new members."""
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for m in months:
            rows = lake.read_month("member_month", m).slice(0, per_month).to_pylist()
            for i, r in enumerate(rows):
                revenue = r["revenue"] + (1.0 if i % 3 == 0 else 0.0)
                out.writerow(
                    [r["msisdn"], f"{m:%Y-%m}", r["customer_code"], r["voice_minutes"], r["sms_count"], r["data_mb"],
                     r["vnet_calls"], r["competitor_calls"], revenue, r["revenue_info"]]
                )  # fmt: skip
            code = rows[0]["customer_code"]
            for j in range(new):
                out.writerow([19900000000 + j, f"{m:%Y-%m}", code, 10, 1, 5.5, 0, 0, 12.5, 0])


def sorted_month(lake: Lake, month: dt.date) -> pa.Table:
    table = lake.read_month("member_month", month)
    return table.sort_by("msisdn").cast(table.schema)


def test_merge_keeps_other_members_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    source = Lake(settings.ZHENGQI_LAKE)
    lake = Lake(tmp_path / "lake")
    for m in MONTHS:
        shutil.copytree(source.partition_file("member_month", m).parent, lake.partition_file("member_month", m).parent)
    before = {m: lake.read_month("member_month", m).num_rows for m in MONTHS}
    path = tmp_path / "mm.csv"
    write_csv(path, source, MONTHS)
    batch = import_file("member_month", path, lake=lake)
    assert batch.status == "succeeded" and batch.rejected == 0
    assert (batch.inserted, batch.updated, batch.unchanged) == (15, 3 * 14, 3 * 26)
    for m in MONTHS:
        assert lake.read_month("member_month", m).num_rows == before[m] + 5
    stamps = {m: lake.partition_file("member_month", m).stat().st_mtime_ns for m in MONTHS}
    again = import_file("member_month", path, lake=lake)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 120 + 15)
    assert stamps == {m: lake.partition_file("member_month", m).stat().st_mtime_ns for m in MONTHS}


def test_bad_member_rows_are_refused(tmp_path: Path) -> None:
    source = Lake(settings.ZHENGQI_LAKE)
    code = source.read_month("member_month", MONTHS[-1]).column("customer_code")[0].as_py()
    path = tmp_path / "bad.csv"
    path.write_text(
        ",".join(HEADER) + "\n"
        f"13800000001,2026-10,{code},1,1,1,0,0,10,0\n"
        f"1380000000,2026-10,{code},1,1,1,0,0,10,0\n"  # 3: ten digits
        f"13800000002,2026-10,{code},1,1,1,0,0,-3,0\n"  # 4: negative revenue
        f"13800000003,10/2026,{code},1,1,1,0,0,10,0\n"  # 5: bad date
        f"13800000001,2026-10,{code},1,1,1,0,0,10,0\n",  # 6: duplicate key
        "utf-8",
    )
    batch = import_file("member_month", path, lake=Lake(tmp_path / "lake"))
    assert {r.line: r.column for r in batch.rejections.all()} == {
        3: "手机号码",
        4: "收入",
        5: "月份",
        6: "手机号码、月份",
    }
    assert batch.inserted == 1


@pytest.mark.own_database  # its own SQLite province in subprocesses: once, in the SQLite pass
@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_an_import_killed_half_way_and_rerun_equals_a_clean_import(tmp_path: Path) -> None:
    """A real process, killed with SIGKILL after its first month is written, then run again."""
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "ZHENGQI_VAR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'z.sqlite3'}",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("ZHENGQI_LAKE", None)
    zhengqi = [sys.executable, "-m", "zhengqi.cli"]
    subprocess.run([*zhengqi, "migrate", "-v", "0"], env=env, check=True, cwd=ROOT)
    subprocess.run(
        [*zhengqi, "demo", "--size", "tiny", "--seed", "7"], env=env, check=True, cwd=ROOT, capture_output=True
    )
    lake = Lake(var / "lake")
    clean = Lake(tmp_path / "clean-lake")
    shutil.copytree(lake.root, clean.root)
    path = tmp_path / "mm.csv"
    write_csv(path, lake, MONTHS, per_month=200, new=20)

    first = lake.partition_file("member_month", MONTHS[0])
    stamp = first.stat().st_mtime_ns
    killed = subprocess.Popen(
        [*zhengqi, "import", "member_month", str(path)], env={**env, "ZHENGQI_IMPORT_PAUSE": "60"}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while first.stat().st_mtime_ns == stamp and time.monotonic() < deadline:
        time.sleep(0.1)
    assert first.stat().st_mtime_ns != stamp, "the import never wrote its first month"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    # Half-way: the first month is new, the later ones are still whole and old.
    assert lake.read_month("member_month", MONTHS[1]).equals(clean.read_month("member_month", MONTHS[1]))
    assert not list(lake.partition_file("member_month", MONTHS[1]).parent.glob(".*.tmp"))

    subprocess.run([*zhengqi, "import", "member_month", str(path)], env=env, check=True, cwd=ROOT, capture_output=True)
    subprocess.run(
        [*zhengqi, "import", "member_month", str(path)], env={**env, "ZHENGQI_LAKE": str(clean.root)}, check=True,
        cwd=ROOT, capture_output=True,
    )  # fmt: skip
    for m in MONTHS:
        got, want = sorted_month(lake, m), sorted_month(clean, m)
        assert got.num_rows == want.num_rows
        assert got.equals(want), m
        assert pa.compute.count_distinct(got.column("msisdn")).as_py() == got.num_rows  # no duplicates


def test_members_merge_by_msisdn_and_refuse_events_out_of_order(tmp_path: Path) -> None:
    source = Lake(settings.ZHENGQI_LAKE)
    lake = Lake(tmp_path / "lake")
    shutil.copytree(source.root / "members", lake.root / "members")
    before = lake.read_table("members")
    first = before.slice(0, 1).to_pylist()[0]
    path = tmp_path / "members.csv"
    path.write_text(
        "手机号码,客户编码,入网月份,离网月份,回归月份,V网成员\n"
        f"{first['msisdn']},{first['customer_code']},{first['join_month']:%Y-%m},,,是\n"  # 2: an update (or same)
        f"19911112222,{first['customer_code']},2025-01,,,否\n"  # 3: new
        f"19911113333,{first['customer_code']},2025-05,2025-03,,否\n",  # 4: leaves before joining
        "utf-8",
    )
    batch = import_file("members", path, lake=lake)
    assert {r.line: r.column for r in batch.rejections.all()} == {4: "离网月份"}
    assert batch.inserted == 1 and batch.inserted + batch.updated + batch.unchanged == 2
    after = lake.read_table("members")
    assert after.num_rows == before.num_rows + 1
    again = import_file("members", path, lake=lake)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
