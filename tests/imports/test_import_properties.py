"""Every row of a file ends up imported or in the rejected-rows report, with its original cells,
whatever the file holds: lines in UTF-8, GBK or in no encoding at all, UTF-16 from Excel's “Unicode
text”, commas or tabs, NUL and other control characters, fields longer than the csv module's
default limit, text that reads as a formula."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhengqi.imports.services import import_file

pytestmark = pytest.mark.django_db

HEADER = ["产品编码", "产品名称", "类别", "复杂度", "标准月费"]

codes = st.one_of(st.from_regex(r"[A-Z][A-Z0-9]{0,7}", fullmatch=True), st.text(max_size=12))
names = st.one_of(
    st.text(max_size=20),
    st.text(alphabet="云海政企专线集团", min_size=1, max_size=10),
    st.sampled_from(['=HYPERLINK("http://x.test")', "a\x00b", "x" * 140_000, "多\n行"]),
)
complexities = st.sampled_from(["高", "低", "high", "中", ""])
prices = st.one_of(st.decimals(min_value=0, max_value=10**6, places=2).map(str), st.text(max_size=6))
rows = st.lists(st.tuples(codes, names, st.text(max_size=8), complexities, prices), min_size=1, max_size=25)
encodings = st.sampled_from(["utf-8", "gbk", "junk"])


def _line(cells: tuple[str, ...] | list[str], delimiter: str) -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(cells)  # as Excel writes
    return out.getvalue()


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "gbk":
        try:
            return text.encode("gbk")
        except UnicodeEncodeError:
            return text.encode("utf-8")
    if encoding == "junk":  # bytes that are neither UTF-8 nor GBK, at the end of the row
        return text.encode("utf-8")[:-2] + b"\xff\x80\r\n"
    return text.encode("utf-8")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=rows,
    row_encodings=st.lists(encodings, min_size=25, max_size=25),
    utf16=st.booleans(),
    bom=st.booleans(),
    tab=st.booleans(),
)
def test_every_row_is_imported_or_reported(
    tmp_path: Path,
    data: list[tuple[str, ...]],
    row_encodings: list[str],
    utf16: bool,
    bom: bool,
    tab: bool,
) -> None:
    delimiter = "\t" if tab else ","
    body = [_line(row, delimiter) for row in data]
    if utf16:
        content = ("\ufeff" + _line(HEADER, delimiter) + "".join(body)).encode("utf-16-le")
    else:
        content = (b"\xef\xbb\xbf" if bom else b"") + _line(HEADER, delimiter).encode("utf-8")
        content += b"".join(_encode(line, enc) for line, enc in zip(body, row_encodings, strict=False))
    path = tmp_path / "products.csv"
    path.write_bytes(content)

    batch = import_file("products", path, dry_run=True)

    assert batch.status == "succeeded", batch.message
    expected = sum(1 for row in data if any(cell.strip() for cell in row))
    imported = batch.inserted + batch.updated + batch.unchanged
    assert imported + batch.rejected == expected == batch.rows_total
    rejections = list(batch.rejections.all())
    assert len({r.line for r in rejections}) == batch.rejected
    firsts = {}
    for r in rejections:
        firsts.setdefault(r.line, r)
        assert r.reason and "Error" not in r.reason  # a sentence, not an exception's name
    assert all(r.cells for r in firsts.values())  # every refused row carries its original cells
    assert batch.header == HEADER
