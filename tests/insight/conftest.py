"""The tiny province with September and October 2026 run: what the dashboards and report read."""

from __future__ import annotations

import datetime as dt

import pytest

from zhengqi.scoring.month_run import month_run

SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)


@pytest.fixture
def october(db: None) -> None:
    month_run(month=SEP)  # last month too: the tier migration and the clean-up look back one month
    month_run(month=OCT)
