"""The provincial admin imports a GBK customer file from the page, reads what was refused and
downloads the report."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENSHOTS, go_to
from tests.browser.test_login_scope import log_in
from tests.conftest import load_tiny
from zhengqi.accounts.models import Region
from zhengqi.customers.models import Customer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_imports_a_file_from_the_page(live_server: object, page: Page, tmp_path: Path) -> None:
    if not Customer.objects.exists():
        load_tiny()
    region = Region.objects.filter(level="district").order_by("code").first()
    assert region is not None
    path = tmp_path / "集团客户.csv"
    path.write_bytes(
        (
            "集团客户清单\n"
            "客户编码,客户名称,客户类型,行业,规模,区域\n"
            f"WEB001,网页导入测试有限公司,企业,制造业,小型,{region.code}\n"
            f"WEB002,网页导入测试二公司,企业,制造业,小型,不存在的区\n"
        ).encode("gbk")
    )
    base = live_server.url
    log_in(page, base, "admin")
    go_to(page, "管理", "数据导入")
    form = page.get_by_test_id("import-form")
    form.get_by_label("导入类型").select_option("customers")
    form.get_by_label("文件（CSV、Excel、Parquet；UTF-8 或 GBK）").set_input_files(str(path))
    form.get_by_role("button", name="开始导入").click()
    expect(page.get_by_test_id("status")).to_have_text("已完成")
    expect(page.get_by_test_id("rejected")).to_have_text("1")
    expect(page.get_by_test_id("rejections")).to_contain_text("未知的区域")
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-import-result.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert download.value.suggested_filename.endswith("-rejected.xlsx")
    assert Customer.objects.filter(code="WEB001", name="网页导入测试有限公司").exists()
