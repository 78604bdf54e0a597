"""Statistics after the bulk writers (``zhengqi.db.refresh_statistics``): every table of the project
can be analysed on both databases, with the columns plans estimate by and never a JSON document."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

from zhengqi.db import planned_columns, refresh_statistics

PROJECT_MODELS = [m for m in apps.get_models() if m.__module__.startswith("zhengqi.") and m._meta.managed]


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)
def test_planned_columns_hold_keys_and_categories_not_documents(model: type[models.Model]) -> None:
    columns = planned_columns(model)
    fields = {f.column: f for f in model._meta.concrete_fields}
    assert model._meta.pk is not None and model._meta.pk.column in columns
    for field in fields.values():
        if isinstance(field, models.JSONField):
            assert field.column not in columns
        elif field.is_relation or field.choices or field.unique or field.db_index:
            assert field.column in columns, field.name
    assert len(columns) == len(set(columns))


@pytest.mark.django_db
def test_every_table_can_be_analysed() -> None:
    refresh_statistics(*PROJECT_MODELS)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL")
            (analysed,) = cursor.fetchone()
        assert analysed >= len({m._meta.db_table for m in PROJECT_MODELS})
