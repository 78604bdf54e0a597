"""Any list as a file people download (issue 23): Excel (openpyxl's write-only mode, so memory stays
flat however many rows) or CSV (streamed as it is written), with the title, the filters in words and
the time at the top, every cell made inert (no formula reaches a spreadsheet), and a row cap past
which the export is refused with a sentence. Who exported what is the caller's to log
(``zhengqi.accounts.audit.log_export``): it knows what the rows were."""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _

from .documents import inert, inert_row

FORMATS = ("xlsx", "csv")


@dataclass
class TableExport:
    title: str
    columns: list[str]
    rows: Iterable[Sequence[Any]]
    filters: list[str] = field(default_factory=list)  # "区域：昆明市", … as the user chose them

    def head(self) -> list[list[str]]:
        when = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        lines = [[self.title], [_("导出时间：%(at)s") % {"at": when}]]
        lines.append([_("筛选条件：") + ("；".join(self.filters) if self.filters else _("无（全部可见数据）"))])
        return [*lines, []]


def check_size(rows: int) -> None:
    """Refuse an export over ``ZHENGQI_EXPORT_MAX_ROWS`` (the message says how to narrow it)."""
    cap = int(settings.ZHENGQI_EXPORT_MAX_ROWS)
    if rows > cap:
        raise ValidationError(
            _("共 %(rows)s 行，超过导出上限 %(cap)s 行。请增加筛选条件后再导出。")
            % {"rows": f"{rows:,}", "cap": f"{cap:,}"}
        )


def export_response(table: TableExport, fmt: str, filename: str) -> HttpResponseBase:
    """The file as a download: ``filename`` without its extension (Chinese is fine)."""
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(_csv_lines(table), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = FileResponse(
            _xlsx_file(table),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise ValidationError(_("导出格式应为 xlsx 或 csv。"))
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.{fmt}"
    return response


def _csv_lines(table: TableExport) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff"  # Excel reads UTF-8 with the BOM
    for line in table.head():
        writer.writerow(inert_row(line))
    writer.writerow(inert_row(table.columns))
    yield flush()
    for i, row in enumerate(table.rows, start=1):
        writer.writerow(inert_row(row))
        if i % 1000 == 0:
            yield flush()
    yield flush()


def _xlsx_file(table: TableExport) -> Any:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.title[:31].translate(str.maketrans("", "", "[]:*?/\\")) or "Sheet")
    bold = Font(bold=True)
    for line in table.head():
        sheet.append(inert_row(line))
    header = []
    for name in table.columns:
        cell = WriteOnlyCell(sheet, value=inert(name))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append(inert_row(row))
    out = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115  # handed to FileResponse, which closes it
    book.save(out)
    out.seek(0)
    return out


def filter_lines(*bound: forms.Form) -> list[str]:
    """The filters a user chose on valid forms, in words: each field's label and the value as its
    picker shows it (a region's name, not its code)."""
    out = []
    for form in bound:
        if not form.is_bound or not form.is_valid():
            continue
        for name, value in form.cleaned_data.items():
            if value in (None, "", False, []) or name in ("sort", "page"):
                continue
            f = form.fields[name]
            choices = dict(getattr(f, "choices", None) or getattr(f.widget, "choices", None) or [])
            shown = choices.get(value, choices.get(str(value), value))
            if value is True:
                shown = _("是")
            out.append(f"{f.label}：{str(shown).strip()}")
    return out
