"""Excel workbooks from a `Report`: a Summary, one sheet per widget with its data, a native Excel
chart that stays live and editable, the rendered picture, and (audit) a fingerprint per table.

Layout of a widget sheet: title (row 1), context (row 2), notes (row 3), header (row 4, frozen,
with an autofilter), data. A long table (time, dimension, measure) is pivoted into one column
per series *below* the table for the chart, because rows filtered by the autofilter would hide
chart data beside them; charts and pictures sit to the right of everything. A table longer than
Excel's sheet continues on further sheets ("Title (2)"), each saying which rows it holds.

This module lays the workbook out and writes it; `exports.excel_sheets` holds the formats, the
typed cell writing and column widths, and `exports.excel_charts` plans and draws the native charts.
"""

from __future__ import annotations

import contextlib
import io
import math
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from xlsxwriter.exceptions import XlsxFileError
from xlsxwriter.image import Image

from charts.formatting import format_change, format_value
from exports import files
from exports.document import TEMPLATES, Column, ExportItem, Report, Table
from exports.excel_charts import CHART_WIDTH, ChartPlan, chart_plan, draw_chart, write_block
from exports.excel_sheets import (
    HEADER_ROW,
    Book,
    Progress,
    column_widths,
    excel_number_format,
    excel_serial,
    row_writer,
    write_head,
)

ROW_LIMIT = 1_048_576  # Excel's rows per sheet; tests lower it to check the split
CHUNK_ROWS = 10_000  # rows between progress reports and cancel checks
GAP = 16  # pixels between the native chart and the picture
EXECUTIVE_KINDS = ("line", "area", "bar", "pie", "scatter", "heatmap")


def _rows_per_sheet() -> int:
    return ROW_LIMIT - HEADER_ROW - 1


def _table_sheets(book: Book, title: str, table: Table, context: str, note: str,
                  sheet_name: str | None = None) -> list:
    """`table` under a title on one sheet, or on as many as Excel's row limit needs. Returns the
    sheets written; the first holds rows from `HEADER_ROW + 1` down."""
    per_sheet = _rows_per_sheet()
    total = len(table.rows)
    parts = max(1, math.ceil(total / per_sheet))
    names = [sheet_name or book.names.add(title)] + [book.names.add(f"{title} ({part})")
                                                     for part in range(2, parts + 1)]
    formats = [book.column_format(column) for column in table.columns]
    widths = column_widths(table.columns, table.rows)
    sheets = []
    for part, name in enumerate(names):
        sheet = book.workbook.add_worksheet(name)
        sheets.append(sheet)
        start, stop = part * per_sheet, min(total, (part + 1) * per_sheet)
        part_note = note
        if parts > 1:
            following = f"; continued on sheet '{names[part + 1]}'" if part + 1 < parts else ""
            part_note = (f"Rows {start + 1:,} to {stop:,} of {total:,} (an Excel sheet holds "
                         f"{ROW_LIMIT:,} rows){following}. {note}").strip()
        write_head(book, sheet, title, context, part_note)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        header = book.style("header")
        for index, column in enumerate(table.columns):
            sheet.write_string(HEADER_ROW, index, column.label, header)
        write = row_writer(book, sheet, formats)
        for chunk in range(start, stop, CHUNK_ROWS):
            # Rows count as progress only in a long table; a widget's few are one step.
            book.check(chunk, total, f"Writing {title}: row {chunk:,} of {total:,}", total > CHUNK_ROWS)
            for row, values in enumerate(table.rows[chunk:min(stop, chunk + CHUNK_ROWS)],
                                         HEADER_ROW + 1 + chunk - start):
                write(row, values)
        if table.columns:
            sheet.freeze_panes(HEADER_ROW + 1, 0)
            sheet.autofilter(HEADER_ROW, 0, HEADER_ROW + max(stop - start, 1), len(table.columns) - 1)
    return sheets


