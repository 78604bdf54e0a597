"""Database chores shared by the bulk writers (the demo loader, the month run's write-back)."""

from __future__ import annotations

from django.db import connection, models


def refresh_statistics(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load. Without them PostgreSQL plans over tens
    of thousands of fresh rows as if the tables were empty (seen: a 10 ms query taking 11 s) until
    autovacuum comes round. SQLite's ANALYZE feeds its planner the same way."""
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
