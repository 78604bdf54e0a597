from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "zhengqi.support"
    label = "support"
    verbose_name = _("服务支撑")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import Department, RoutingRule, ServiceLevel

        # Who changed where requests go and how long they may take: supervision depends on them.
        auditlog.register(Department, m2m_fields={"members"})
        auditlog.register(RoutingRule)
        auditlog.register(ServiceLevel)
