from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    name = "zhengqi.marketing"
    verbose_name = _("营销与任务")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from zhengqi.marketing.models import Opportunity, Task

        # Who moved an opportunity to which stage, and when (F-10): django-auditlog's field history.
        auditlog.register(
            Opportunity, include_fields=["name", "stage", "expected_revenue", "close_date", "lost_reason", "owner"]
        )
        # Who reassigned, rescheduled, cancelled or closed a task, and why (bulk work, issue 23).
        auditlog.register(Task, include_fields=["assignee", "due", "status", "outcome"])
