"""A partner logs in, lands on its own deals and statements, opens an approved statement and
downloads it as PDF and Excel; the province's admin settles and approves the next month."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.partners.models import Partner, Statement

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_partner_downloads_its_statement(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not Partner.objects.exists():
        load_tiny()
    mine = Partner.objects.get(accounts__user__username="partner")
    approved = Statement.objects.filter(partner=mine, status="approved").order_by("-month").first()
    assert approved is not None
    base = live_server.url
    log_in(page, base, "partner")
    expect(page).to_have_url(f"{base}/partners/mine/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(mine.name)
    expect(page.locator("[data-chart] canvas")).to_have_count(1)
    expect(page.get_by_role("link", name="集团客户")).to_have_count(0)  # no staff pages offered
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "partner-home.png"), full_page=True)

    page.get_by_test_id("statement-table").get_by_role("row").filter(has_text=f"{approved.month:%Y-%m}").get_by_role(
        "link", name="明细"
    ).click()
    expect(page.get_by_test_id("statement-status")).to_have_text("已审批")
    expect(page.get_by_test_id("statement-total")).to_have_text(f"{approved.total:,.2f}")
    expect(page.get_by_test_id("approve-form")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOTS / "partner-statement.png"), full_page=True)
    with page.expect_download() as pdf:
        page.get_by_test_id("download-pdf").click()
    saved = SCREENSHOTS / "partner-statement.pdf"
    pdf.value.save_as(saved)
    assert saved.read_bytes()[:5] == b"%PDF-"
    assert pdf.value.suggested_filename == f"结算单_{mine.code}_{approved.month:%Y-%m}.pdf"
    with page.expect_download() as xlsx:
        page.get_by_test_id("download-xlsx").click()
    assert xlsx.value.suggested_filename.endswith(".xlsx")

    # another partner's statement, by its address: the same answer as a page that does not exist
    other = Statement.objects.exclude(partner=mine).first()
    assert other is not None
    response = page.goto(f"{base}/partners/statements/{other.pk}/")
    assert response is not None and response.status == 404


def test_the_admin_approves_a_draft_statement(live_server: object, page: Page) -> None:
    if not Customer.objects.exists() or not Partner.objects.exists():
        load_tiny()
    draft = Statement.objects.filter(status="draft").order_by("month", "partner__code").first()
    assert draft is not None
    base = live_server.url
    log_in(page, base, "admin")
    page.get_by_role("link", name="代理商", exact=True).click()
    page.get_by_role("link", name="月度结算").click()
    page.wait_for_url("**/partners/settlement/")
    page.wait_for_load_state()  # the month picker submits itself once the page's script has run
    page.get_by_role("combobox", name="月份").select_option(f"{draft.month:%Y-%m}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{draft.month:%Y-%m}")
    page.screenshot(path=str(SCREENSHOTS / "partner-settlement.png"), full_page=True)
    page.get_by_test_id("statement-table").get_by_role("row").filter(has_text=draft.partner.name).get_by_role(
        "link", name="核对并审批"
    ).click()
    page.get_by_test_id("approve-form").get_by_role("button").click()
    expect(page.get_by_role("alert")).to_contain_text("已审批并冻结")
    expect(page.get_by_test_id("statement-status")).to_have_text("已审批")
