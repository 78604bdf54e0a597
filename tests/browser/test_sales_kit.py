"""营销工具包: the planner adds a playbook for a product (a renamed file refused first); an account
manager opens a customer whose products to offer next include it, downloads the playbook from there,
and the material's page counts the use as from the customer's page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.browser.test_service_request import log_out
from tests.conftest import load_tiny
from zhengqi.customers.models import Customer
from zhengqi.customers.selectors import next_products
from zhengqi.marketing.models import Material

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_playbook_reaches_the_customer_page_and_its_use_is_counted(live_server: object, page: Page) -> None:
    if not Customer.objects.exists():
        load_tiny()
    customer, product = None, None
    for candidate in Customer.objects.filter(account_manager__username="am", status="active").order_by("code"):
        offers = next_products(candidate)
        if offers:
            customer, product = candidate, offers[0].product
            break
    assert customer is not None and product is not None
    base = live_server.url
    SCREENSHOTS.mkdir(exist_ok=True)

    log_in(page, base, "planner")
    go_to(page, "营销", "营销工具包")
    page.get_by_text("加入资料", exact=True).click()
    form = page.get_by_test_id("material-form")
    form.get_by_label("资料名称").fill(f"{product.name}销售指南")
    form.get_by_label("类别").select_option("playbook")
    form.get_by_label("适用产品（可多选）").select_option(product.code)
    form.get_by_label("文件（PDF、Word、Excel、PowerPoint）").set_input_files(
        files=[{"name": "指南.pdf", "mimeType": "application/pdf", "buffer": b"PK\x03\x04 a zip"}]
    )
    form.get_by_role("button", name="加入资料库").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("不是它的扩展名所说的格式")
    assert not Material.objects.filter(title=f"{product.name}销售指南").exists()
    form = page.get_by_test_id("material-form")
    form.get_by_label("适用产品（可多选）").select_option(product.code)
    form.get_by_label("文件（PDF、Word、Excel、PowerPoint）").set_input_files(
        files=[{"name": "指南.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    form.get_by_role("button", name="加入资料库").click()
    expect(page.get_by_role("alert")).to_contain_text("已加入资料库")
    expect(page.get_by_test_id("versions")).to_contain_text("指南.pdf")
    log_out(page)

    log_in(page, base, "am")
    page.goto(f"{base}/customers/{customer.pk}/")
    offer = page.get_by_test_id("next-products").get_by_role("link", name=f"{product.name}销售指南")
    with page.expect_download() as got:
        offer.click()
    assert got.value.suggested_filename == "指南.pdf"
    material = Material.objects.get(title=f"{product.name}销售指南")
    page.goto(f"{base}/marketing/kit/{material.pk}/")
    expect(page.get_by_test_id("usage")).to_contain_text("客户页推荐 1")
    page.screenshot(path=str(SCREENSHOTS / "sales-kit.png"), full_page=True)
