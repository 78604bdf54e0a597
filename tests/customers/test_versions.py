"""The versions' receivers (issue 25): a row of a customer saved or deleted singly bumps its customer's
version; the bulk-written tables keep Django's fast delete (one DELETE statement, no row fetched),
which a delete receiver on them would take away."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.db import connection
from django.db.models.deletion import Collector
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Cast
from zhengqi.customers.models import Contract, Customer, KeyPerson
from zhengqi.customers.versions import BULK_WRITTEN, customer_version
from zhengqi.scoring.models import CustomerSnapshot

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("label", sorted(BULK_WRITTEN))
def test_the_bulk_written_tables_are_deleted_in_one_statement(label: str) -> None:
    model = apps.get_model(label)
    assert Collector(using="default", origin=None).can_fast_delete(model.objects.all()), label


def test_a_month_of_snapshots_is_deleted_without_reading_it(cast: Cast) -> None:
    from zhengqi.scoring.month_run import month_run

    month_run(month=dt.date(2026, 10, 1))
    assert CustomerSnapshot.objects.filter(month=dt.date(2026, 10, 1)).exists()
    with CaptureQueriesContext(connection) as queries:
        CustomerSnapshot.objects.filter(month=dt.date(2026, 10, 1)).delete()
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["DELETE"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["key person", "contract"]), delete=st.booleans())
def test_a_row_saved_or_deleted_singly_bumps_its_customer(cast: Cast, kind: str, delete: bool) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    today = dt.date(2026, 11, 1)
    row: KeyPerson | Contract
    if kind == "key person":
        row = KeyPerson.objects.create(customer=customer, name="版本测试")
    else:
        row = Contract.objects.create(customer=customer, number="V-1", start=today, end=today, amount=1)
    before = customer_version(customer.pk)
    if delete:
        row.delete()
    else:
        row.save()
    assert customer_version(customer.pk) != before
    if not delete:
        row.delete()
