"""The monthly operating-analysis report on the tiny province: its key numbers recomputed here
independently, straight from the lake's Parquet facts (pandas), and its Excel and PDF files read
back (openpyxl, pdftotext, pdftoppm)."""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import subprocess
import zipfile
from collections import defaultdict
from decimal import Decimal

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import Cast
from tests.insight.conftest import OCT, SEP
from zhengqi.accounts.models import Region
from zhengqi.customers.models import Customer
from zhengqi.engine.lake import Lake
from zhengqi.insight import exports, figures, report
from zhengqi.insight.figures import FilterError
from zhengqi.insight.models import Target
from zhengqi.scoring.models import CustomerSnapshot, TierChange

pytestmark = pytest.mark.django_db


def lake_months(table: str, months: list[dt.date]) -> pd.DataFrame:
    lake = Lake(settings.ZHENGQI_LAKE)
    frames = []
    for m in months:
        path = lake.partition_file(table, m)
        if path.exists():
            frame = pq.read_table(path).to_pandas()
            frame["m"] = m
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def city_of() -> dict[str, str]:
    """customer code → the name of its city (the region tree, from the web database)."""
    cities = {r.path: r.name for r in Region.objects.filter(level=Region.Level.CITY)}
    out = {}
    for code, path in Customer.objects.values_list("code", "region__path"):
        out[code] = next(name for p, name in cities.items() if path.startswith(p))
    return out


def expected_by_city() -> dict[str, dict[str, float]]:
    """Year-to-date, last year's same months, this and last month, by city, in yuan."""
    months = [dt.date(y, m, 1) for y in (2025, 2026) for m in range(1, 11)]
    facts = lake_months("customer_month", months)
    facts["city"] = facts["customer_code"].astype(str).map(city_of())
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ("revenue_info", "revenue_line"):
        for name, part in (
            ("ytd", facts[facts["m"] >= dt.date(2026, 1, 1)]),
            ("ytd_ly", facts[facts["m"] <= dt.date(2025, 10, 1)]),
            ("now", facts[facts["m"] == OCT]),
            ("prev", facts[facts["m"] == SEP]),
        ):
            for city, value in part.groupby("city")[metric].sum().items():
                out[str(city)][f"{metric}_{name}"] = float(value)
    return out


def city_targets() -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for t in Target.objects.filter(year=2026).select_related("region__parent"):
        city = t.region if t.region.level == Region.Level.CITY else t.region.parent
        assert city is not None
        out[city.name][t.metric] += t.amount
    return out


def test_revenue_against_target_and_time_progress_agrees_with_the_facts(october: None, cast: Cast) -> None:
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    assert built.time_progress == pytest.approx(10 / 12)
    want, targets = expected_by_city(), city_targets()
    for key, metric in (("info", "revenue_info"), ("line", "revenue_line")):
        rows = {r[0]: r for r in built.table(key).rows}
        cities = set(rows) - {"合计"}
        assert cities == set(want)
        for city in cities:
            ytd, target, done, progress, gap, now, prev, mom, ytd_ly, yoy = rows[city][1:]
            w = want[city]
            assert ytd == pytest.approx(w[f"{metric}_ytd"] / 10_000, abs=0.006)
            assert now == pytest.approx(w[f"{metric}_now"] / 10_000, abs=0.006)
            assert prev == pytest.approx(w[f"{metric}_prev"] / 10_000, abs=0.006)
            assert ytd_ly == pytest.approx(w[f"{metric}_ytd_ly"] / 10_000, abs=0.006)
            assert yoy == pytest.approx(w[f"{metric}_ytd"] / w[f"{metric}_ytd_ly"] - 1, abs=1e-6)
            assert mom == pytest.approx(w[f"{metric}_now"] / w[f"{metric}_prev"] - 1, abs=1e-6)
            t = float(targets[city][metric])
            assert target == pytest.approx(t / 10_000, abs=0.006)
            assert done == pytest.approx(w[f"{metric}_ytd"] / t, abs=1e-6)
            assert progress == pytest.approx(10 / 12)
            assert gap == pytest.approx(round((w[f"{metric}_ytd"] / t - 10 / 12) * 100, 1), abs=0.051)
        total = rows["合计"]
        assert total[1] == pytest.approx(sum(w[f"{metric}_ytd"] for w in want.values()) / 10_000, abs=0.01)


