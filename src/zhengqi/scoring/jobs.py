"""Background tasks (django-tasks, database backend; run them with ``zhengqi db_worker``)."""

from __future__ import annotations

from django_tasks import task

from .models import MonthRun


@task()
def month_run_task(record_id: int) -> str:
    """Run a queued month run. Failures are recorded on the run record by the service."""
    from .month_run import month_run

    record = MonthRun.objects.select_related("started_by").get(pk=record_id)
    done = month_run(month=record.month, by=record.started_by, backend=record.backend, record=record)  # type: ignore[arg-type]  # the record's backend field holds a Backend literal
    return done.status
