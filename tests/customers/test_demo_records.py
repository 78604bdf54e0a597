"""The demo province's customer-record work in progress reaches the district manager's workbench."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.customers import demo as records_demo
from zhengqi.customers.models import ChangeRequest, Registration

pytestmark = pytest.mark.django_db


def test_the_requests_waiting_are_on_the_district_managers_workbench(cast: Cast) -> None:
    records_demo.load()
    assert ChangeRequest.objects.filter(status="pending").count() == 2
    registration = Registration.objects.get(status="pending")
    client = Client()
    client.force_login(cast.district_manager)
    page = client.get("/workbench/").content.decode()
    assert 'data-testid="approvals"' in page and registration.name in page
    assert client.get(f"/customers/registrations/{registration.pk}/evidence/").status_code == 200
    records_demo.wipe()
    assert not ChangeRequest.objects.exists() and not Registration.objects.exists()
