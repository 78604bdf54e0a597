from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CompetitionConfig(AppConfig):
    name = "zhengqi.competition"
    label = "competition"
    verbose_name = _("竞争情报")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import ResponsePlan

        # Who changed a prepared answer: a launched campaign copies it.
        auditlog.register(ResponsePlan, m2m_fields={"products"})
