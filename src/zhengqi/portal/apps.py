from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The top layer: pages that show several domains at once, and the wiring between domains."""

    name = "zhengqi.portal"
    verbose_name = _("门户")

    def ready(self) -> None:
        from zhengqi.customers.signals import contract_renewed
        from zhengqi.marketing.tasks.services import close_expiry_work, tasks_for_new_alerts
        from zhengqi.scoring.signals import alerts_opened

        # The month run's new alerts become the account managers' tasks. Scoring sits below
        # marketing and cannot call it; it announces, and this is where the two are joined.
        alerts_opened.connect(tasks_for_new_alerts, dispatch_uid="portal.tasks_for_new_alerts")
        from .jobs import register_jobs

        register_jobs()  # what the built-in scheduler runs
        # A renewed agreement closes the alert on its expiry and the task it made.
        contract_renewed.connect(close_expiry_work, dispatch_uid="portal.close_expiry_work")
