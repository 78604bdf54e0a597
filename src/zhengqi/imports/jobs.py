"""Imports started from the page run in the background (django-tasks; ``zhengqi db_worker``)."""

from __future__ import annotations

from pathlib import Path

from django_tasks import task

from .models import ImportBatch


@task()
def import_task(batch_id: int, path: str) -> str:
    from .services import import_file

    batch = ImportBatch.objects.select_related("by").get(pk=batch_id)

    def progress(rows: int) -> None:
        ImportBatch.objects.filter(pk=batch_id).update(rows_total=rows)

    try:
        done = import_file(batch.kind, Path(path), by=batch.by, dry_run=batch.dry_run, batch=batch, progress=progress)
    finally:  # the upload is kept only while its import runs, whatever becomes of it
        Path(path).unlink(missing_ok=True)
    return done.status
