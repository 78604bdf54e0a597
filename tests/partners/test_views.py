"""The partner channel through its pages and API: a partner's login sees only its own deals and
statements (404 for any other's, in pages and API), the admin and managers work the month."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.test import Client

from tests.conftest import Cast
from tests.partners.factories import login_for, make_partner
from zhengqi.accounts.models import ExportRecord, User
from zhengqi.customers.models import Customer, Subscription
from zhengqi.partners.models import Attribution, CommissionRule, Partner, Statement
from zhengqi.support.models import Department, ServiceRequest

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def demo_partner(cast: Cast) -> Partner:
    return Partner.objects.get(accounts__user=cast.partner)


def test_a_partner_gets_404_for_any_other_partners_deal_or_statement(cast: Cast) -> None:
    mine = demo_partner(cast)
    c = client_for(cast.partner)
    other_statements = Statement.objects.exclude(partner=mine)
    other_deals = Attribution.objects.exclude(partner=mine)
    assert other_statements.exists() and other_deals.exists()
    for s in other_statements:
        for url in (
            f"/partners/statements/{s.pk}/",
            f"/partners/statements/{s.pk}/file.xlsx",
            f"/partners/statements/{s.pk}/file.pdf",
            f"/api/statements/{s.pk}",
            f"/api/statements/{s.pk}/file?fmt=pdf",
        ):
            assert c.get(url).status_code == 404, url
    for a in other_deals[:20]:
        assert c.get(f"/api/attributions/{a.pk}").status_code == 404
    for p in Partner.objects.exclude(pk=mine.pk):
        assert c.get(f"/api/partners/{p.pk}").status_code == 404
        assert c.get(f"/partners/{p.pk}/").status_code == 404  # staff pages: none for a partner
    # lists hold its own rows only
    listed = c.get("/api/statements?page_size=1000").json()["items"]
    assert listed and {s["partner_id"] for s in listed} == {mine.pk}
    deals = c.get("/api/attributions?page_size=1000").json()["items"]
    assert deals and {d["partner_id"] for d in deals} == {mine.pk}
    assert [p["id"] for p in c.get("/api/partners").json()["items"]] == [mine.pk]
    # and the other way round: another partner's login cannot read this partner's statements
    stranger = client_for(login_for(other_statements[0].partner, "partner-two"))
    for s in Statement.objects.filter(partner=mine):
        assert stranger.get(f"/api/statements/{s.pk}").status_code == 404
        assert stranger.get(f"/partners/statements/{s.pk}/file.pdf").status_code == 404
    # a partner's login sees customers' names, never the customers themselves or their people
    customer = Customer.objects.get(pk=deals[0]["customer_id"])
    assert customer.name in deals[0]["customer_name"]
    assert c.get(f"/customers/{customer.pk}/").status_code == 404
    assert c.get(f"/api/customers/{customer.pk}/key-persons").status_code == 404


def test_the_partner_home_shows_its_deals_statements_and_performance(cast: Cast) -> None:
    mine = demo_partner(cast)
    c = client_for(cast.partner)
    assert c.get("/").url == "/partners/mine/"
    page = c.get("/partners/mine/").content.decode()
    assert mine.name in page and 'data-chart="chart-mine"' in page
    other = Partner.objects.exclude(pk=mine.pk).first()
    assert other is not None and other.name not in page
    statement = Statement.objects.filter(partner=mine, status="approved").order_by("month").first()
    assert statement is not None
    detail = c.get(f"/partners/statements/{statement.pk}/").content.decode()
    assert f"{statement.total:,.2f}" in detail and "approve-form" not in detail
    assert c.post(f"/partners/statements/{statement.pk}/approve/", {"total": "0"}).status_code == 404


def test_downloads_are_real_files_and_logged(cast: Cast) -> None:
    from openpyxl import load_workbook

    mine = demo_partner(cast)
    statement = Statement.objects.filter(partner=mine).first()
    assert statement is not None
    c = client_for(cast.partner)
    xlsx = c.get(f"/partners/statements/{statement.pk}/file.xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    cells = [c.value for row in sheet.iter_rows() for c in row if c.value is not None]
    assert mine.name in str(sheet["A1"].value) and float(statement.total) in cells
    pdf = c.get(f"/api/statements/{statement.pk}/file?fmt=pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert ExportRecord.objects.filter(username="partner", fmt__in=["xlsx", "pdf"]).count() == 2
    assert c.get(f"/partners/statements/{statement.pk}/file.csv").status_code == 404


def test_the_admin_settles_a_month_through_the_api_and_a_wrong_total_is_refused(cast: Cast) -> None:
    admin = client_for(cast.admin)
    p = make_partner(cast.admin, "API01")
    customer = Customer.objects.order_by("pk").first()
    assert customer is not None
    sub = Subscription.objects.create(
        customer=customer, product_id=p.products.first().pk, start=dt.date(2025, 3, 2), monthly_fee="456.78"
    )
    rule = {"code": "API-R", "name": "接口规则", "effective_from": "2025-03", "role": "sales", "method": "rate"}
    made = admin.post("/api/commission-rules", {**rule, "value": "12.5%"}, content_type="application/json")
    assert made.status_code == 201 and made.json()["value"] == "0.1250"
    bad = admin.post("/api/commission-rules", {**rule, "value": "abc"}, content_type="application/json")
    assert bad.status_code == 422 and "不是有效的比例或金额" in bad.json()["detail"]
    claim = {"partner_id": p.pk, "role": "sales", "subscription_id": sub.pk}
    assert admin.post("/api/attributions", claim, content_type="application/json").status_code == 201
    settled = admin.post("/api/settlements", {"month": "2025-03"}, content_type="application/json")
    assert settled.status_code == 200
    statement = Statement.objects.get(partner=p, month=dt.date(2025, 3, 1))
    detail = admin.get(f"/api/statements/{statement.pk}").json()
    api_r = [line for line in detail["lines"] if line["rule_code"] == "API-R"]
    assert [line["amount"] for line in api_r] == ["57.10"]  # 456.78 × 12.5 % = 57.0975 → 57.10
    wrong = admin.post(f"/api/statements/{statement.pk}/approve", {"total": "1.00"}, content_type="application/json")
    assert wrong.status_code == 422 and "请核对后再审批" in wrong.json()["detail"]
    ok = admin.post(
        f"/api/statements/{statement.pk}/approve", {"total": detail["total"]}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    future = admin.post("/api/settlements", {"month": "2099-01"}, content_type="application/json")
    assert future.status_code == 422 and "尚未结束" in future.json()["detail"]
    assert CommissionRule.objects.filter(code="API-R").count() == 1


def test_pages_for_staff_claim_settle_and_approve(cast: Cast) -> None:
    admin = client_for(cast.admin)
    city = client_for(cast.city_manager)
    customer = Customer.objects.filter(region__path__startswith=cast.city_manager.region.path).first()
    assert customer is not None
    region = cast.city_manager.region
    made = admin.post(
        "/partners/new/",
        {
            "code": "PG01",
            "name": "页面代理商",
            "region": region.code,
            "contract_start": "2025-01-01",
            "contract_end": "2027-12-31",
            "is_marketing": "1",
            "products": [customer.subscriptions.first().product.code] if customer.subscriptions.exists() else [],
            "active": "1",
        },
    )
    assert made.status_code == 302
    p = Partner.objects.get(code="PG01")
    refused = admin.post("/partners/new/", {"code": "PG01", "name": ""})
    assert refused.status_code == 422 and "已被使用" in refused.content.decode()
    sub = Subscription.objects.create(
        customer=customer, product=p.products.first(), start=dt.date(2025, 5, 5), monthly_fee="100.00"
    )
    claimed = city.post(
        f"/partners/customers/{customer.pk}/claim/", {"deal": f"s:{sub.pk}", "partner": p.pk, "role": "sales"}
    )
    assert claimed.status_code == 302
    assert Attribution.objects.get(partner=p).claimed_by == cast.city_manager
    assert admin.post("/partners/settlement/run/", {"month": "2025-05"}).status_code == 302
    statement = Statement.objects.get(partner=p, month=dt.date(2025, 5, 1))
    page = city.get(f"/partners/statements/{statement.pk}/").content.decode()
    assert "approve-form" in page  # the city's manager approves its city's partner
    assert (
        city.post(f"/partners/statements/{statement.pk}/approve/", {"total": str(statement.total)}).status_code == 302
    )
    statement.refresh_from_db()
    assert statement.status == "approved" and statement.approved_by == cast.city_manager
    assert "PG01" in city.get("/partners/").content.decode()
    assert city.get("/partners/settlement/?month=2025-05").status_code == 200
    assert city.get("/partners/settlement/?month=garbage").status_code == 200
    assert city.get("/partners/conflicts/").status_code == 200
    assert city.get("/partners/rules/").status_code == 200
    assert city.post("/partners/settlement/run/", {"month": "2025-05"}).status_code == 403


def test_a_resolved_ticket_is_offered_and_claimed_on_the_claim_page(cast: Cast) -> None:
    city = client_for(cast.city_manager)
    customer = Customer.objects.filter(region__path__startswith=cast.city_manager.region.path).first()
    assert customer is not None
    p = make_partner(cast.admin, "SV02", region=cast.city_manager.region, is_marketing=False, is_service=True)
    desk = Department.objects.create(code="T-SV2", name="测试交付部", kind="delivery")
    at = dt.datetime(2025, 6, 3, 9, tzinfo=dt.UTC)
    ticket = ServiceRequest.objects.create(
        customer=customer,
        request_type="delivery",
        title="专线开通",
        department=desk,
        due_at=at,
        created_at=at,
        status="resolved",
        resolved_at=at,
    )
    page = city.get(f"/partners/customers/{customer.pk}/claim/").content.decode()
    assert f'value="t:{ticket.pk}"' in page
    claimed = city.post(
        f"/partners/customers/{customer.pk}/claim/", {"deal": f"t:{ticket.pk}", "partner": p.pk, "role": "service"}
    )
    assert claimed.status_code == 302
    assert Attribution.objects.get(partner=p).service_request == ticket


def test_the_statement_pdf_reads_as_money(cast: Cast) -> None:
    """Amounts with ¥ and thousands separators; no header word broken over two lines."""
    import shutil
    import subprocess

    if not shutil.which("pdftotext"):
        pytest.skip("poppler-utils is not installed")
    statement = Statement.objects.filter(partner=demo_partner(cast), total__gt=0).order_by("-total").first()
    assert statement is not None
    body = client_for(cast.partner).get(f"/partners/statements/{statement.pk}/file.pdf").content
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=body, capture_output=True, check=True).stdout
    page = text.decode()
    assert f"¥{statement.total:,.2f}" in page
    header = next(line for line in page.splitlines() if "计酬基数" in line)
    assert "比例/金额" in header and "计算说明" in header  # the whole header on one line
