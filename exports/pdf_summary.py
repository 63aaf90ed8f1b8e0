"""The pages of the executive summary (KPI table and key charts on one page after the cover)
and of the one-click chart export (one page)."""

from __future__ import annotations

import math

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from charts.theme import BAD
from exports.document import ExportItem, Report
from exports.pdf_charts import chart_height, draw_chart, picture
from exports.pdf_pages import KEY_CHART_EXCLUDED, Progress, cover, draws_chart, error, heading, title_of
from exports.pdf_tables import ROW_HEIGHT, draw_kpi_table, draw_table, fit, note, rgb

CHART_PAGE_TABLE_ROWS = 15  # the chart page prints the data table up to this many rows
GAP, GRID_TITLE = 6.0, 6.0


def executive(pdf: FPDF, report: Report, progress: Progress) -> None:
    """Cover, then the KPI table and the key charts sharing one page (see `_grid`)."""
    cover(pdf, report)
    pdf.add_page()
    pdf.start_section("Key figures")
    heading(pdf, "Key figures", report.source)
    kpis = report.kpis
    if kpis:
        draw_kpi_table(pdf, kpis, [title_of(item) for item in kpis])
    for item in report.items:
        if item.kind == "kpi" and item.error:
            note(pdf, f"{title_of(item)}: {item.error}", rgb(BAD))
    if not kpis:
        note(pdf, "This dashboard has no KPIs.")
    pdf.ln(GAP)
    charts = [item for item in report.items if item.kind not in KEY_CHART_EXCLUDED]
    _chart_grid(pdf, report, charts)
    progress(len(report.items), len(report.items), "Key figures")


def _grid(pdf: FPDF, count: int) -> tuple[int, float, float]:
    """Columns, cell width and chart height for `count` charts: the layout (1 to 4 columns)
    that gives each chart the most area while all fit below the cursor, or two columns at
    their natural size, continued overleaf, when none fits with charts at least 30 mm tall."""
    best = (0.0, 2, (pdf.epw - GAP) / 2, (pdf.epw - GAP) / 2 * 9 / 16)
    for columns in range(1, min(count, 4) + 1):
        width = (pdf.epw - GAP * (columns - 1)) / columns
        rows = math.ceil(count / columns)
        height = min(width * 9 / 16, (pdf.page_break_trigger - pdf.y) / rows - GRID_TITLE - GAP)
        area = min(width, height * 16 / 9) * height
        if height >= 30 and area > best[0]:
            best = (area, columns, width, height)
    return best[1], best[2], best[3]


def _chart_grid(pdf: FPDF, report: Report, charts: list[ExportItem]) -> None:
    if not charts:
        return
    columns, width, height = _grid(pdf, len(charts))
    for start in range(0, len(charts), columns):
        if pdf.will_page_break(GRID_TITLE + height):
            pdf.add_page()
        top = pdf.y
        for column, item in enumerate(charts[start:start + columns]):
            left = pdf.l_margin + column * (width + GAP)
            pdf.set_xy(left, top)
            pdf.start_section(title_of(item))
            pdf.set_font("DejaVu", "B", 9.5)
            pdf.cell(width, GRID_TITLE, fit(pdf, title_of(item), width), new_x=XPos.LEFT, new_y=YPos.NEXT)
            if item.error:
                error(pdf, item.error, width)
            elif not draw_chart(pdf, item, left, top + GRID_TITLE, width, height, report.theme == "dark"):
                note(pdf, "The chart image is not available.")
        pdf.set_xy(pdf.l_margin, top + GRID_TITLE + height + GAP)


def chart(pdf: FPDF, report: Report, progress: Progress) -> None:
    """One page: the title, the filters, the chart as large as fits, and the data table when
    it has at most CHART_PAGE_TABLE_ROWS rows and still leaves the chart half the page."""
    if not report.items:
        raise ValueError("a chart export needs one item")
    item = report.items[0]
    pdf.bare_pages.add(pdf.page + 1)
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_y(14)
    title = title_of(item)
    pdf.start_section(title)
    in_force = item.filters or report.filters
    filters = "Filters: " + "; ".join(in_force) if in_force else "No filters"
    parts = [report.title if report.title != item.title else "", item.time_range or "", filters]
    heading(pdf, title, " · ".join(part for part in parts if part), size=16)
    bottom = pdf.h - 18
    table = item.table
    rows = table.row_count if table is not None else 0
    table_height = (rows + 1) * ROW_HEIGHT + 4 if 0 < rows <= CHART_PAGE_TABLE_ROWS else 0
    room = bottom - pdf.y - 2
    if item.error:
        error(pdf, item.error)
    elif draws_chart(item) and picture(item):
        height = chart_height(item, pdf.epw, room - table_height)
        if table_height and height < room / 2:
            table_height = 0
            height = chart_height(item, pdf.epw, room - 10)
        top = pdf.y
        draw_chart(pdf, item, pdf.l_margin, top, pdf.epw, height, dark=report.theme == "dark")
        pdf.set_y(top + height + 3)
    elif item.kind == "text":
        pdf.multi_cell(0, 5.5, item.text or "", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif draws_chart(item):
        note(pdf, "The chart image is not available.")
    elif table is not None:
        table_height = room  # a table widget: its rows are the content
    if table is not None and not item.error:
        fitting = max(int((bottom - pdf.y - 10) // ROW_HEIGHT) - 1, 0)
        if table_height and rows <= fitting:
            draw_table(pdf, table)
        elif table_height:
            draw_table(pdf, table, limit=fitting)
        elif rows:
            note(pdf, f"The data table ({rows:,} rows) is left off this page; "
                      "it is in the Excel and CSV exports.")
    progress(1, 1, title)
