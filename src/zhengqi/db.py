"""Database chores: statistics after the bulk writers (the demo loader, the month run's write-back),
and carrying a database over the apps' renames before `migrate` reads it."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
# Field types whose Python values psycopg writes as Django would (on PostgreSQL) and those any driver
# does (dates, times and decimals need Django's adaptation on SQLite: UTC text, decimal text).
PLAIN_EVERYWHERE = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "FloatField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}
PLAIN_TYPES = PLAIN_EVERYWHERE | {"AutoField", "BigAutoField", "DateField", "DateTimeField", "DecimalField"}


class JsonText(str):
    """JSON already written (e.g. by the engine): :func:`insert_values` stores it as it is in a JSON
    column, where any other value is encoded first."""


def _stamped(field: models.Field[Any, Any]) -> bool:
    """A date or time the field sets itself on saving (``auto_now``, ``auto_now_add``)."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def insert_rows(model: type[M], objs: Sequence[M], *, batch_size: int = 2000) -> int:
    """Insert new model instances as fast as the database takes them (:func:`insert_values`). The
    rows get no primary key back and send no signal, as with ``bulk_create``: the writer bumps the
    versions itself."""
    fields = _columns(model)
    names = [f.attname for f in fields]
    stamped = [_stamped(f) for f in fields]

    def values(obj: M) -> list[Any]:
        return [
            f.pre_save(obj, True) if stamp else getattr(obj, n)
            for f, n, stamp in zip(fields, names, stamped, strict=True)
        ]

    rows = (values(obj) for obj in objs)
    return insert_values(model, names, rows, batch_size=batch_size)


