"""Importing customers and customer-month facts: each bad row refused with its line, column and
reason, every good row in, a second import changing nothing, GBK and Excel files, dry runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from openpyxl import Workbook, load_workbook

from zhengqi.accounts.models import Region
from zhengqi.customers.models import Customer, CustomerMonth
from zhengqi.customers.validators import credit_code_check_char
from zhengqi.engine.lake import Lake
from zhengqi.imports.reports import report_csv, report_xlsx
from zhengqi.imports.services import import_file

pytestmark = pytest.mark.django_db

HEADER = "客户编码,客户名称,统一社会信用代码,客户类型,行业,规模,区域,地址,上级客户编码"


def credit(body: str) -> str:
    return body + credit_code_check_char(body)


def wrong_check(body: str) -> str:
    right = credit_code_check_char(body)
    return body + ("1" if right != "1" else "2")


def district() -> Region:
    region = Region.objects.filter(level="district").order_by("code").first()
    assert region is not None
    return region


def customers_csv(tmp_path: Path) -> tuple[Path, dict[int, str]]:
    """A UTF-8 file with one line in GBK (read as GBK) and one in no encoding (refused), past the
    lines read to find the header; returns the path and the expected refusals by line."""
    r = district().code
    good = [
        f"IMP001,星城新材料有限公司,{credit('91330100MA2AB0001')},企业,C,中型,{r},科技路1号,",
        f"IMP002,星城第一中学,{credit('12330100MA2AB0002')},事业单位,P,中型,{r},学院路2号,",
        f"IMP003,星城新材料有限公司分公司,,企业,制造业,小型,{r},,IMP001",
        f"ＩＭＰ００４,星城市水务局,{credit('11330100MA2AB0004')},政府机关,N,大型,{r},,",  # full-width code
        f"IMP005,云海物流集团,,enterprise,G,large,{r},,",
    ]
    lines = [
        HEADER,  # line 1
        good[0],  # 2
        good[1],  # 3
        "IMP006,错误信用代码公司,91330100MA2AB000690,企业,C,小型," + r + ",,",  # 4: 19 chars
        good[2],  # 5
        "IMP007,未知区域公司,,企业,C,小型,NOWHERE,,",  # 6
        "GBK_LINE",  # 7: replaced below by GBK bytes
        good[3],  # 8
        "IMP001,重复编码公司,,企业,C,小型," + r + ",,",  # 9: duplicate key
        ",缺编码公司,,企业,C,小型," + r + ",,",  # 10: missing required value
        good[4],  # 11
        f"IMP008,校验位错误公司,{wrong_check('91330100MA2AB0008')},企业,C,小型,{r},,",  # 12: bad check digit
        "JUNK_LINE",  # 13: replaced below by bytes in no encoding
    ]
    data = "\n".join(lines).encode("utf-8")
    gbk = f"IMP009,编码错误公司,,企业,C,小型,{r},,".encode("gbk")
    data = data.replace(b"GBK_LINE", gbk).replace(b"JUNK_LINE", b"IMP010,\xff\xfe\x80,,,,,")
    path = tmp_path / "customers.csv"
    path.write_bytes(data)
    expected = {
        4: "18 位",
        6: "未知的区域",
        9: "与第 2 行",
        10: "缺少必填列",
        12: "校验位错误",
        13: "既不是 UTF-8 也不是 GBK",
    }
    return path, expected


def test_exactly_the_bad_rows_are_refused_and_the_rest_is_in(tmp_path: Path) -> None:
    path, expected = customers_csv(tmp_path)
    batch = import_file("customers", path)
    assert batch.status == "succeeded", batch.message
    refused = {r.line: r for r in batch.rejections.all()}
    assert set(refused) == set(expected)
    for line, reason in expected.items():
        assert reason in refused[line].reason, (line, refused[line].reason)
    assert refused[4].column == "统一社会信用代码" and refused[6].column == "区域"
    assert (batch.inserted, batch.updated, batch.rejected, batch.rows_total) == (6, 0, 6, 12)
    assert batch.encoding_label == "UTF-8（部分行为 GBK）"
    imported = Customer.objects.filter(code__startswith="IMP")
    assert sorted(imported.values_list("code", flat=True)) == [
        "IMP001",
        "IMP002",
        "IMP003",
        "IMP004",
        "IMP005",
        "IMP009",
    ]
    assert Customer.objects.get(code="IMP009").name == "编码错误公司"
    assert refused[13].cells[0] == "IMP010"  # the undecodable row is shown as far as it reads
    assert Customer.objects.get(code="IMP003").parent == Customer.objects.get(code="IMP001")
    assert Customer.objects.get(code="IMP003").industry == "C"  # “制造业” read as its section
    assert Customer.objects.get(code="IMP005").customer_type == "enterprise"


def test_importing_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    path, _expected = customers_csv(tmp_path)
    import_file("customers", path)
    before = list(Customer.objects.filter(code__startswith="IMP").order_by("code").values())
    again = import_file("customers", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)
    after = list(Customer.objects.filter(code__startswith="IMP").order_by("code").values())
    assert after == before


def test_a_newer_file_updates_by_customer_code(tmp_path: Path) -> None:
    path, _expected = customers_csv(tmp_path)
    import_file("customers", path)
    newer = tmp_path / "newer.csv"
    newer.write_text(f"{HEADER}\nIMP002,星城第一中学（新校区）,,事业单位,P,大型,{district().code},新区3号,\n", "utf-8")
    batch = import_file("customers", newer)
    assert (batch.inserted, batch.updated) == (0, 1)
    school = Customer.objects.get(code="IMP002")
    assert school.name == "星城第一中学（新校区）" and school.scale == "large"
    assert school.credit_code == credit("12330100MA2AB0002")  # a column left empty keeps its value


def test_a_gbk_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"{HEADER}\nGBK001,云海省国土资源厅,,政府机关,S,大型,{district().code},,\n".encode("gbk"))
    batch = import_file("customers", path)
    assert batch.encoding == "gb18030" and batch.inserted == 1
    assert Customer.objects.get(code="GBK001").name == "云海省国土资源厅"


def test_an_excel_sheet_with_merged_group_headers(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["集团客户清单（2026 年 10 月）"])
    sheet.merge_cells("A1:G1")
    sheet.append(["基本信息", None, None, "分类", None, None, "归属"])
    sheet.append(["客户编码", "客户名称", "统一社会信用代码", "客户类型", "行业", "规模", "区域"])
    sheet.append(["XLS001", "星城港务集团", credit("91330100MA2XL0001"), "企业", "G", "大型", district().code])
    sheet.append(["XLS002", "星城中心医院", None, "事业单位", "Q", "大型", "不存在的区"])
    path = tmp_path / "customers.xlsx"
    book.save(path)
    batch = import_file("customers", path)
    assert batch.inserted == 1 and batch.rejected == 1
    assert batch.rejections.get().line == 5  # the row number Excel shows


def test_a_file_without_a_required_column_imports_nothing(tmp_path: Path) -> None:
    path = tmp_path / "no-region.csv"
    path.write_text("客户编码,客户名称,客户类型,行业,规模\nNOR001,无区域公司,企业,C,小型\n", "utf-8")
    batch = import_file("customers", path)
    assert batch.status == "failed" and "缺少必填列：区域" in batch.message
    assert not Customer.objects.filter(code="NOR001").exists()


def test_a_dry_run_reports_without_writing(tmp_path: Path) -> None:
    path, expected = customers_csv(tmp_path)
    batch = import_file("customers", path, dry_run=True)
    assert batch.dry_run and batch.inserted == 6 and batch.rejected == len(expected)
    assert not Customer.objects.filter(code__startswith="IMP").exists()


def test_the_report_lists_every_refusal(tmp_path: Path) -> None:
    path, expected = customers_csv(tmp_path)
    batch = import_file("customers", path)
    text = report_csv(batch).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "行号,原因," + HEADER and len(lines) == 1 + len(expected)
    by_line = {int(line.split(",")[0]): line for line in lines[1:]}
    assert by_line[9].endswith(f"IMP001,重复编码公司,,企业,C,小型,{district().code},,")  # the row as it was
    (tmp_path / "r.xlsx").write_bytes(report_xlsx(batch))
    sheet = load_workbook(tmp_path / "r.xlsx").active
    assert sheet is not None
    assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == sorted(expected)


# --- customer-month facts -------------------------------------------------------------------------


def test_customer_month_refusals_and_lake_partition(tmp_path: Path) -> None:
    code = Customer.objects.filter(status="active").order_by("code").values_list("code", flat=True).first()
    path = tmp_path / "cm.csv"
    path.write_text(
        "客户编码,月份,总收入,信息化收入,投诉次数\n"
        f"{code},2026-11,1200.50,300,1\n"  # 2
        f"{code},2026/12,-5,0,0\n"  # 3: negative revenue
        f"{code},2026-13,100,0,0\n"  # 4: bad date
        "NOSUCH,2026-11,100,0,0\n"  # 5: unknown customer
        f"{code},2026年12月,1300,350,0\n",  # 6
        "utf-8",
    )
    batch = import_file("customer_month", path)
    reasons = {r.line: r.reason for r in batch.rejections.all()}
    assert set(reasons) == {3, 4, 5}
    assert "负数" in reasons[3] and "日期格式" in reasons[4] and "不存在" in reasons[5]
    row = CustomerMonth.objects.get(customer__code=code, month=dt.date(2026, 11, 1))
    assert row.revenue_total == Decimal("1200.50") and row.complaints == 1
    assert row.source_ref == str(batch.pk) and row.loaded_at is not None  # where the facts came from
    assert f"批次 {batch.pk}" in row.source_text()
    lake = Lake(settings.ZHENGQI_LAKE)
    nov = lake.read_month("customer_month", dt.date(2026, 11, 1)).to_pylist()
    assert [r["revenue_total"] for r in nov if r["customer_code"] == code] == [1200.5]
    again = import_file("customer_month", path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)


def test_a_manager_set_by_import_has_its_history_and_qualification(tmp_path: Path) -> None:
    from zhengqi.accounts.models import User

    region = district()
    junior = User.objects.create(username="imp_junior", role="account_manager", region=region, grade=1)
    senior = User.objects.create(username="imp_senior", role="account_manager", region=region, grade=3)
    head = "客户编码,客户名称,客户类型,行业,规模,区域,客户经理工号\n"
    first = tmp_path / "m1.csv"
    first.write_text(head + f"MGR001,经理测试公司,企业,C,小型,{region.code},imp_junior\n", "utf-8")
    import_file("customers", first)
    customer = Customer.objects.get(code="MGR001")
    assert customer.account_manager == junior
    assert list(customer.assignments.values_list("manager__username", "reason")) == [("imp_junior", "数据导入")]
    Customer.objects.filter(pk=customer.pk).update(tier="A", account_manager=senior)
    back = tmp_path / "m2.csv"
    back.write_text(head + f"MGR001,经理测试公司,企业,C,小型,{region.code},imp_junior\n", "utf-8")
    batch = import_file("customers", back)
    assert batch.rejected == 1 and "任职资格" in batch.rejections.get().reason
    assert Customer.objects.get(pk=customer.pk).account_manager == senior


def test_the_rejected_rows_report_carries_no_live_formula(tmp_path: Path) -> None:
    """A refused cell that reads as a formula goes into both report files as inert text."""
    import csv
    import io

    from openpyxl import load_workbook

    from zhengqi.imports.reports import report_csv, report_xlsx

    r = district().code
    hostile = ['=HYPERLINK("http://x.test")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\x01控制"]
    lines = [HEADER, *(f"BAD{k},坏公司{k},{v},企业,C,小型,{r},," for k, v in enumerate(hostile))]
    path = tmp_path / "hostile.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    batch = import_file("customers", path)
    assert batch.rejected == len(hostile)
    sheet = load_workbook(io.BytesIO(report_xlsx(batch))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    values = {c.value for c in cells if c.column == 5}  # 行号, 原因, then the row: its credit code
    assert "'" + hostile[0] in values and "'-2+3" in values and "\ufffd控制" in values
    rows = list(csv.reader(io.StringIO(report_csv(batch).decode("utf-8-sig"))))
    assert all(cell[:1] not in ("=", "+", "-", "@") for row in rows for cell in row)
