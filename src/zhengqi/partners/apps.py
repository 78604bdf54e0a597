from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "zhengqi.partners"
    label = "partners"
    verbose_name = _("代理商渠道")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import Attribution, CommissionRule, Partner

        # Who changed a partner, a claim or a rule, and when: the money is argued about.
        auditlog.register(Partner, m2m_fields={"products"})
        auditlog.register(Attribution, include_fields=["status", "partner", "decision_note"])
        auditlog.register(CommissionRule)
