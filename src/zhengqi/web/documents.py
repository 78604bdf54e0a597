"""Files people download (statements, the monthly report, rejected rows): the CJK fonts they are set
in, the one way HTML becomes a PDF (WeasyPrint; Chinese in Debian's ``fonts-noto-cjk``), and the one
way a cell is made inert before it goes into an Excel or CSV file."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Serif CJK SC", "WenQuanYi Zen Hei")


def html_to_pdf(html: str) -> bytes:
    """A PDF of a page rendered from one of our templates (no remote resources are fetched)."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), full-width forms
# included: Excel in a Chinese locale turns ＝ into =.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_NUMBER = re.compile(r"^[+-]?\d[\d,]*(\.\d+)?%?$")
# Control characters no worksheet may hold (openpyxl refuses the whole file for one of them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def inert(value: Any) -> Any:
    """A value as it may go into a cell of an exported file: text a spreadsheet would run as a
    formula gets an apostrophe in front (it then shows as the text it is), control characters no
    worksheet can hold become U+FFFD; numbers, dates and other text pass unchanged. Every Excel and
    CSV writer passes its cells through here."""
    if not isinstance(value, str):
        return value
    text = _ILLEGAL.sub("\ufffd", value)
    if text[:1] in FORMULA_STARTS and not _NUMBER.match(text):
        return "'" + text
    return text


def inert_row(values: Iterable[Any]) -> list[Any]:
    return [inert(v) for v in values]


def workbook_bytes(workbook: Any) -> bytes:
    """An openpyxl workbook saved with every text cell made inert: our writers never write formulas,
    so no cell of a file we hand out may hold one, whatever the data said."""
    import io

    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    safe = inert(cell.value)
                    if cell.data_type == "f" and safe == cell.value:  # set as a formula by a writer
                        safe = "'" + safe
                    if safe != cell.value:
                        cell.value = safe
                        cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_bytes(header: list[str], rows: Iterable[Iterable[Any]]) -> bytes:
    """A CSV of the header and rows, every cell made inert (UTF-8 with BOM, which Excel opens)."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(inert_row(header))
    writer.writerows(inert_row(row) for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
