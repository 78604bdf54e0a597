from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# Customer fields whose changes are kept field by field (who, when, old → new).
HISTORY_FIELDS = [
    "name",
    "credit_code",
    "customer_type",
    "industry",
    "scale",
    "region",
    "address",
    "status",
    "competitor_operator",
    "parent",
    "account_manager",
]
KEY_PERSON_HISTORY_FIELDS = ["name", "title", "department", "phone", "birthday", "closeness"]


class CustomersConfig(AppConfig):
    name = "zhengqi.customers"
    verbose_name = _("集团客户")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from .models import Customer, KeyPerson

        # Month runs and imports write in bulk (no signals), so only people's edits are logged here.
        auditlog.register(Customer, include_fields=HISTORY_FIELDS)
        # Personal data is masked in the history itself: the log must not become a copy of it.
        auditlog.register(KeyPerson, include_fields=KEY_PERSON_HISTORY_FIELDS, mask_fields=["phone", "birthday"])
