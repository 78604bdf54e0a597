"""Exported cells are inert: whatever text the data holds, no Excel or CSV file we hand out carries a
live formula (OWASP CSV injection), and the reader still sees the text."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from zhengqi.web.documents import FORMULA_STARTS, csv_bytes, inert, inert_row, workbook_bytes

hostile = st.builds(
    lambda start, rest: start + rest,
    st.sampled_from([*FORMULA_STARTS, "", "'", "a"]),
    st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30),
)


def assert_inert_text(original: str, written: object) -> None:
    assert isinstance(written, str)
    # XML and CSV readers give back a carriage return as a line feed
    original, written = (t.replace("\r\n", "\n").replace("\r", "\n") for t in (original, written))
    legal = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "\ufffd", original)
    assert written in (legal, "'" + legal)  # the text itself, or shown as text behind an apostrophe
    if written == legal:  # passed unchanged: it cannot start a formula, unless it is a plain number
        assert legal[:1] not in FORMULA_STARTS or re.fullmatch(r"[+-]?\d[\d,]*(\.\d+)?%?", legal)


@given(st.lists(hostile, min_size=1, max_size=6))
def test_no_cell_of_a_workbook_is_a_formula(values: list[str]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(inert_row(values))
    ws.cell(row=2, column=1, value="=1+1")  # as a careless writer would set it
    back = load_workbook(io.BytesIO(workbook_bytes(wb))).active
    assert back is not None
    cells = [c for row in back.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)
    for original, cell in zip(values, back[1], strict=False):
        if original:
            assert_inert_text(original, cell.value)


@given(st.lists(st.lists(hostile, min_size=1, max_size=4), min_size=1, max_size=5))
def test_no_cell_of_a_csv_starts_a_formula(rows: list[list[str]]) -> None:
    text = csv_bytes(["列"], rows).decode("utf-8-sig")
    read = list(csv.reader(io.StringIO(text, newline="")))
    assert read[0] == ["列"]
    for mine, theirs in zip(rows, read[1:], strict=True):
        for original, written in zip(mine, theirs, strict=True):
            assert written[:1] not in FORMULA_STARTS or (written[:1] == "-" and written == original)
            assert_inert_text(original, written) if original else None


def test_numbers_and_plain_text_pass_unchanged() -> None:
    assert inert(-12.5) == -12.5
    assert inert("-12.5%") == "-12.5%"
    assert inert("1,234") == "1,234"
    assert inert("集团客户") == "集团客户"
    assert inert('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert inert("＝1+1") == "'＝1+1"
