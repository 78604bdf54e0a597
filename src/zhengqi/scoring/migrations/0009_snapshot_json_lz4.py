"""The snapshots' JSON documents compressed with LZ4 on PostgreSQL (14 and later, built with LZ4, as
Debian's and the official images are): each month run writes 40,000 documents of about 2 KB, which
PostgreSQL compresses as it stores them; its default (pglz) took a quarter of the snapshots' COPY
(issue 25, measured: 2.2 s → 1.6 s). Only documents written from now on are compressed so; other
databases and servers without LZ4 keep what they have."""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, migrations, transaction

COLUMNS = ("features", "breakdown")


def lz4(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    table = connection.ops.quote_name(apps.get_model("scoring", "CustomerSnapshot")._meta.db_table)
    try:
        with transaction.atomic(using=connection.alias):  # a savepoint: a server without LZ4 refuses
            for column in COLUMNS:
                schema_editor.execute(
                    f"ALTER TABLE {table} ALTER COLUMN {connection.ops.quote_name(column)} SET COMPRESSION lz4"
                )
    except DatabaseError:
        pass


class Migration(migrations.Migration):
    dependencies = [("scoring", "0008_segments")]

    operations = [migrations.RunPython(lz4, migrations.RunPython.noop)]
