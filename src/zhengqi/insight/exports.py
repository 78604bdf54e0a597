"""The monthly report as files: an Excel workbook with native charts (openpyxl) and a PDF
(WeasyPrint from an HTML template, charts drawn by Matplotlib as SVG, Chinese set in the Noto CJK
font of Debian's ``fonts-noto-cjk``)."""

from __future__ import annotations

import base64
import io
import re
from functools import cache
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from zhengqi.web.documents import CJK_FONTS, html_to_pdf, inert, workbook_bytes

from .figures import Filters
from .report import Chart, Format, Report, Table

NUMBER_FORMATS: dict[Format, str] = {
    "text": "@",
    "wan": "#,##0.00",
    "yuan": "#,##0.00",
    "pct": "0.0%",
    "pp": "+0.0;-0.0;0.0",
    "int": "#,##0",
    "hours": "#,##0.0",
}


def _sheet_name(title: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\（）()]", "", title)[:28] or "Sheet"
    base, k = name, 2
    while name in used:
        name, k = f"{base[:26]}{k}", k + 1
    used.add(name)
    return name


def to_excel(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = _("摘要")
    summary["A1"] = report.title
    summary["A1"].font = Font(size=14, bold=True)
    summary["A2"] = _("时间进度 %(tp).1f%%；生成于 %(at)s") % {
        "tp": report.time_progress * 100,
        "at": f"{report.generated_at:%Y-%m-%d %H:%M}",
    }
    for i, sentence in enumerate(report.commentary, start=4):
        summary.cell(row=i, column=1, value=inert(sentence)).alignment = Alignment(wrap_text=True, vertical="top")
    summary.column_dimensions["A"].width = 120

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    used: set[str] = {summary.title}
    for section in report.sections:
        for table in section.tables:
            ws = wb.create_sheet(_sheet_name(table.title, used))
            ws["A1"] = f"{section.title} · {table.title}"
            ws["A1"].font = Font(bold=True)
            for c, name in enumerate(table.columns, start=1):
                cell = ws.cell(row=3, column=c, value=inert(name))
                cell.font, cell.fill = Font(bold=True), header_fill
                ws.column_dimensions[cell.column_letter].width = max(12, min(40, len(name) * 2 + 2))
            for r, row in enumerate(table.rows, start=4):
                for c, (value, fmt) in enumerate(zip(row, table.formats, strict=True), start=1):
                    cell = ws.cell(row=r, column=c, value=inert(value))
                    if value is not None and fmt != "text":
                        cell.number_format = NUMBER_FORMATS[fmt]
            if table.note:
                ws.cell(row=len(table.rows) + 5, column=1, value=inert(table.note))
            if table.chart and table.chart.kind in ("bar", "line") and table.chart.categories:
                _excel_chart(ws, table.chart, first_col=len(table.columns) + 2)
    return workbook_bytes(wb)


def _excel_chart(ws: Any, chart: Chart, *, first_col: int) -> None:
    """The chart's numbers in a block beside the table, and a native chart drawn from them."""
    from openpyxl.chart import BarChart, LineChart, Reference

    ws.cell(row=3, column=first_col, value=_("图表数据"))
    for j, (name, _values) in enumerate(chart.series, start=1):
        ws.cell(row=3, column=first_col + j, value=inert(name))
    if chart.reference:
        ws.cell(row=3, column=first_col + len(chart.series) + 1, value=chart.reference[0])
    for i, category in enumerate(chart.categories, start=4):
        ws.cell(row=i, column=first_col, value=inert(category))
        for j, (_name, values) in enumerate(chart.series, start=1):
            cell = ws.cell(row=i, column=first_col + j, value=values[i - 4])
            cell.number_format = "0.0%" if chart.unit == "pct" else "#,##0.00"
        if chart.reference:
            ws.cell(row=i, column=first_col + len(chart.series) + 1, value=chart.reference[1]).number_format = "0.0%"
    last_row = 3 + len(chart.categories)
    n_series = len(chart.series) + (1 if chart.reference else 0)
    main = (BarChart if chart.kind == "bar" else LineChart)()
    main.height, main.width = 8, 18
    main.add_data(
        Reference(ws, min_col=first_col + 1, max_col=first_col + len(chart.series), min_row=3, max_row=last_row),
        titles_from_data=True,
    )
    cats = Reference(ws, min_col=first_col, min_row=4, max_row=last_row)
    main.set_categories(cats)
    if chart.unit == "pct":
        main.y_axis.number_format = "0%"
    if chart.reference:
        line = LineChart()
        line.add_data(
            Reference(ws, min_col=first_col + n_series, max_col=first_col + n_series, min_row=3, max_row=last_row),
            titles_from_data=True,
        )
        line.set_categories(cats)
        main += line
    ws.add_chart(main, ws.cell(row=last_row + 3, column=first_col).coordinate)


@cache
def cjk_font() -> str | None:
    """The family name of an installed CJK font Matplotlib can use, or None."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((n for n in CJK_FONTS if n in names), None)


def chart_png(chart: Chart, *, title: str = "") -> str:
    """The chart as a PNG ``data:`` URI, drawn with the CJK font (bars, lines; a sankey or radar is
    left to the page and the tables)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    font = cjk_font()
    with plt.rc_context({"font.family": [font] if font else ["sans-serif"], "axes.unicode_minus": False}):
        fig, ax = plt.subplots(figsize=(8.4, 2.8), dpi=100)
        n = max(1, len(chart.series))
        xs = list(range(len(chart.categories)))
        for j, (name, values) in enumerate(chart.series):
            ys = [v if v is not None else float("nan") for v in values]
            if chart.kind == "bar":
                width = 0.8 / n
                ax.bar([x + (j - (n - 1) / 2) * width for x in xs], ys, width=width, label=name)
            else:
                ax.plot(xs, ys, marker="o", label=name)
        if chart.reference:
            ax.axhline(chart.reference[1], color="#d62728", linestyle="--", linewidth=1, label=chart.reference[0])
        ax.set_xticks(xs, chart.categories, rotation=30 if len(xs) > 6 else 0, ha="right" if len(xs) > 6 else "center")
        if chart.unit == "pct":
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v * 100:.0f}%"))
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
        ax.spines[["top", "right"]].set_visible(False)
        if title:
            ax.set_title(title, fontsize=10)
        fig.tight_layout()
        out = io.BytesIO()
        fig.savefig(out, format="png", dpi=160)
        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


WHOLE_ROWS, WHOLE_ROWS_WITH_CHART = 30, 14


def to_pdf(report: Report) -> bytes:
    from .templatetags.insight_format import cell

    def table(t: Table) -> dict[str, Any]:
        png = chart_png(t.chart) if t.chart and t.chart.kind in ("bar", "line") else ""
        return {
            "table": t,
            "png": png,
            "rows": [[cell(v, f) for v, f in zip(row, t.formats, strict=True)] for row in t.rows],
            # kept whole on one page with its title and chart when they fit one (A4 landscape)
            "whole": len(t.rows) <= (WHOLE_ROWS_WITH_CHART if png else WHOLE_ROWS),
        }

    sections = [{"title": s.title, "tables": [table(t) for t in s.tables]} for s in report.sections]
    html = render_to_string("insight/report_pdf.html", {"report": report, "sections": sections, "font": cjk_font()})
    return html_to_pdf(html)


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def report_label(built: Report, f: Filters) -> str:
    """What an export of the report holds, for the audit trail."""
    region = f.region.name if f.region else built.scope
    return _("经营分析报告 %(m)s（%(r)s）") % {"m": f"{f.month:%Y-%m}", "r": region}
