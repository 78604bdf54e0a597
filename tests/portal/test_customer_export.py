"""Exports of the customer list (issue 23): the file holds exactly the list's customers with the
filters written at its top, no cell a spreadsheet would run as a formula whatever the names say,
each export in the audit log, and a list over the row cap refused with a sentence."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.conftest import Cast
from zhengqi.accounts.access import customer_scope
from zhengqi.accounts.models import ExportRecord
from zhengqi.customers.models import Customer

pytestmark = pytest.mark.django_db

hostile = st.text(
    alphabet=st.sampled_from(list("=+-@＝＋\t\r\n\x01\x07 客户公司AB1,;\"'")), min_size=1, max_size=20
).filter(lambda s: s.strip())


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@hypothesis_settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=hostile, fmt=st.sampled_from(["xlsx", "csv"]))
def test_the_file_is_the_list_with_its_filters_and_no_formula(cast: Cast, name: str, fmt: str) -> None:
    customer = Customer.objects.filter(account_manager=cast.am).order_by("pk").first()
    Customer.objects.filter(pk=customer.pk).update(name=name)
    client = Client()
    client.force_login(cast.am)
    before = ExportRecord.objects.count()
    response = client.get(f"/customers/export.{fmt}", {"status": "active"})
    assert response.status_code == 200
    want = set(Customer.objects.filter(customer_scope(cast.am), status="active").values_list("code", flat=True))
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(body(response))).active
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    else:
        text = body(response).decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "集团客户列表" and "状态：在网" in rows[2][0]  # the filters in words
    header = rows.index([*rows[4][:1], *rows[4][1:]])
    data = rows[header + 1 :]
    assert {r[0] for r in data} == want
    for row in data:
        for cell in row:
            if isinstance(cell, str) and cell:
                assert (
                    cell[0] not in "=+-@＝＋\t\r"
                    or cell.startswith("'")
                    or cell.lstrip("+-").replace(".", "").isdigit()
                )
    record = ExportRecord.objects.order_by("-pk").first()
    assert ExportRecord.objects.count() == before + 1 and record.rows == len(want) and record.fmt == fmt
    assert "状态：在网" in record.what


def test_over_the_row_cap_the_export_is_refused_and_nothing_is_logged(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.admin)
    before = ExportRecord.objects.count()
    with override_settings(ZHENGQI_EXPORT_MAX_ROWS=3):
        page = client.get("/customers/export.xlsx", follow=True).content.decode()
        api = client.get("/api/exports/customers", {"fmt": "csv"})
    assert "超过导出上限 3 行" in page
    assert api.status_code == 422 and "超过导出上限" in api.json()["detail"]
    assert ExportRecord.objects.count() == before
    bad = client.get("/api/exports/customers", {"fmt": "pdf"})
    assert bad.status_code == 422 and "xlsx 或 csv" in bad.json()["detail"]


def test_the_api_export_is_the_pages_file(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.district_manager)
    api = client.get("/api/exports/customers", {"fmt": "csv", "tier": "B"})
    page = client.get("/customers/export.csv", {"tier": "B"})
    strip = lambda b: [line for line in b.decode("utf-8-sig").splitlines() if not line.startswith("导出时间")]  # noqa: E731
    assert api.status_code == 200 and strip(body(api)) == strip(body(page))
