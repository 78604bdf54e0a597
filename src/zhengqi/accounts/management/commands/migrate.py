"""Django's ``migrate``, which first carries a database created before the apps' renames over to
the new names (tables, migration records, content types), so an upgrade keeps every row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from zhengqi.db import CarryOverError, carry_over_renamed_apps


class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        try:
            with connection.cursor():  # connects; the carry-over uses the default connection
                done = carry_over_renamed_apps() if options["database"] == "default" else []
        except CarryOverError as err:
            raise CommandError(str(err)) from err
        for line in done:
            self.stdout.write(f"已迁移改名的应用 carried over: {line}")
        super().handle(*args, **options)
