"""A database created by the release before the apps were renamed (insight → scoring, analysis →
insight, channels → partners, service → support and competition) upgrades with ``zhengqi migrate``
and keeps every row. The fixture is that release's tiny demo province, dumped from SQLite."""

from __future__ import annotations

import gzip
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

DUMP = Path(__file__).parent / "fixtures" / "zhengqi-2026-11-before-renames.sql.gz"
ROOT = Path(__file__).parent.parent


def _old_database(var: Path) -> Path:
    path = var / "zhengqi.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(gzip.decompress(DUMP.read_bytes()).decode())
    con.close()
    return path


def _count(con: sqlite3.Connection, table: str) -> int:
    return int(con.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0])  # noqa: S608 - our table names


def _migrate(var: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZHENGQI_VAR": str(var), "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    env.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_an_old_database_keeps_every_row_under_the_new_names(tmp_path: Path) -> None:
    path = _old_database(tmp_path)
    con = sqlite3.connect(path)
    before = {
        t: _count(con, t)
        for t in (
            "insight_alert",
            "analysis_target",
            "channels_partner",
            "service_servicerequest",
            "service_competitorevent",
            "service_competitorevent_customers",
            "service_responseplan",
        )
    }
    con.close()
    assert all(before.values()), before  # the fixture has rows in every renamed app

    done = _migrate(tmp_path)
    assert done.returncode == 0, done.stderr
    assert "service → competition" in done.stdout
    # the history carried over: nothing re-created (only migrations newer than the fixture apply)
    fresh = [line for line in done.stdout.splitlines() if "0001_initial" in line]
    assert all("notifications." in line for line in fresh), fresh  # only an app newer than the fixture starts
    assert "Applying scoring.0002" not in done.stdout

    con = sqlite3.connect(path)
    after = {
        "insight_alert": _count(con, "scoring_alert"),
        "analysis_target": _count(con, "insight_target"),
        "channels_partner": _count(con, "partners_partner"),
        "service_servicerequest": _count(con, "support_servicerequest"),
        "service_competitorevent": _count(con, "competition_competitorevent"),
        "service_competitorevent_customers": _count(con, "competition_competitorevent_customers"),
        "service_responseplan": _count(con, "competition_responseplan"),
    }
    assert after == before
    labels = {row[0] for row in con.execute("SELECT app_label FROM django_content_type")}
    assert {"scoring", "insight", "partners", "support", "competition"} <= labels
    assert not labels & {"analysis", "channels", "service"}
    con.close()

    again = _migrate(tmp_path)  # a second run finds nothing to carry over
    assert again.returncode == 0, again.stderr
    assert "carried over" not in again.stdout


@pytest.mark.parametrize("drop", ["0005_backfill_snapshot_measures"])
def test_an_older_database_is_refused_with_a_message_and_left_as_it_was(tmp_path: Path, drop: str) -> None:
    path = _old_database(tmp_path)
    con = sqlite3.connect(path)
    con.execute("DELETE FROM django_migrations WHERE app = 'insight' AND name = ?", [drop])
    con.commit()
    con.close()
    done = _migrate(tmp_path)
    assert done.returncode != 0
    assert "请先用 2026 年 11 月的版本迁移到最新" in done.stderr
    con = sqlite3.connect(path)
    assert _count(con, "insight_alert") > 0  # nothing renamed
    con.close()