def _context(item: ExportItem, report: Report) -> str:
    """What the numbers on a widget sheet are: time range, filters, when the data was read."""
    parts = [f"Time range: {item.time_range}"] if item.time_range else []
    parts.append("Filters: " + ("; ".join(item.filters) if item.filters else "none"))
    if item.as_of is not None:
        parts.append(f"Data as of {item.as_of:%Y-%m-%d %H:%M} UTC")
    if report.template == "chart":
        parts.append(f"Exported by {report.generated_by or 'Pulseboard'} on "
                     f"{report.generated_at:%Y-%m-%d %H:%M} UTC")
    return " · ".join(parts)


def _kpi_note(item: ExportItem) -> str:
    kpi = item.kpi
    if kpi is None:
        return ""
    return (f"Value {format_value(kpi.value, kpi.format, kpi.currency)}, previous period "
            f"{format_value(kpi.previous, kpi.format, kpi.currency)}, change {format_change(kpi.delta)}.")


def _widget_sheet(book: Book, item: ExportItem, report: Report, name: str) -> None:
    """One widget: its table, pivot, native chart and picture; or its text, or its error."""
    context = _context(item, report)
    table = item.table
    if item.error is not None or item.kind == "text" or table is None or not table.columns:
        sheet = book.workbook.add_worksheet(name)
        write_head(book, sheet, item.title, context, _kpi_note(item))
        if item.error is not None:
            sheet.write_string(HEADER_ROW, 0, f"This widget could not be drawn: {item.error}",
                               book.style("error"))
        elif item.kind == "text":
            sheet.set_column(0, 0, 100, book.style("wrap"))
            for row, line in enumerate((item.text or "").splitlines()[:ROW_LIMIT - HEADER_ROW], HEADER_ROW):
                sheet.write_string(row, 0, line)
        else:
            sheet.write_string(HEADER_ROW, 0, "This widget has no data table.", book.style("note"))
            _picture(book, sheet, item, HEADER_ROW + 2, 0)
        return
    if item.kind == "table":
        plan = ChartPlan()
    elif len(table.rows) <= _rows_per_sheet():
        plan = chart_plan(item, HEADER_ROW + 1, ROW_LIMIT)
    else:
        plan = ChartPlan(note="The table is longer than one sheet, so there is no native chart.")
    note = " ".join(text for text in (_kpi_note(item), plan.note) if text)
    sheet = _table_sheets(book, item.title, table, context, note, name)[0]
    right = len(table.columns) + 1
    if plan.block is not None:
        block_widths = write_block(book, sheet, plan.block, colour_scale=plan.chart_type is None)
        table_widths = column_widths(table.columns, table.rows)
        for col, width in enumerate(block_widths):
            sheet.set_column(col, col, max(width, table_widths[col] if col < len(table_widths) else 0))
        right = max(right, len(block_widths) + 1)
    if item.kind == "table":
        _data_bars(sheet, table)
        return
    if plan.chart_type is not None:
        draw_chart(book, sheet, plan, right)
    _picture(book, sheet, item, HEADER_ROW, right, CHART_WIDTH + GAP if plan.chart_type else 0)


def _data_bars(sheet, table: Table) -> None:
    """A data bar in each measure column of a table widget."""
    for index, column in enumerate(table.columns):
        if column.kind == "number" and table.rows:
            sheet.conditional_format(HEADER_ROW + 1, index, HEADER_ROW + len(table.rows), index,
                                     {"type": "data_bar", "bar_color": "#A5B4FC"})


def _picture(book: Book, sheet, item: ExportItem, row: int, col: int, x_offset: int = 0) -> None:
    """The rendered PNG of the figure, scaled to the chart's width."""
    png = item.images.get("png")
    if not png or item.kind == "table":
        return
    try:
        image = Image(io.BytesIO(png))
        shown_width = image.width * 96 / (image.x_dpi or 96)
    except (XlsxFileError, ValueError, IndexError, struct.error):
        sheet.write_string(row, col, "The picture of this chart could not be read.", book.style("note"))
        return
    scale = CHART_WIDTH / shown_width if shown_width else 1
    sheet.insert_image(row, col, image, {
        "x_scale": scale, "y_scale": scale, "x_offset": x_offset,
        "object_position": 1, "description": f"{item.title} as shown on the dashboard"})


