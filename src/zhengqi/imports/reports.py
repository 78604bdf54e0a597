"""The rejected-rows report of a batch, as Excel or CSV (UTF-8 with BOM, which Excel opens)."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest
from django.utils.translation import gettext

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.web.documents import csv_bytes, inert_row, workbook_bytes

from .models import ImportBatch


def report_header(batch: ImportBatch) -> list[str]:
    """行号, the reasons, then the file's own columns: the row as it was, beside why it was refused,
    so that it can be corrected in the report and imported again."""
    return ["行号", "原因", *(batch.header or [])]


def report_rows(batch: ImportBatch) -> list[list[str]]:
    """One row per refused line, with every reason (“列：原因”) and its original cells."""
    rows: dict[int, tuple[list[str], list[str]]] = {}
    for r in batch.rejections.all():
        reasons, cells = rows.setdefault(r.line, ([], []))
        reasons.append(f"{r.column}：{r.reason}" if r.column else r.reason)
        if r.cells and not cells:
            cells.extend(str(c) for c in r.cells)
    return [[str(line), "；".join(reasons), *cells] for line, (reasons, cells) in rows.items()]


def report_csv(batch: ImportBatch) -> bytes:
    return csv_bytes(report_header(batch), report_rows(batch))


def report_xlsx(batch: ImportBatch) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = "被拒绝的行"
    sheet.append(inert_row([f"导入批次 {batch.pk}：{batch.filename}（{batch.kind_label}）"]))
    sheet.append(inert_row(report_header(batch)))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line, reasons, *cells in report_rows(batch):
        sheet.append(inert_row([int(line), reasons, *cells]))
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 60
    return workbook_bytes(book)


def write_report(batch: ImportBatch, path: Path) -> None:
    path.write_bytes(report_xlsx(batch) if path.suffix.lower() == ".xlsx" else report_csv(batch))


def rejections_export_log(*, by: User, request: HttpRequest, batch: ImportBatch, fmt: str) -> None:
    """The rejected rows hold the operator's data: taking them out is an export like any other."""
    what = gettext("导入批次 %(id)d 被拒绝的行（%(file)s）") % {"id": batch.pk, "file": batch.filename}
    log_export(by=by, what=what, fmt=fmt, rows=batch.rejections.count(), request=request)