def test_idle_members_and_their_clean_up_agree_with_the_facts(october: None, cast: Cast) -> None:
    usage = lake_months("member_month", [SEP, OCT])
    usage["idle"] = (usage["voice_minutes"] == 0) & (usage["sms_count"] == 0) & (usage["vnet_calls"] == 0)
    usage["city"] = usage["customer_code"].astype(str).map(city_of())
    now, before = usage[usage["m"] == OCT], usage[usage["m"] == SEP]
    idle_before = before[before["idle"]]
    cleaned = idle_before[~idle_before["msisdn"].isin(now["msisdn"])]

    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    rows = {r[0]: r for r in built.table("idle").rows}
    for city, part in now.groupby("city"):
        active, idle, share, prev_idle, n_cleaned, rate = rows[str(city)][1:]
        assert active == len(part)
        assert idle == int(part["idle"].sum())
        assert share == pytest.approx(part["idle"].mean())
        assert prev_idle == int((idle_before["city"] == city).sum())
        assert n_cleaned == int((cleaned["city"] == city).sum())
        assert rate == (pytest.approx(n_cleaned / prev_idle) if prev_idle else None)
    assert rows["合计"][2] == int(now["idle"].sum())
    trend = built.table("idle_trend").rows
    assert [r[0] for r in trend] == ["2026-09", "2026-10"] and trend[-1][2] == int(now["idle"].sum())


def test_commentary_names_the_leader_and_the_laggard(october: None, cast: Cast) -> None:
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    rows = [r for r in built.table("info").rows if r[0] != "合计"]
    best, worst = max(rows, key=lambda r: r[3]), min(rows, key=lambda r: r[3])
    text = "\n".join(built.commentary)
    assert f"完成率最高的是{best[0]}（{best[3] * 100:.1f}%）" in text
    assert f"最低的是{worst[0]}（{worst[3] * 100:.1f}%" in text
    assert "时间进度 83.3%" in text
    rated = CustomerSnapshot.objects.filter(month=OCT).exclude(tier="")
    assert sum(r[-1] for r in built.table("migration").rows) == rated.count()
    order = ["A+", "A", "B", "C"]
    changes = TierChange.objects.filter(month=OCT).values_list("from_tier", "to_tier")
    up = sum(order.index(b) < order.index(a) for a, b in changes)
    assert f"本月价值等级上升 {up} 户、下降 {len(changes) - up} 户" in text


def test_a_district_managers_report_sums_only_their_district(october: None, cast: Cast) -> None:
    district = cast.district_manager.region
    assert district is not None and district.level == Region.Level.DISTRICT
    mine = set(Customer.objects.filter(region=district).values_list("code", flat=True))
    facts = lake_months("customer_month", [OCT])
    want = facts[facts["customer_code"].astype(str).isin(mine)]["revenue_info"].sum()
    everything = facts["revenue_info"].sum()

    built = report.build(cast.district_manager, figures.make_filters(cast.district_manager, month="2026-10"))
    total = built.table("info").rows[-1]
    assert built.scope == district.name
    assert total[6] == pytest.approx(want / 10_000, abs=0.006) and want < everything
    # a region outside their scope is refused, not silently widened
    other = Region.objects.filter(level=Region.Level.DISTRICT).exclude(pk=district.pk).first()
    assert other is not None
    with pytest.raises(FilterError, match="不在您的权限范围内"):
        figures.make_filters(cast.district_manager, month="2026-10", region=other.code)


def test_an_account_managers_report_has_no_region_targets(october: None, cast: Cast) -> None:
    built = report.build(cast.am, figures.make_filters(cast.am, month="2026-10"))
    assert built.scope == "我的客户"
    assert all(r[2] is None and r[3] is None for r in built.table("info").rows)
    assert "完成年度目标" not in "".join(built.commentary)


def test_a_month_without_a_run_is_refused(db: None, cast: Cast) -> None:
    with pytest.raises(FilterError, match="还没有月度运行结果"):
        figures.make_filters(cast.admin, month="2026-10")
    with pytest.raises(FilterError, match="格式不对"):
        figures.make_filters(cast.admin, month="October")


def test_excel_holds_the_tables_and_native_charts(october: None, cast: Cast) -> None:
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    data = exports.to_excel(built)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    assert wb.sheetnames[0] == "摘要"
    assert wb["摘要"]["A1"].value == built.title
    assert [wb["摘要"].cell(row=4 + i, column=1).value for i in range(len(built.commentary))] == built.commentary
    sheet = wb["各区域信息化收入完成情况"]
    table = built.table("info")
    assert [c.value for c in sheet[3][: len(table.columns)]] == list(table.columns)
    got = [
        [c.value for c in row[: len(table.columns)]] for row in sheet.iter_rows(min_row=4, max_row=3 + len(table.rows))
    ]
    assert [r[0] for r in got] == [r[0] for r in table.rows]
    for mine, theirs in zip(got, table.rows, strict=True):
        assert mine[1:] == pytest.approx(theirs[1:], rel=1e-12)  # Excel keeps 15–17 significant digits
    assert sheet.cell(row=4, column=4).number_format == "0.0%"
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) >= 6
        assert b"barChart" in z.read(charts[0])