def _summary(book: Book, report: Report, name: str, sheet_names: dict[str, str]) -> None:
    """The Summary sheet: what the workbook is, its KPIs with coloured changes, its contents."""
    sheet = book.workbook.add_worksheet(name)
    for col, width in enumerate((30, 40, 16, 16, 40)):
        sheet.set_column(col, col, width)
    sheet.write_string(0, 0, report.title or "Pulseboard export", book.style("title"))
    sheet.write_string(1, 0, TEMPLATES.get(report.template, report.template.capitalize()),
                       book.style("context"))
    label = book.style("label")
    row = 3
    for heading, value in (("Source", report.source or "Pulseboard"),
                           ("Generated by", report.generated_by or "—")):
        sheet.write_string(row, 0, heading, label)
        sheet.write_string(row, 1, value)
        row += 1
    sheet.write_string(row, 0, "Generated at", label)
    sheet.write_number(row, 1, excel_serial(report.generated_at) or 0, book.style("when"))
    row += 1
    sheet.write_string(row, 0, "Filters in force", label)
    for line in report.filters or ("None",):
        sheet.write_string(row, 1, line)
        row += 1
    row += 1
    kpis = report.kpis
    if kpis:
        row = _kpi_table(book, sheet, row, kpis) + 1
    header = book.style("header")
    for col, text in enumerate(("Sheet", "Widget", "Type", "Rows", "Note")):
        sheet.write_string(row, col, text, header)
    for item in report.items:
        if item.id not in sheet_names:
            continue
        row += 1
        target = sheet_names[item.id].replace("'", "''")
        sheet.write_url(row, 0, f"internal:'{target}'!A1", book.style("link"), string=sheet_names[item.id])
        sheet.write_string(row, 1, item.title)
        sheet.write_string(row, 2, item.kind)
        if item.table is not None and item.error is None and item.table.columns:
            sheet.write_number(row, 3, len(item.table.rows), book.format(num_format="#,##0"))
        if item.error is not None:
            sheet.write_string(row, 4, f"Could not be drawn: {item.error}", book.style("error"))


def _kpi_table(book: Book, sheet, row: int, kpis: list[ExportItem]) -> int:
    """KPI, value, previous, change; the change green when it went the good way, red when not.
    Returns the last row written."""
    header = book.style("header")
    for col, text in enumerate(("KPI", "Value", "Previous period", "Change", "Better when")):
        sheet.write_string(row, col, text, header)
    for item in kpis:
        kpi = item.kpi
        row += 1
        value_format = book.format(num_format=excel_number_format(kpi.format, kpi.currency) or "General")
        sheet.write_string(row, 0, kpi.label or item.title)
        for col, value in ((1, kpi.value), (2, kpi.previous)):
            if value is not None and math.isfinite(value):
                sheet.write_number(row, col, value, value_format)
        delta = kpi.delta
        if delta is not None and math.isfinite(delta):
            sheet.write_number(row, 3, delta, book.style("change"))
        sheet.write_string(row, 4, "higher" if kpi.higher_is_better else "lower")
        up, down = ("good", "bad") if kpi.higher_is_better else ("bad", "good")
        sheet.conditional_format(row, 3, row, 3, {"type": "cell", "criteria": ">", "value": 0,
                                                  "format": book.style(up)})
        sheet.conditional_format(row, 3, row, 3, {"type": "cell", "criteria": "<", "value": 0,
                                                  "format": book.style(down)})
    return row + 1


