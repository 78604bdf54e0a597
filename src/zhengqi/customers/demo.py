"""The demo province's customer-record work in progress: a data change and a parent-unit change an
account manager has proposed, and a group customer registered — all waiting for the district
manager, who finds them on the workbench."""

from __future__ import annotations

from django.core.files.base import ContentFile
from django.db import transaction

from zhengqi.accounts.models import User

from .change_requests import change_request_propose, parent_link_propose
from .models import ChangeRequest, Customer, Registration
from .validators import credit_code_check_char

# A one-page PDF standing in for a scanned business licence.
LICENCE = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@transaction.atomic
def load() -> None:
    am = User.objects.filter(username="am", role=User.Role.ACCOUNT_MANAGER).first()
    if am is None or am.region is None:
        return
    own = list(Customer.objects.filter(account_manager=am, status=Customer.Status.ACTIVE).order_by("code")[:2])
    if len(own) < 2:
        return
    first, second = own
    change_request_propose(
        customer=first,
        by=am,
        changes={"address": f"{first.address}（新址：高新区创新大道 88 号）"[:255]},
        reason="客户已搬迁，拜访时核实了新址",
    )
    if second.parent_id is None and first.parent_id != second.pk:
        parent_link_propose(customer=second, by=am, parent_code=first.code, reason="拜访得知该单位为其分支机构")
    body = "91440300MA5DEM100"
    registration = Registration(
        name="星城新港物流集团有限公司",
        credit_code=body + credit_code_check_char(body),
        customer_type=Customer.Type.ENTERPRISE,
        industry="G",
        scale=Customer.Scale.MEDIUM,
        region=am.region,
        address="星城港区物流园 1 号",
        members_expected=60,
        proposed_by=am,
        evidence_name="营业执照.pdf",
    )
    registration.full_clean(exclude=["evidence"])
    registration.evidence.save("licence.pdf", ContentFile(LICENCE), save=False)
    registration.save()


def wipe() -> None:
    ChangeRequest.objects.all().delete()
    Registration.objects.all().delete()
