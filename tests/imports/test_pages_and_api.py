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