def test_pdf_has_the_chinese_headings_and_the_numbers(october: None, cast: Cast) -> None:
    if not shutil.which("pdftotext") or not shutil.which("pdftoppm"):
        if os.environ.get("ZHENGQI_REQUIRE_BROWSER") == "1":
            pytest.fail("poppler-utils (pdftotext, pdftoppm) is not installed")
        pytest.skip("poppler-utils is not installed")
    if exports.cjk_font() is None and os.environ.get("ZHENGQI_REQUIRE_BROWSER") == "1":
        pytest.fail("fonts-noto-cjk is not installed: Chinese in the charts would be boxes")
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = SCREENSHOTS / "report-2026-10.pdf"
    pdf.write_bytes(exports.to_pdf(built))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    for heading in (
        "经营分析报告",
        "一、信息化收入完成情况",
        "二、专线收入完成情况",
        "三、“三无”成员清理",
        "时间进度 83.3%",
    ):
        assert heading in text
    total = built.table("info").rows[-1]
    assert f"{total[1]:,.2f}" in text  # the province's year-to-date informatization revenue, in 万元
    city, ytd = built.table("line").rows[0][:2]
    assert city in text and f"{ytd:,.2f}" in text
    assert f"累计完成信息化收入 {round(total[1], 1):.1f} 万元" in text
    # A table that fits a page stays on one page with its title: the region tables never break after a row.
    pages_text = text.split("\f")
    for key in ("info", "line"):
        table = built.table(key)
        first, last = str(table.rows[0][0]), str(table.rows[-1][0])
        assert any(table.title in p and first in p and last in p for p in pages_text), table.title
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(SCREENSHOTS / "report-2026-10")],
        check=True,
    )
    pages = list(SCREENSHOTS.glob("report-2026-10*.png"))
    assert pages and pages[0].stat().st_size > 10_000


def test_report_command_writes_both_files(october: None, tmp_path: object) -> None:
    call_command("report", "2026-10", "--output", str(tmp_path), "--format", "xlsx")
    assert (tmp_path / "zhengqi-report-2026-10.xlsx").exists()
    with pytest.raises(CommandError, match="不支持的格式"):
        call_command("report", "2026-10", "--format", "docx")
    with pytest.raises(CommandError, match="没有有效用户"):
        call_command("report", "2026-10", "--as", "nobody")


def test_targets_roll_up_from_districts_unless_a_city_has_its_own(october: None, cast: Cast) -> None:
    city = Region.objects.filter(level=Region.Level.CITY).first()
    assert city is not None
    nodes = list(Region.objects.all())
    summed = figures.resolved_targets(2026, nodes)[(city.pk, "revenue_info")]
    districts = Target.objects.filter(year=2026, metric="revenue_info", region__parent=city)
    assert summed == sum(t.amount for t in districts)
    Target.objects.create(region=city, year=2026, metric="revenue_info", amount=Decimal("1000000"))
    assert figures.resolved_targets(2026, nodes)[(city.pk, "revenue_info")] == Decimal("1000000")


def test_a_customer_name_that_reads_as_a_formula_reaches_the_excel_report_as_text(october: None, cast: Cast) -> None:
    """Names come from imports and visit corrections: one like =HYPERLINK(…) must not become a live
    formula in every manager's report."""
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from zhengqi.customers.models import Customer

    Customer.objects.update(name=Concat(Value('=HYPERLINK("http://x.test","'), F("code"), Value('")')))
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_excel(built)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    named = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert named, "the report lists customers by name"
    assert all(c.data_type != "f" for c in cells)
    assert all(c.value.startswith("'=HYPERLINK") for c in named)


def test_the_report_ranks_the_support_departments_of_its_month(october: None, cast: Cast) -> None:
    """五、支撑部门考核: the month's ranking, the same as the assessment page's, also in the Excel file."""
    from django.utils import timezone

    from zhengqi.support.assessment import assessment
    from zhengqi.support.requests import RequestInput, request_create, request_resolve

    customer = Customer.objects.filter(account_manager=cast.am).order_by("code").first()
    assert customer is not None
    at = timezone.make_aware(dt.datetime(2026, 10, 12, 9, 0))
    made = request_create(
        by=cast.am, data=RequestInput(customer_id=customer.pk, request_type="fault", title="断网"), now=at
    )
    request_resolve(by=cast.admin, request=made, resolution="已修复", now=at + dt.timedelta(hours=5))
    built = report.build(cast.admin, figures.make_filters(cast.admin, month="2026-10"))
    table = built.table("support")
    ranked = assessment(user=cast.admin, month=OCT)
    assert [row[1] for row in table.rows] == [r.department.name for r in ranked]
    assert [row[2] for row in table.rows] == [r.resolved for r in ranked]
    assert sum(row[2] for row in table.rows) >= 1
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_excel(built)))["支撑部门考核排名"]
    assert [c.value for c in sheet[3][: len(table.columns)]] == list(table.columns)
    assert sheet.cell(row=4, column=5).number_format == "#,##0.0"  # hours, one decimal
