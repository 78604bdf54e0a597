"""Exports and reveals of personal data are logged (who, what, how many rows), and the provincial
admin reads them on the audit page, filtered; nobody else may."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.conftest import Cast
from zhengqi.accounts.models import ExportRecord
from zhengqi.customers.models import Customer
from zhengqi.scoring.month_run import month_run

pytestmark = pytest.mark.django_db


def client_for(user: object) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_a_report_export_is_logged_with_who_what_and_rows(cast: Cast) -> None:
    month_run(month=dt.date(2026, 10, 1))
    response = client_for(cast.city_manager).get("/insight/report/?month=2026-10&format=xlsx")
    assert response.status_code == 200
    record = ExportRecord.objects.get()
    assert record.user == cast.city_manager and record.fmt == "xlsx"
    assert "经营分析报告" in record.what and "2026-10" in record.what
    assert record.rows > 0 and record.path.startswith("/insight/report/")
    client_for(cast.city_manager).get("/api/insight/report/file?month=2026-10&format=xlsx")
    assert ExportRecord.objects.count() == 2


def test_reveals_and_exports_show_on_the_audit_page_for_the_admin_only(cast: Cast) -> None:
    month_run(month=dt.date(2026, 10, 1))
    customer = Customer.objects.filter(account_manager=cast.am, key_persons__isnull=False).first()
    assert customer is not None
    assert client_for(cast.am).post(f"/api/customers/{customer.pk}/key-persons/reveal").status_code == 200
    client_for(cast.city_manager).get("/insight/report/?month=2026-10&format=xlsx")

    admin = client_for(cast.admin)
    am, city = f"<td>{cast.am.username}</td>", f"<td>{cast.city_manager.username}</td>"
    page = admin.get("/audit/").content.decode()
    assert am in page and city in page
    only_reveals = admin.get("/audit/?kind=reveal").content.decode().split("</nav>", 1)[1]  # the menu aside
    assert am in only_reveals and city not in only_reveals and "经营分析报告" not in only_reveals
    mine = admin.get(f"/audit/?user={cast.city_manager.username}").content.decode().split("</nav>", 1)[1]
    assert "经营分析报告" in mine and city in mine and am not in mine
    api = admin.get("/api/audit?kind=export").json()
    assert api["count"] == 1 and api["items"][0]["username"] == cast.city_manager.username
    assert admin.get("/audit/?since=not-a-date").status_code == 400
    for user in (cast.city_manager, cast.am, cast.planner, cast.partner):
        assert client_for(user).get("/audit/").status_code == 404
        assert client_for(user).get("/api/audit").status_code == 404