def insert_values(
    model: type[models.Model],
    names: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    batch_size: int = 2000,
    ready: Collection[str] = (),
) -> int:
    """Insert rows given as values in the order of ``names`` (field names, ``customer_id`` for a
    foreign key), the other columns at their defaults: for the bulk writers (the month run's
    snapshots, tier moves, alerts and tasks), without building a model instance a row.

    PostgreSQL: COPY, a stream the server parses in C, where ``bulk_create`` sends each column as an
    array that psycopg escapes value by value in Python (most of a province's write-back). Other
    databases: one prepared INSERT run over the rows. No signal is sent: the writer bumps the
    versions itself. The values of the columns ``ready`` are already in the database's own form."""
    db = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs a lookup per attribute
    given = [_field(model, n) for n in names]
    rest = [f for f in _columns(model) if f not in given]
    fields = [*given, *rest]
    now = timezone.now()
    # Values the driver takes as they are; the rest (JSON above all) as Django prepares them to save.
    plain = PLAIN_TYPES if db.vendor == "postgresql" else PLAIN_EVERYWHERE
    fill = [now if _stamped(f) else f.get_default() for f in rest]
    fill = [v if f.get_internal_type() in plain else f.get_db_prep_save(v, db) for v, f in zip(fill, rest, strict=True)]
    prepare = [
        (i, f)
        for i, (f, n) in enumerate(zip(given, names, strict=True))
        if n not in ready and f.get_internal_type() not in plain
    ]
    table = db.ops.quote_name(model._meta.db_table)
    columns = ", ".join(db.ops.quote_name(f.column) for f in fields)

    def prepared(row: Sequence[Any]) -> list[Any]:
        values = [*row, *fill]
        for i, f in prepare:
            v = values[i]
            if not isinstance(v, JsonText):
                values[i] = f.get_db_prep_save(v, db)
        return values

    count = 0
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608  # nosec B608  # names quoted by Django
        batch: list[list[Any]] = []
        for row in rows:
            batch.append(prepared(row))
            if len(batch) >= batch_size:
                cursor.executemany(sql, batch)
                count, batch = count + len(batch), []
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def insert_table(model: type[models.Model], table: pa.Table, *, meanwhile: Callable[[], object] | None = None) -> int:
    """Insert the rows of an Arrow table whose columns are named as :func:`insert_values`'s
    ``names``, JSON columns given as JSON text; the other columns at their defaults.

    PostgreSQL: COPY of CSV that Arrow writes in C++ (every valid value quoted, so that an empty
    text stays empty and only a null is NULL): no Python per value, where :func:`insert_values`
    formats each of a province's four million snapshot values in Python (half its write-back).
    Other databases: the rows through :func:`insert_values`.

    ``meanwhile`` (work that does not touch the database) runs while PostgreSQL takes the rows, or
    after the rows are in elsewhere."""
    db = connections[DEFAULT_DB_ALIAS]
    given = [_field(model, n) for n in table.column_names]
    if db.vendor != "postgresql":
        # Decimals as floats and dates as ISO text: what SQLite stores of them (a NUMERIC column keeps
        # 12.30 as the real 12.3, as it does the text Django would send), without Python per value.
        columns, ready = [], []
        for field, name in zip(given, table.column_names, strict=True):
            column = table.column(name)
            kind = field.get_internal_type()
            if kind in ("DecimalField", "DateField"):
                column = pc.cast(column, pa.float64() if kind == "DecimalField" else pa.string())
                ready.append(name)
            values = column.to_pylist()
            if kind == "JSONField":
                values = [None if v is None else JsonText(v) for v in values]
            columns.append(values)
        count = insert_values(model, table.column_names, zip(*columns, strict=True), ready=ready)
        if meanwhile is not None:
            meanwhile()
        return count
    import pyarrow.csv as pa_csv

    rows = table.num_rows
    now = timezone.now()
    for field in _columns(model):
        if field in given:
            continue
        value = now if _stamped(field) else field.get_default()
        if field.get_internal_type() == "JSONField":
            value = json.dumps(value, ensure_ascii=False)
        elif isinstance(value, dt.date):
            value = value.isoformat()
        table = table.append_column(field.column, pa.array([value] * rows))
        given.append(field)
    table = table.rename_columns([f.column for f in given])
    name = db.ops.quote_name(model._meta.db_table)
    quoted = ", ".join(db.ops.quote_name(f.column) for f in given)
    db.ensure_connection()
    raw = db.connection  # psycopg's own: Django's wrapper belongs to this thread
    failed: list[BaseException] = []
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid")

    def copy_rows() -> None:
        try:
            with raw.cursor() as cursor, cursor.copy(f"COPY {name} ({quoted}) FROM STDIN WITH (FORMAT csv)") as copy:
                # A few thousand rows at a time: the server parses one part while Arrow writes the next.
                for part in table.to_batches(max_chunksize=4000):
                    sink = pa.BufferOutputStream()
                    pa_csv.write_csv(part, sink, options)
                    copy.write(sink.getvalue().to_pybytes())
        except BaseException as err:  # raised again in the caller's thread
            failed.append(err)

    if meanwhile is None:
        copy_rows()
    else:
        # The server parses and stores the rows (most of the time: JSON documents) while this
        # process goes on with work that needs no database; the transaction is the caller's.
        worker = threading.Thread(target=copy_rows, name="zhengqi-copy")
        worker.start()
        try:
            meanwhile()
        finally:
            worker.join()
    if failed:
        raise failed[0]
    return rows


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete:
        raise TypeError(f"{model.__name__}.{name} is not a column")
    return field


def _columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """Every column but the id (the database's) and generated ones."""
    return [f for f in model._meta.concrete_fields if not getattr(f, "db_returning", False) and not f.generated]


def refresh_statistics(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load. Without them PostgreSQL plans over tens
    of thousands of fresh rows as if the tables were empty (seen: a 10 ms query taking 11 s) until
    autovacuum comes round. SQLite's ANALYZE feeds its planner the same way.

    On PostgreSQL only the columns plans choose by are sampled (:func:`planned_columns`): a
    province's snapshots took 0.9 s of ANALYZE with every column, most of it their JSON documents
    and the money measures that are only ever added up."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for model in tables:
            table = quote(model._meta.db_table)
            if connection.vendor != "postgresql":
                cursor.execute(f"ANALYZE {table}")
                continue
            cursor.execute(f"ANALYZE {table} ({', '.join(quote(c) for c in planned_columns(model))})")


SHORT_CODE = 30  # characters: a text column this short holds codes, counted like categories


def planned_columns(model: type[models.Model]) -> list[str]:
    """The columns a query plan estimates by: the key, foreign keys, indexed and unique columns, and
    categories (choices, booleans, short codes such as a risk band). Not JSON documents nor
    measures, which are read or summed."""
    indexed = {name for index in model._meta.indexes for name in index.fields}
    for constraint in model._meta.constraints:
        indexed.update(getattr(constraint, "fields", ()))
    chosen = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.JSONField):
            continue
        if (
            field.primary_key
            or field.is_relation
            or getattr(field, "db_index", False)
            or field.unique
            or field.name in indexed
            or field.choices
            or isinstance(field, models.BooleanField)
            or (isinstance(field, models.CharField) and (field.max_length or 0) <= SHORT_CODE)
        ):
            chosen.append(field.column)
    return chosen


