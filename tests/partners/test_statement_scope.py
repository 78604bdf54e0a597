"""A province-wide partner's statement holds deals of customers in every region: regional staff who
may open it see only the lines of customers in their own scope — on the page, in the API and in both
files — and are told how many lines are left out; the province and the partner see them all."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import Cast
from tests.partners.factories import claim, login_for, make_partner, make_rule, subscription
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import User
from zhengqi.customers.models import Customer
from zhengqi.partners.models import Attribution, CommissionRule, Partner, Statement
from zhengqi.partners.settlement import settle

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_demo_channel")]
SEP = dt.date(2025, 9, 1)


def _settled(cast: Cast, chosen: list[Customer]) -> Statement:
    partner = make_partner(cast.admin, "PROV")  # the province's region: every manager may open it
    make_rule(cast.admin, "SALE", value="8%")
    for k, customer in enumerate(chosen):
        claim(cast.admin, partner, subscription(customer, f"{100 + k}.00", dt.date(2025, 9, 3)))
    settle(SEP, partners=[partner])
    return Statement.objects.get(partner=partner, month=SEP)


def _names_on_sheet(body: bytes) -> str:
    ws = load_workbook(io.BytesIO(body)).active
    assert ws is not None
    return " ".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)


def _check(cast: Cast, user: User, statement: Statement, chosen: list[Customer]) -> None:
    visible = set(Customer.objects.filter(customer_scope(user)).values_list("pk", flat=True))
    sees_all = user.role in (User.Role.PROVINCIAL_ADMIN, User.Role.PARTNER)
    inside = [c for c in chosen if sees_all or c.pk in visible]
    outside = [c for c in chosen if c not in inside]
    client = Client()
    client.force_login(user)

    answer = client.get(f"/api/statements/{statement.pk}").json()
    assert sorted(line["customer_id"] for line in answer["lines"]) == sorted(c.pk for c in inside)
    assert answer["lines_outside_scope"] == len(outside)
    assert answer["total"] == str(statement.total) or float(answer["total"]) == float(statement.total)

    page = client.get(f"/partners/statements/{statement.pk}/").content.decode()
    sheet = _names_on_sheet(client.get(f"/partners/statements/{statement.pk}/file.xlsx").content)
    for c in inside:
        assert c.name in page and c.name in sheet
    for c in outside:
        assert c.name not in page and c.name not in sheet
    assert (f"另有 {len(outside)} 行" in page) == bool(outside)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_each_reader_sees_the_lines_of_their_own_customers(cast: Cast, data: st.DataObject) -> None:
    everyone = list(Customer.objects.filter(status="active").order_by("pk")[:60])
    chosen = data.draw(st.lists(st.sampled_from(everyone), min_size=1, max_size=8, unique=True))
    Statement.objects.all().delete()
    Attribution.objects.all().delete()
    CommissionRule.objects.all().delete()
    Partner.objects.filter(code="PROV").delete()
    statement = _settled(cast, chosen)
    partner_login = login_for(statement.partner, f"prov-login-{statement.pk}")
    for user in (cast.district_manager, cast.city_manager, cast.admin, partner_login):
        _check(cast, user, statement, chosen)


def test_a_deal_whose_customer_name_reads_as_a_formula_is_text_in_the_statement(cast: Cast) -> None:
    customer = Customer.objects.filter(status="active").order_by("pk").first()
    assert customer is not None
    Customer.objects.filter(pk=customer.pk).update(name='=HYPERLINK("http://x.test")')
    customer.refresh_from_db()
    statement = _settled(cast, [customer])
    client = Client()
    client.force_login(cast.admin)
    sheet = load_workbook(io.BytesIO(client.get(f"/partners/statements/{statement.pk}/file.xlsx").content)).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert any("HYPERLINK" in t for t in texts)
    assert all(t[:1] not in "=+-@" for t in texts)
