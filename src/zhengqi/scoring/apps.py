from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed_builtin_rules(sender: AppConfig, **kwargs: Any) -> None:
    """The built-in rules and the default value model exist after every migration (a new database,
    an upgrade bringing new rules), so that no page has to create them when it is read."""
    from django.db import router

    from .configuration import ensure_builtin_rules, ensure_default_value_model
    from .models import Rule

    if router.allow_migrate_model(kwargs.get("using", "default"), Rule):
        ensure_builtin_rules()
        ensure_default_value_model()


class ScoringConfig(AppConfig):
    name = "zhengqi.scoring"
    verbose_name = _("月度运行与评分")

    def ready(self) -> None:
        post_migrate.connect(_seed_builtin_rules, sender=self, dispatch_uid="scoring.seed_builtin_rules")
