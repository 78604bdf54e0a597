"""The import page and API of the provincial admin: upload, result, rejected-rows report."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import Cast
from zhengqi.accounts.models import Region, User
from zhengqi.customers.models import Customer
from zhengqi.imports.models import ImportBatch

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def upload(name: str = "客户.csv") -> SimpleUploadedFile:
    region = Region.objects.filter(level="district").order_by("code").first()
    assert region is not None
    text = (
        "客户编码,客户名称,客户类型,行业,规模,区域\n"
        f"UPL001,上传测试公司,企业,C,小型,{region.code}\n"
        f"UPL002,上传测试二公司,企业,C,巨型,{region.code}\n"
    )
    return SimpleUploadedFile(name, text.encode("gbk"), content_type="text/csv")


def test_admin_uploads_and_reads_the_result(cast: Cast) -> None:
    client = client_for(cast.admin)
    response = client.post("/imports/", {"kind": "customers", "file": upload()}, follow=True)
    page = response.content.decode()
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == "succeeded" and batch.filename == "客户.csv" and batch.by == cast.admin
    assert (batch.inserted, batch.rejected) == (1, 1) and batch.encoding == "gb18030"
    assert "不是允许的取值" in page and "下载 Excel" in page
    assert Customer.objects.filter(code="UPL001").exists()
    sheet = load_workbook(io.BytesIO(client.get(f"/imports/{batch.pk}/report.xlsx").content)).active
    assert sheet is not None and [r[0] for r in sheet.iter_rows(min_row=3, values_only=True)] == [3]
    assert "巨型" in client.get(f"/imports/{batch.pk}/report.csv").content.decode("utf-8-sig")
    assert "客户.csv" in client.get("/imports/").content.decode()


def test_a_wrong_file_type_is_refused_with_a_message(cast: Cast) -> None:
    bad = SimpleUploadedFile("客户.docx", b"PK..", content_type="application/octet-stream")
    page = client_for(cast.admin).post("/imports/", {"kind": "customers", "file": bad}, follow=True).content.decode()
    assert "不支持的文件类型" in page and not ImportBatch.objects.exists()


def test_only_the_provincial_admin_imports(cast: Cast) -> None:
    for user in (cast.planner, cast.city_manager, cast.am):
        assert client_for(user).get("/imports/").status_code == 403
        assert client_for(user).post("/imports/", {"kind": "customers", "file": upload()}).status_code == 403
        api = client_for(user).post("/api/imports", {"kind": "customers", "file": upload()})
        assert api.status_code == 403 and "省公司管理员" in api.json()["detail"]
    assert not Customer.objects.filter(code="UPL001").exists()


def test_the_api_imports_and_reports(cast: Cast) -> None:
    client = client_for(cast.admin)
    started = client.post("/api/imports", {"kind": "customers", "file": upload("c.csv"), "dry_run": "true"})
    assert started.status_code == 202, started.content
    batch = client.get(f"/api/imports/{started.json()['id']}").json()
    assert batch["status"] == "succeeded" and batch["dry_run"] and batch["inserted"] == 1
    assert batch["rejections"][0]["line"] == 3 and batch["rejections"][0]["column"] == "规模"
    assert not Customer.objects.filter(code="UPL001").exists()  # a dry run
    assert client.get(f"/api/imports/{batch['id']}/report.csv").status_code == 200
    assert client_for(cast.am).get(f"/api/imports/{batch['id']}").status_code == 404


def _damaged_workbook() -> bytes:
    """A workbook whose sheet breaks off half-way, as a transfer cut short leaves it."""
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["客户编码", "客户名称", "客户类型", "行业", "规模", "区域"])
    for k in range(60):
        sheet.append([f"DMG{k:03d}", "损坏文件公司", "企业", "C", "小型", "X"])
    whole = io.BytesIO()
    book.save(whole)
    cut = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(whole.getvalue())) as zin, zipfile.ZipFile(cut, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet1.xml") else data)
    return cut.getvalue()


def test_no_upload_is_left_behind_whatever_becomes_of_its_import(cast: Cast, settings: object) -> None:
    from pathlib import Path

    from django.conf import settings as django_settings

    uploads = Path(django_settings.VAR_DIR) / "uploads"
    before = set(uploads.glob("*"))
    client = client_for(cast.admin)
    files = [
        upload(),  # imported
        SimpleUploadedFile("无表头.csv", b"a,b\n1,2\n", content_type="text/csv"),  # refused whole
        SimpleUploadedFile("损坏.xlsx", _damaged_workbook(), content_type="application/octet-stream"),
    ]
    for f in files:
        client.post("/imports/", {"kind": "customers", "file": f}, follow=True)
    assert set(uploads.glob("*")) == before
    damaged = ImportBatch.objects.get(filename="损坏.xlsx")
    assert damaged.status == "failed" and "已损坏" in damaged.message and "Error" not in damaged.message
    assert not Customer.objects.filter(code__startswith="DMG").exists()  # nothing of a broken file


def test_control_characters_and_huge_fields_are_refused_by_row(cast: Cast) -> None:
    region = Region.objects.filter(level="district").order_by("code").first()
    assert region is not None
    text = (
        "客户编码,客户名称,客户类型,行业,规模,区域\n"
        f"NUL001,空\x00字符公司,企业,C,小型,{region.code}\n"
        f"BIG001,{'长' * 140_000},企业,C,小型,{region.code}\n"
        f"OKA001,正常公司,企业,C,小型,{region.code}\n"
    )
    client = client_for(cast.admin)
    client.post("/imports/", {"kind": "customers", "file": SimpleUploadedFile("c.csv", text.encode())}, follow=True)
    batch = ImportBatch.objects.latest("pk")
    assert batch.status == "succeeded", batch.message
    assert (batch.inserted, batch.rejected, batch.rows_total) == (1, 2, 3)
    reasons = {r.line: r.reason for r in batch.rejections.all()}
    assert "控制字符" in reasons[2] and "超过" in reasons[3]
    assert not Customer.objects.filter(code__in=["NUL001", "BIG001"]).exists()


def test_excel_unicode_text_is_read(cast: Cast) -> None:
    """Excel's “Unicode text”: UTF-16 with a byte-order mark, tab-separated."""
    region = Region.objects.filter(level="district").order_by("code").first()
    assert region is not None
    text = f"客户编码\t客户名称\t客户类型\t行业\t规模\t区域\r\nU16001\t统一编码公司\t企业\tC\t小型\t{region.code}\r\n"
    client = client_for(cast.admin)
    file = SimpleUploadedFile("u.txt", text.encode("utf-16"), content_type="text/plain")
    client.post("/imports/", {"kind": "customers", "file": file}, follow=True)
    batch = ImportBatch.objects.latest("pk")
    assert (batch.inserted, batch.rejected, batch.encoding_label) == (1, 0, "UTF-16")
    assert Customer.objects.get(code="U16001").name == "统一编码公司"
