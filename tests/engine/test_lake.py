import datetime as dt
from pathlib import Path

import pyarrow as pa

from zhengqi.engine.lake import Lake


def test_month_is_replaced_whole_and_no_temporary_file_is_left(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    month = dt.date(2026, 10, 1)
    lake.write_month("customer_month", month, pa.table({"customer_code": ["A", "B"], "revenue_total": [1.0, 2.0]}))
    lake.write_month("customer_month", month, pa.table({"customer_code": ["C"], "revenue_total": [3.0]}))
    assert lake.read_month("customer_month", month).to_pydict() == {"customer_code": ["C"], "revenue_total": [3.0]}
    assert [p.name for p in (tmp_path / "customer_month" / "month=2026-10").iterdir()] == ["data.parquet"]
    assert lake.months("customer_month") == ["2026-10"]


def test_duckdb_connection_reads_every_month(tmp_path: Path) -> None:
    lake = Lake(tmp_path)
    for m in (9, 10):
        month = dt.date(2026, m, 1)
        lake.write_month("customer_month", month, pa.table({"month": [month], "revenue_total": [float(m)]}))
    con = lake.connect("duckdb")
    t = con.table("customer_month")
    assert t.count().execute() == 2
    assert t.revenue_total.sum().execute() == 19.0


def test_docs_feature_page_is_the_catalogue() -> None:
    from zhengqi.engine.catalogue import as_markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "features.md"
    assert page.read_text(encoding="utf-8") == as_markdown(), "regenerate docs/features.md from the catalogue"
