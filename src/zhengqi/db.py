"""Database chores: statistics after the bulk writers (the demo loader, the month run's write-back),
and carrying a database over the apps' renames before `migrate` reads it."""

from __future__ import annotations

from django.db import connection, models


def refresh_statistics(*tables: type[models.Model]) -> None:
    """Refresh the planner's statistics after a bulk load. Without them PostgreSQL plans over tens
    of thousands of fresh rows as if the tables were empty (seen: a 10 ms query taking 11 s) until
    autovacuum comes round. SQLite's ANALYZE feeds its planner the same way."""
    with connection.cursor() as cursor:
        for model in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


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
