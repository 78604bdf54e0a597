"""A settlement statement as files: an Excel workbook (openpyxl) and a PDF (WeasyPrint, Chinese in
Debian's Noto CJK font). Every line carries its deal and rule, as on the page."""

from __future__ import annotations

from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from zhengqi.accounts.audit import log_export
from zhengqi.accounts.models import User
from zhengqi.web.documents import CJK_FONTS, html_to_pdf, inert, workbook_bytes

from .models import Statement, StatementLine

COLUMNS = ("类型", "所属月份", "业务", "酬金类型", "规则", "计酬基数", "比例/金额", "业务量", "金额", "计算说明")


def _lines(statement: Statement, user: User) -> list[StatementLine]:
    from .settlement import statement_lines

    return list(statement_lines(statement, user=user))


def outside_scope_note(hidden: int) -> str:
    return _("另有 %(n)d 行属于您范围以外的客户，未列出；合计为整张结算单的金额。") % {"n": hidden}


def _hidden(statement: Statement, user: User) -> int:
    from .settlement import lines_outside_scope

    return lines_outside_scope(statement, user=user)


def file_name(statement: Statement, fmt: str) -> str:
    return f"结算单_{statement.partner.code}_{statement.month:%Y-%m}.{fmt}"


def _value(line: StatementLine) -> str:
    if line.kind != StatementLine.Kind.COMMISSION:
        return ""
    if line.rule is not None and line.rule.method == "rate":
        return f"{line.value * 100:.2f}%"
    return f"{line.value:,.2f}"


def to_excel(statement: Statement, user: User) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{statement.month:%Y-%m}"
    ws["A1"] = _("%(p)s %(m)s 结算单") % {"p": statement.partner.name, "m": f"{statement.month:%Y-%m}"}
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = _("代理商编码：%(code)s　状态：%(status)s　应付合计：%(total)s 元") % {
        "code": statement.partner.code,
        "status": statement.get_status_display(),
        "total": f"{statement.total:,.2f}",
    }
    if statement.approved_at:
        ws["A3"] = _("审批：%(by)s %(at)s") % {
            "by": statement.approved_by,
            "at": f"{statement.approved_at:%Y-%m-%d %H:%M}",
        }
    header = 5
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, title in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=header, column=col, value=_(title))
        cell.font, cell.fill = Font(bold=True), fill
    row = header
    for row, line in enumerate(_lines(statement, user), start=header + 1):
        values = [
            line.get_kind_display(),
            f"{line.for_month:%Y-%m}",
            line.deal,
            line.get_role_display(),
            line.rule_code + (f" v{line.rule.version}" if line.rule else ""),
            line.base,
            _value(line),
            line.volume or None,
            line.amount,
            line.explanation,
        ]
        for col, value in enumerate(values, start=1):
            ws.cell(row=row, column=col, value=inert(value))
        ws.cell(row=row, column=6).number_format = "#,##0.00"
        ws.cell(row=row, column=9).number_format = "#,##0.00"
    total_row = row + 1
    ws.cell(row=total_row, column=8, value=_("合计")).font = Font(bold=True)
    total = ws.cell(row=total_row, column=9, value=statement.total)
    total.font, total.number_format = Font(bold=True), "#,##0.00"
    hidden = _hidden(statement, user)
    if hidden:
        ws.cell(row=total_row + 1, column=1, value=outside_scope_note(hidden))
    for letter, width in zip("ABCDEFGHIJ", (8, 10, 44, 8, 12, 12, 11, 8, 12, 70), strict=True):
        ws.column_dimensions[letter].width = width
    for r in ws.iter_rows(min_row=header + 1, min_col=10, max_col=10):
        r[0].alignment = Alignment(wrap_text=True, vertical="top")
    return workbook_bytes(wb)


def to_pdf(statement: Statement, user: User) -> bytes:
    html = render_to_string(
        "partners/statement_pdf.html",
        {
            "statement": statement,
            "lines": [(line, _value(line)) for line in _lines(statement, user)],
            "hidden": _hidden(statement, user),
            "fonts": ", ".join(f'"{f}"' for f in CJK_FONTS),
        },
    )
    return html_to_pdf(html)


def statement_response(request: HttpRequest, user: User, statement: Statement, fmt: str) -> HttpResponse:
    """The statement as a download, logged in the export log."""
    if fmt == "xlsx":
        body = to_excel(statement, user)
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = to_pdf(statement, user)
        ctype = "application/pdf"
    log_export(
        by=user,
        what=_("代理商结算单 %(p)s %(m)s") % {"p": statement.partner.code, "m": f"{statement.month:%Y-%m}"},
        fmt=fmt,
        rows=len(_lines(statement, user)),
        request=request,
    )
    response = HttpResponse(body, content_type=ctype)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(file_name(statement, fmt))}"
    return response
