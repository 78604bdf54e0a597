from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

KEY_PERSON_HISTORY_FIELDS = [
    "name",
    "title",
    "department",
    "phone",
    "office_phone",
    "birthday",
    "closeness",
    "preferred_channel",
    "left_on",
    "left_reason",
]
CONTRACT_HISTORY_FIELDS = [
    "number",
    "start",
    "end",
    "amount",
    "auto_renew",
    "status",
    "terminated_on",
    "termination_reason",
]


class CustomersConfig(AppConfig):
    name = "zhengqi.customers"
    verbose_name = _("集团客户")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from . import versions
        from .models import Contract, Customer, KeyPerson, Registration
        from .services import CUSTOMER_EDITABLE

        versions.connect()

        # Month runs and imports write in bulk (no signals), so only people's edits are logged here:
        # every field a person may edit, and the account manager.
        auditlog.register(
            Customer, include_fields=[*sorted(CUSTOMER_EDITABLE), "account_manager", "lost_on", "lost_reason"]
        )
        # Personal data is masked in the history itself: the log must not become a copy of it.
        auditlog.register(
            KeyPerson, include_fields=KEY_PERSON_HISTORY_FIELDS, mask_fields=["phone", "office_phone", "birthday"]
        )
        auditlog.register(Contract, include_fields=CONTRACT_HISTORY_FIELDS)
        auditlog.register(Registration, include_fields=["status", "proof"])