# Apps renamed in the web layer's restructuring (November 2026), in the order they must be applied:
# "insight" became "scoring" before "analysis" could become "insight". Each moves its tables, its
# migration history and its content types (so permissions and audit history follow). Models that
# left an app for another are listed by table.
RENAMED_APPS: list[tuple[str, str]] = [
    ("insight", "scoring"),
    ("analysis", "insight"),
    ("channels", "partners"),
    ("service", "support"),
]
MOVED_MODELS: dict[str, tuple[str, list[str]]] = {
    # model (lower case) -> (new app, its tables as they were named under the old app)
    "responseplan": ("competition", ["service_responseplan", "service_responseplan_products"]),
    "competitorevent": ("competition", ["service_competitorevent", "service_competitorevent_customers"]),
}
# The last migration of each renamed app before the rename: an older database must first be brought
# there by the release before the rename.
OLD_LEAVES = {
    "insight": "0005_backfill_snapshot_measures",
    "analysis": "0002_manager_targets",
    "channels": "0002_remove_attribution_attribution_one_deal_and_more",
    "service": "0002_default_service_levels",
}
NEW_MIGRATIONS_OF_MOVED = [("competition", "0001_initial")]


class CarryOverError(Exception):
    """A database that cannot be carried over to the renamed apps as it stands."""


def carry_over_renamed_apps() -> list[str]:
    """Rename the tables, migration records and content types of a database created before the apps
    were renamed, so that ``migrate`` finds it up to date instead of creating empty tables beside the
    data. Does nothing on a new database or one already carried over; all or nothing. Returns what
    it did, one line per app."""
    from django.db import connection, transaction

    tables = set(connection.introspection.table_names())
    if "django_migrations" not in tables:
        return []
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations")
        applied = {(app, name) for app, name in cursor.fetchall()}
    old_apps = {app for app, _ in applied} & set(OLD_LEAVES)
    # "insight" is also a new name: it is old only while "analysis" is still recorded.
    if "analysis" not in old_apps:
        old_apps.discard("insight")
    if not old_apps:
        return []
    missing = [f"{app}.{OLD_LEAVES[app]}" for app in sorted(old_apps) if (app, OLD_LEAVES[app]) not in applied]
    if missing or old_apps != set(OLD_LEAVES):
        raise CarryOverError(
            "数据库来自较早的版本，请先用 2026 年 11 月的版本迁移到最新（缺少："
            + "、".join(missing or sorted(set(OLD_LEAVES) - old_apps))
            + "），再升级。The database predates the app renames: migrate it with the November 2026 release first."
        )
    done: list[str] = []
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        moved_tables = {t: app for app, ts in MOVED_MODELS.values() for t in ts}
        for old, new in RENAMED_APPS:
            for table in sorted(t for t in connection.introspection.table_names() if t.startswith(old + "_")):
                target = moved_tables.get(table, new) + table[len(old) :]
                cursor.execute(f"ALTER TABLE {q(table)} RENAME TO {q(target)}")
            cursor.execute("UPDATE django_migrations SET app = %s WHERE app = %s", [new, old])
            cursor.execute("UPDATE django_content_type SET app_label = %s WHERE app_label = %s", [new, old])
            done.append(f"{old} → {new}")
        for model, (app, _tables) in MOVED_MODELS.items():
            source = next(new for old, new in RENAMED_APPS if old == "service")
            cursor.execute(
                "UPDATE django_content_type SET app_label = %s WHERE app_label = %s AND model = %s",
                [app, source, model],
            )
        for app, name in NEW_MIGRATIONS_OF_MOVED:
            cursor.execute(
                "INSERT INTO django_migrations (app, name, applied) VALUES (%s, %s, CURRENT_TIMESTAMP)", [app, name]
            )
        done.append("service → competition: " + "、".join(sorted(MOVED_MODELS)))
    return done
