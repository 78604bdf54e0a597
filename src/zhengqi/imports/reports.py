"""The rejected-rows report of a batch, as Excel or CSV (UTF-8 with BOM, which Excel opens)."""

from __future__ import annotations

from pathlib import Path

from django.http import HttpRequest
from django.utils.translation import gettext

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.web.documents import csv_bytes, inert_row, workbook_bytes

from .models import ImportBatch

HEADER = ["行号", "列", "值", "原因"]


def report_rows(batch: ImportBatch) -> list[list[str]]:
    return [[str(r.line), r.column, r.value, r.reason] for r in batch.rejections.all()]


def report_csv(batch: ImportBatch) -> bytes:
    return csv_bytes(HEADER, report_rows(batch))


def report_xlsx(batch: ImportBatch) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = "被拒绝的行"
    sheet.append(inert_row([f"导入批次 {batch.pk}：{batch.filename}（{batch.kind}）"]))
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for line, column, value, reason in report_rows(batch):
        sheet.append(inert_row([int(line), column, value, reason]))
    for letter, width in zip("ABCD", (8, 18, 30, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    return workbook_bytes(book)


def write_report(batch: ImportBatch, path: Path) -> None:
    path.write_bytes(report_xlsx(batch) if path.suffix.lower() == ".xlsx" else report_csv(batch))


def rejections_export_log(*, by: User, request: HttpRequest, batch: ImportBatch, fmt: str) -> None:
    """The rejected rows hold the operator's data: taking them out is an export like any other."""
    what = gettext("导入批次 %(id)d 被拒绝的行（%(file)s）") % {"id": batch.pk, "file": batch.filename}
    log_export(by=by, what=what, fmt=fmt, rows=batch.rejections.count(), request=request)