AUDIT_COLUMNS = (Column("sheet", "Sheet"), Column("widget", "Widget"), Column("kind", "Type"),
                 Column("status", "Status"), Column("filters", "Filters"),
                 Column("time_range", "Time range"), Column("as_of", "Data as of (UTC)", "datetime"),
                 Column("data_version", "Data version", "number", "integer"),
                 Column("rows", "Rows", "number", "integer"), Column("sha256", "SHA-256 of the data"))


def audit_table(report: Report, sheet_names: dict[str, str]) -> Table:
    """One row per widget: where it is, the exact filters and time range, when and which version
    of the data was read, its row count and the SHA-256 of its table (`Table.sha256`)."""
    rows = []
    for item in report.items:
        has_table = item.table is not None and item.error is None and bool(item.table.columns)
        rows.append((sheet_names.get(item.id), item.title, item.kind,
                     "OK" if item.error is None else f"Error: {item.error}",
                     "; ".join(item.filters) or "none", item.time_range, item.as_of, item.data_version,
                     len(item.table.rows) if has_table else None,
                     item.table.sha256() if has_table else None))
    return Table(AUDIT_COLUMNS, rows)


def _audit(book: Book, report: Report, sheet_names: dict[str, str]) -> None:
    context = (f"Generated by {report.generated_by or '—'} on {report.generated_at:%Y-%m-%d %H:%M} UTC"
               f" · Source: {report.source or 'Pulseboard'}")
    note = "Dashboard filters: " + ("; ".join(report.filters) or "none")
    _table_sheets(book, "Audit", audit_table(report, sheet_names), context, note)


def _items_for(report: Report) -> list[ExportItem]:
    if report.template == "executive":
        return [item for item in report.items if item.kind in EXECUTIVE_KINDS]
    return list(report.items)


@contextlib.contextmanager
def _open_book(target, title: str, author: str, progress: Progress | None,
               cancelled: Callable[[], bool] | None) -> Iterator[Book]:
    """A workbook to fill, saved when the block ends; closed all the same when it fails, so that
    xlsxwriter's temporary files are removed (the caller discards the half-made file)."""
    book = Book(target, progress, cancelled)
    try:
        book.workbook.set_properties({"title": title, "author": author, "comments": "Made by Pulseboard"})
        yield book
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one worth raising
            book.close()
        raise
    book.close()


def _write_report(report: Report, target, progress: Progress | None,
                  cancelled: Callable[[], bool] | None) -> None:
    with _open_book(target, report.title, report.generated_by, progress, cancelled) as book:
        items = _items_for(report)
        summary = book.names.add("Summary") if report.template != "chart" else None
        sheet_names = {item.id: book.names.add(item.title) for item in items}
        if summary is not None:  # first, so it opens first; the names above are kept for it
            _summary(book, report, summary, sheet_names)
        for position, item in enumerate(items):
            book.check(position, len(items), f"Writing {item.title}")
            _widget_sheet(book, item, report, sheet_names[item.id])
        if report.template == "audit":
            _audit(book, report, sheet_names)
        book.check(len(items), len(items), "Saving the workbook")


def write_workbook(report: Report, target: str | Path | BinaryIO, *, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None) -> None:
    """Write `report` as an .xlsx workbook to `target` (a path or a binary file object).

    Templates: "chart" is one sheet; "executive" a Summary and its charts; "detailed" a Summary
    and every widget; "audit" adds an Audit sheet. Raises `Cancelled` when `cancelled()` turns
    true between widgets or every `CHUNK_ROWS` rows.
    """
    files.write_to(target, lambda handle: _write_report(report, handle, progress, cancelled))


def write_table_workbook(title: str, table: Table, target: str | Path | BinaryIO, *,
                         progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                         context: str = "") -> None:
    """Write one raw table, however long, as an .xlsx workbook: typed cells, number and date
    formats, frozen header and autofilter; continued on further sheets past Excel's row limit."""

    def write(handle: BinaryIO) -> None:
        with _open_book(handle, title, "", progress, cancelled) as book:
            _table_sheets(book, title or "Data", table, context or f"{len(table.rows):,} rows", "")

    files.write_to(target, write)
