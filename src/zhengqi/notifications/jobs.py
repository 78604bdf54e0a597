"""Background tasks (django-tasks): a schedule run now by the provincial admin runs in the worker."""

from __future__ import annotations

from django_tasks import task


@task()
def schedule_run_task(job: str, by_id: int | None) -> str:
    from zhengqi.accounts.models import User

    from .models import ScheduleRun
    from .schedules import run, schedule_get

    by = User.objects.filter(pk=by_id).first() if by_id else None
    record = run(schedule_get(job), trigger=ScheduleRun.Trigger.MANUAL, by=by)
    return record.outcome
