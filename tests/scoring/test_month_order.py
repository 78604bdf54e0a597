"""Month runs in any order, with months skipped, end with the same alerts, tiers and tasks as the
same months run in order; a run whose process died is marked as stopped."""

from __future__ import annotations

import datetime as dt
import shutil
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from zhengqi.engine.lake import Lake
from zhengqi.engine.pipeline import results_dir
from zhengqi.marketing.models import Task
from zhengqi.scoring.models import Alert, CustomerSnapshot, MonthRun, TierChange
from zhengqi.scoring.month_run import mark_abandoned_runs, month_run

pytestmark = pytest.mark.django_db

MONTHS = [dt.date(2026, m, 1) for m in (7, 8, 9, 10)]


def _clear() -> None:
    """Nothing of any month run: the database's records and the lake's results."""
    Task.objects.filter(source=Task.Source.ALERT).delete()
    Alert.objects.all().delete()
    TierChange.objects.all().delete()
    CustomerSnapshot.objects.all().delete()
    MonthRun.objects.all().delete()
    lake = Lake(settings.ZHENGQI_LAKE)
    for month in [dt.date(2026, 6, 1), *MONTHS]:
        shutil.rmtree(results_dir(lake, month), ignore_errors=True)


def _state() -> dict[str, Any]:
    return {
        "alerts": sorted(
            Alert.objects.values_list(
                "customer_id", "rule_code", "first_month", "last_month", "status", "resolved_month"
            )
        ),
        "tiers": sorted(CustomerSnapshot.objects.values_list("customer_id", "month", "tier", "tier_prev")),
        "changes": sorted(TierChange.objects.values_list("customer_id", "month", "from_tier", "to_tier")),
        "tasks": sorted(
            Task.objects.filter(source=Task.Source.ALERT)
            .exclude(status=Task.Status.CANCELLED)
            .values_list(
                "customer_id",
                "rule_code",
                "alert_month",
                "assignee_id",
                "priority",
                "issued_month",
                "status",
                "outcome",
            )
        ),
        "withdrawn_closed": not Task.objects.filter(
            source=Task.Source.ALERT, status=Task.Status.CANCELLED, closed_at__isnull=True
        ).exists(),
        "open_unclosed": not Task.objects.filter(status=Task.Status.OPEN, closed_at__isnull=False).exists(),
    }


@hypothesis_settings(max_examples=4, deadline=None)
@given(order=st.permutations(MONTHS).flatmap(lambda p: st.integers(min_value=2, max_value=4).map(lambda n: p[:n])))
def test_any_order_of_month_runs_ends_as_in_order(order: list[dt.date]) -> None:
    _clear()
    for month in sorted(order):
        month_run(month=month)
    in_order = _state()
    _clear()
    for month in order:
        month_run(month=month)
    assert _state() == in_order
    open_pairs = list(Alert.objects.filter(status="open").values_list("customer_id", "rule_code"))
    assert len(open_pairs) == len(set(open_pairs))  # never two open alerts of one rule on one customer


def test_a_skipped_month_does_not_leave_an_alert_open_beside_its_successor() -> None:
    _clear()
    month_run(month=MONTHS[3])  # 2026-10
    month_run(month=MONTHS[1])  # 2026-08, 2026-09 never run
    open_pairs = list(Alert.objects.filter(status="open").values_list("customer_id", "rule_code"))
    assert open_pairs and len(open_pairs) == len(set(open_pairs))


def test_a_run_whose_process_died_is_marked_stopped() -> None:
    dead = MonthRun.objects.create(
        month=MONTHS[0], backend="duckdb", status=MonthRun.Status.RUNNING, worker="elsewhere:1", current_step="export"
    )
    MonthRun.objects.filter(pk=dead.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=7))
    import socket

    gone = MonthRun.objects.create(
        month=MONTHS[1], backend="duckdb", status=MonthRun.Status.RUNNING, worker=f"{socket.gethostname()}:999999999"
    )
    alive = MonthRun.objects.create(month=MONTHS[2], backend="duckdb", status=MonthRun.Status.RUNNING)
    from zhengqi.scoring.month_run import this_worker

    MonthRun.objects.filter(pk=alive.pk).update(worker=this_worker(), heartbeat_at=timezone.now())
    assert mark_abandoned_runs() == 2
    dead.refresh_from_db()
    gone.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == gone.status == MonthRun.Status.FAILED and "已中止" in dead.error
    assert alive.status == MonthRun.Status.RUNNING
