"""Excel workbooks from a `Report`: a Summary, one sheet per widget with its data, a native Excel
chart that stays live and editable, the rendered picture, and (audit) a fingerprint per table.

Every sheet is written row by row in xlsxwriter's `constant_memory` mode with typed calls, so a
big table costs a few megabytes whatever its length. Strings are never turned into formulas,
links or numbers, and chart titles and series names point at cells rather than being passed
as text, which xlsxwriter would read as a formula when it begins with "=".

Layout of a widget sheet: title (row 1), context (row 2), notes (row 3), header (row 4, frozen,
with an autofilter), data. A long table (time, dimension, measure) is pivoted into one column
per series *below* the table for the chart, because rows filtered by the autofilter would hide
chart data beside them; charts and pictures sit to the right of everything. A table longer than
Excel's sheet continues on further sheets ("Title (2)"), each saying which rows it holds.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import io
import math
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import xlsxwriter
from xlsxwriter.exceptions import XlsxFileError
from xlsxwriter.image import Image

from charts.formatting import CURRENCY_SYMBOLS, format_change, format_value
from charts.theme import BAD, PALETTE
from exports import files
from exports.document import TEMPLATES, Cancelled, Column, ExportItem, Report, Table
from exports.names import SheetNames

Progress = Callable[[int, int, str], None]
ROW_LIMIT = 1_048_576  # Excel's rows per sheet; tests lower it to check the split
HEADER_ROW = 3  # zero-based: title, context and notes come first
CHUNK_ROWS = 10_000  # rows between progress reports and cancel checks
WIDTH_MIN, WIDTH_MAX, WIDTH_SAMPLE = 8, 50, 500  # column widths in characters, rows sampled
CHART_WIDTH, CHART_HEIGHT, GAP = 720, 360, 16  # pixels
CHART_POINT_LIMIT = 32_000  # points per series in Excel 2007's charts; beyond that, the picture
CHART_SERIES_LIMIT = 255  # series per Excel chart
GRID_COLUMN_LIMIT = 16_383  # Excel's columns, less the one holding row labels
_DATE_KINDS = ("date", "datetime")
# nan_inf_to_errors: a stray NaN becomes #NUM! instead of an exception (tables hold None for gaps).
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                    "strings_to_numbers": False, "nan_inf_to_errors": True}
NUMBER_FORMATS = {"percent": "0.0%", "integer": "#,##0", "decimal": "#,##0.00"}
DATE_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm"}
CHANGE_FORMAT = '+0.0%;-0.0%;0.0%'
HEADER_STYLE = {"bold": True, "bg_color": "#EEF2FF", "bottom": 1, "text_wrap": True, "valign": "top"}
STYLES = {
    "title": {"bold": True, "font_size": 14},
    "context": {"font_color": "#475569"},
    "note": {"italic": True, "font_color": "#64748B"},
    "error": {"bold": True, "font_color": BAD},
    "header": HEADER_STYLE,
    "label": {"bold": True},
    "wrap": {"text_wrap": True, "valign": "top"},
    "link": {"font_color": "#4F46E5", "underline": 1},
    "change": {"num_format": CHANGE_FORMAT},
    "when": {"num_format": 'yyyy-mm-dd hh:mm "UTC"', "align": "left"},
    "good": {"bg_color": "#DCFCE7", "font_color": "#166534"},  # conditional formats only
    "bad": {"bg_color": "#FEE2E2", "font_color": "#991B1B"},
}
_EXCEL_EPOCH = dt.datetime(1899, 12, 31)
_FIRST_EXCEL_DATE = dt.datetime(1900, 1, 1)
EXECUTIVE_KINDS = ("line", "area", "bar", "pie", "scatter", "heatmap")


def excel_number_format(fmt: str | None, currency: str = "USD") -> str | None:
    """The Excel number format for a measure format, as `charts.formatting` names them."""
    if fmt == "currency":
        symbol = CURRENCY_SYMBOLS.get(currency, f"{currency} ").replace('"', "")
        return f'"{symbol}"#,##0.00'
    return NUMBER_FORMATS.get(fmt or "")


def excel_serial(value: dt.datetime | dt.date) -> float | None:
    """`value` as an Excel serial date (1900 system), or None before 1900; aware datetimes are
    converted to UTC first. Same numbers as xlsxwriter's `write_datetime`, a good deal faster."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    elif value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    if value < _FIRST_EXCEL_DATE:
        return None
    delta = value - _EXCEL_EPOCH
    serial = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return serial + 1 if serial > 59 else serial  # Excel counts a 29 February 1900 that never was


class _Book:
    """One workbook being written: its formats, sheet names, progress and cancel checks."""

    def __init__(self, target, progress: Progress | None, cancelled: Callable[[], bool] | None) -> None:
        self.workbook = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
        self.names = SheetNames()
        self.progress = progress or (lambda _done, _total, _label: None)
        self.cancelled = cancelled or (lambda: False)
        self._formats: dict[tuple, object] = {}

    def format(self, **properties):
        """A cell format, made once per distinct set of properties."""
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.workbook.add_format(properties)
        return self._formats[key]

    def style(self, name: str):
        """One of the `STYLES` by name."""
        return self.format(**STYLES[name])

    def column_format(self, column: Column):
        """The format cells of `column` are written with: its number or date format, or none."""
        if column.kind in DATE_FORMATS:
            return self.format(num_format=DATE_FORMATS[column.kind], align="left")
        pattern = excel_number_format(column.format, column.currency) if column.kind == "number" else None
        return self.format(num_format=pattern) if pattern else None

    def check(self, done: int, total: int, label: str, report: bool = True) -> None:
        """Raise `Cancelled` if the user cancelled; else report progress (when `report`)."""
        if self.cancelled():
            raise Cancelled()
        if report:
            self.progress(done, total, label)

    def close(self) -> None:
        self.workbook.close()


def _row_writer(book: _Book, sheet, formats: Sequence) -> Callable[[int, Sequence], None]:
    """A function writing one row of values, typed by value, with the column formats given.

    It calls xlsxwriter's typed writers without their A1-notation wrapper when they exist,
    which took about a tenth off writing 100,000 rows (measured); the public ones otherwise.
    """
    number = getattr(sheet, "_write_number", sheet.write_number)
    string = getattr(sheet, "_write_string", sheet.write_string)
    boolean = getattr(sheet, "_write_boolean", sheet.write_boolean)
    date_formats = [f if f is not None and getattr(f, "num_format", "") in DATE_FORMATS.values()
                    else book.format(num_format=DATE_FORMATS["datetime"], align="left") for f in formats]
    day_formats = [f if getattr(f, "num_format", "") in DATE_FORMATS.values()
                   else book.format(num_format=DATE_FORMATS["date"], align="left") for f in formats]

    def other(row: int, col: int, value) -> None:
        if isinstance(value, str):  # a str subclass stays text
            string(row, col, str(value))
        elif isinstance(value, dt.date):
            serial = excel_serial(value)
            if serial is None:
                string(row, col, value.isoformat())
            else:
                number(row, col, serial, date_formats[col] if isinstance(value, dt.datetime)
                       else day_formats[col])
        elif isinstance(value, bool):
            boolean(row, col, value)
        elif isinstance(value, int | float):  # subclasses: numpy scalars, IntEnum
            number(row, col, float(value), formats[col])
        else:
            try:
                number(row, col, float(value), formats[col])  # Decimal, Fraction
            except (TypeError, ValueError):
                string(row, col, str(value))

    def write(row: int, values: Sequence) -> None:
        for col, value in enumerate(values):
            kind = type(value)
            if kind is float or kind is int:
                number(row, col, value, formats[col])
            elif kind is str:
                string(row, col, value)
            elif kind is dt.datetime and value.tzinfo is None and value >= _FIRST_EXCEL_DATE:
                number(row, col, excel_serial(value), date_formats[col])
            elif value is not None:
                other(row, col, value)

    return write




@dataclasses.dataclass(frozen=True)
class Block:
    """A grid written below a widget's table: the long table pivoted for a chart, or a heatmap."""

    row: int  # its header row; the caption is on the row above
    caption: str
    corner: str  # top-left header
    key_column: Column  # what the row labels are (first column)
    heading_column: Column | None  # what the header values are; None when they are series names
    value_column: Column
    keys: list
    headings: list
    grid: list[list]


@dataclasses.dataclass(frozen=True)
class Series:
    name_cell: tuple[int, int]
    col: int
    colour: str


@dataclasses.dataclass(frozen=True)
class ChartPlan:
    """Which native chart a widget gets and where its data is on the sheet (zero-based cells)."""

    chart_type: str | None = None  # None: no native chart (a note says why)
    subtype: str | None = None
    first_row: int = 0
    last_row: int = 0
    category_col: int = 0
    series: tuple[Series, ...] = ()
    category_name: tuple[int, int] | None = None
    value_name: tuple[int, int] | None = None
    category_axis: dict = dataclasses.field(default_factory=dict)
    value_format: str | None = None
    point_colours: tuple[str, ...] = ()
    transparent: bool = False
    block: Block | None = None
    note: str = ""


@dataclasses.dataclass(frozen=True)
class _Traces:
    """What the figure the user saw says about its series."""

    names: frozenset[str] = frozenset()
    hidden: frozenset[str] = frozenset()  # legend entries the user switched off
    colours: dict = dataclasses.field(default_factory=dict)  # name: "#rrggbb"
    slices: tuple[str, ...] = ()  # a pie's slice colours
    first_colour: str | None = None  # of any trace, named or not (a sparkline, a scatter)


def _hex(colour) -> str | None:
    return colour if isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7) else None


def _traces(figure) -> _Traces:
    names, hidden, colours, slices, first = set(), set(), {}, (), None
    for trace in getattr(figure, "data", None) or ():
        if trace.type == "pie":
            slices = tuple(filter(None, map(_hex, trace.marker.colors or ())))
        parts = (trace[part] for part in ("line", "marker") if part in trace)
        colour = next(filter(None, (_hex(getattr(part, "color", None)) for part in parts)), None)
        first = first or colour
        name = getattr(trace, "name", None)
        if name is None:
            continue
        names.add(str(name))
        if trace.visible in ("legendonly", False):
            hidden.add(str(name))
        if colour:
            colours.setdefault(str(name), colour)
    return _Traces(frozenset(names), frozenset(hidden), colours, slices, first)


def _palette(position: int) -> str:
    return PALETTE[position % len(PALETTE)]


def _distinct_sorted(values) -> list:
    """Distinct values sorted, None last, as pandas' groupby and pivot_table order them."""
    distinct = list(dict.fromkeys(values))
    present = [value for value in distinct if value is not None]
    try:
        present.sort()
    except TypeError:  # mixed types: order them by how they read
        present.sort(key=str)
    return present + ([None] if None in distinct else [])


def pivot(rows, key: int, across: int, value: int) -> tuple[list, list, list[list]]:
    """Long rows to a grid: one row per distinct `key`, one column per distinct `across`, both
    sorted, summing `value` where pairs repeat (as the screen's pivot_table does); None where
    there is no value."""
    sums: dict[tuple, float] = {}
    for row in rows:
        number = row[value]
        if isinstance(number, int | float) and not isinstance(number, bool):
            cell = (row[key], row[across])
            sums[cell] = sums.get(cell, 0) + number
    keys = _distinct_sorted(row[key] for row in rows)
    headings = _distinct_sorted(row[across] for row in rows)
    return keys, headings, [[sums.get((k, h)) for h in headings] for k in keys]


def _series_name(value) -> str:
    return "(blank)" if value is None else str(value)


def chart_plan(item: ExportItem, first_row: int) -> ChartPlan:
    """The native chart for `item`, mirroring how `charts.widgets` draws it: a time or category
    column first, then one series per measure column ("wide"), or, when a dimension follows
    the time column, one series per value of the last dimension, pivoted below the table."""
    table = item.table
    columns, rows, count = table.columns, table.rows, len(table.rows)
    numeric = [i for i, c in enumerate(columns) if c.kind == "number"]
    others = [i for i, c in enumerate(columns) if c.kind != "number"]
    traces = _traces(item.figure)
    block_row = first_row + count + 2
    last_row = first_row + count - 1
    if not rows:
        return ChartPlan(note="There is no data to chart.")
    if item.kind == "heatmap":
        if len(others) < 2 or not numeric:
            return ChartPlan()
        x, y, v = others[0], others[1], numeric[0]
        keys, headings, grid = pivot(rows, y, x, v)
        if len(headings) > GRID_COLUMN_LIMIT or block_row + len(keys) >= ROW_LIMIT:
            return ChartPlan(note="The heatmap has too many cells for a grid on this sheet.")
        caption = ("Excel has no heatmap chart: this grid colours each cell by its value "
                   "(a 3-colour scale), as the heatmap on the dashboard does.")
        return ChartPlan(block=Block(block_row, caption, f"{columns[y].label} \\ {columns[x].label}",
                                     columns[y], columns[x], columns[v], keys, headings, grid),
                         note="Excel has no heatmap chart; the grid below the table is coloured by value.")
    if item.kind == "scatter":
        if len(numeric) < 2:
            return ChartPlan()
        x, y = numeric[:2]
        return ChartPlan("scatter", None, first_row, last_row, x,
                         (Series((HEADER_ROW, y), y, traces.first_colour or _palette(0)),),
                         (HEADER_ROW, x), (HEADER_ROW, y),
                         {"num_format": _format_of(columns[x]) or "General"}, _format_of(columns[y]))
    if not others or not numeric or item.kind not in ("line", "area", "bar", "pie", "kpi"):
        return ChartPlan()
    x = others[0]
    long = item.kind != "pie" and columns[x].kind in _DATE_KINDS and len(others) >= 2
    if long:
        by, v = others[-1], numeric[0]
        keys, headings, grid = pivot(rows, x, by, v)
        shown = [i for i, h in enumerate(headings) if not {_series_name(h), str(h)} & traces.hidden]
        visible = shown[:CHART_SERIES_LIMIT]
        caption = (f"Chart data: {columns[v].label} by {columns[by].label}, one column per "
                   f"{columns[by].label}, pivoted from the table above.")
        block = Block(block_row, caption, columns[x].label, columns[x], None, columns[v], keys,
                      [_series_name(h) for h in headings], grid)
        if block_row + len(keys) >= ROW_LIMIT:
            return ChartPlan(note="The table is too long to pivot for a chart on this sheet.")
        series = tuple(Series((block_row, i + 1), i + 1,
                              traces.colours.get(_series_name(headings[i]), _palette(i))) for i in visible)
        first, last, category_col, points, value_name = block_row + 1, block_row + len(keys), 0, len(keys), v
    else:
        # The measures the figure draws (a variance column beside them is not one), else all.
        candidates = [i for i in numeric if columns[i].label in traces.names] or numeric
        if item.kind in ("pie", "kpi"):
            candidates = candidates[:1]
        visible = [i for i in candidates if columns[i].label not in traces.hidden][:CHART_SERIES_LIMIT]
        sparkline = traces.first_colour if item.kind == "kpi" else None  # green or red, as on the card
        series = tuple(Series((HEADER_ROW, i), i,
                              traces.colours.get(columns[i].label, sparkline or _palette(n)))
                       for n, i in enumerate(visible))
        first, last, category_col, points, block = first_row, last_row, x, count, None
        value_name = visible[0] if len(visible) == 1 else None
    if not series:
        return ChartPlan(block=block, note="Every series is hidden, so there is no chart.")
    if points > CHART_POINT_LIMIT:
        return ChartPlan(block=block, note=f"{points:,} points are too many for a native Excel chart; "
                                           "the picture shows the chart.")
    chart_type, subtype = {
        "line": ("line", None), "kpi": ("line", None),
        "area": ("area", "stacked" if item.stacked else None),
        "bar": ("bar" if item.horizontal else "column", "stacked" if item.stacked else None),
        "pie": ("doughnut" if item.donut else "pie", None)}[item.kind]
    axis = {}
    if columns[x].kind in _DATE_KINDS:
        dates = [row[x] for row in rows if isinstance(row[x], dt.datetime)]
        whole_days = columns[x].kind == "date" or all(d.time() == dt.time() for d in dates)
        # Excel's date axis counts whole days: hourly points would pile up on one day.
        axis = {"date_axis": True, "num_format": "yyyy-mm-dd"} if whole_days else {"text_axis": True}
    if item.kind == "bar" and item.horizontal:
        axis.update(reverse=True, crossing="max")  # first row at the top, values below, as on screen
    pie = chart_type in ("pie", "doughnut")
    slices = traces.slices if len(traces.slices) >= count else tuple(map(_palette, range(count)))
    point_colours = slices[:count] if pie else ()
    return ChartPlan(chart_type, subtype, first, last, category_col, series, (HEADER_ROW, x),
                     (HEADER_ROW, value_name) if value_name is not None else None, axis,
                     _format_of(columns[numeric[0] if long else series[0].col]), point_colours,
                     item.kind == "area" and not item.stacked, block)


def _format_of(column: Column) -> str | None:
    return excel_number_format(column.format, column.currency) if column.kind == "number" else None


def _shown(value, column: Column) -> str:
    """About what Excel shows for `value` in `column`'s format, to size the column."""
    if isinstance(value, bool) or value is None:
        return str(value or "")
    if isinstance(value, int | float):
        if column.format == "percent":
            return f"{value * 100:.1f}%"
        if column.format == "currency":
            return f"{CURRENCY_SYMBOLS.get(column.currency, column.currency + ' ')}{value:,.2f}"
        return f"{value:,.0f}" if column.format == "integer" else f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return "2026-01-01" if column.kind == "date" else "2026-01-01 00:00"
    return str(value)


def column_widths(columns: Sequence[Column], rows: Sequence[Sequence],
                  header: Sequence[str] = ()) -> list[float]:
    """Column widths in characters: the longest word of the header (which wraps, beside its
    filter button) or the longest value shown in a sample of rows, within limits. Too narrow a
    number column would show ####."""
    widths = []
    sample = rows[:WIDTH_SAMPLE]
    for index, column in enumerate(columns):
        label = header[index] if index < len(header) else column.label
        longest = max((len(word) for word in str(label).split()), default=0) + 3
        for row in sample:
            value = row[index] if index < len(row) else None
            longest = max(longest, len(_shown(value, column)) + 2)
        widths.append(float(min(max(longest, WIDTH_MIN), WIDTH_MAX)))
    return widths


def _rows_per_sheet() -> int:
    return ROW_LIMIT - HEADER_ROW - 1


def _head(book: _Book, sheet, title: str, context: str, note: str) -> None:
    """The three rows above every table: title, context and notes."""
    sheet.write_string(0, 0, title, book.style("title"))
    if context:
        sheet.write_string(1, 0, context, book.style("context"))
    if note:
        sheet.write_string(2, 0, note, book.style("note"))


def _table_sheets(book: _Book, title: str, table: Table, context: str, note: str,
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
        _head(book, sheet, title, context, part_note)
        for index, width in enumerate(widths):
            sheet.set_column(index, index, width)
        header = book.style("header")
        for index, column in enumerate(table.columns):
            sheet.write_string(HEADER_ROW, index, column.label, header)
        write = _row_writer(book, sheet, formats)
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


def _widget_sheet(book: _Book, item: ExportItem, report: Report, name: str) -> None:
    """One widget: its table, pivot, native chart and picture; or its text, or its error."""
    context = _context(item, report)
    table = item.table
    if item.error is not None or item.kind == "text" or table is None or not table.columns:
        sheet = book.workbook.add_worksheet(name)
        _head(book, sheet, item.title, context, _kpi_note(item))
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
        plan = chart_plan(item, first_row=HEADER_ROW + 1)
    else:
        plan = ChartPlan(note="The table is longer than one sheet, so there is no native chart.")
    note = " ".join(text for text in (_kpi_note(item), plan.note) if text)
    sheet = _table_sheets(book, item.title, table, context, note, name)[0]
    right = len(table.columns) + 1
    if plan.block is not None:
        block_widths = _write_block(book, sheet, plan.block, colour_scale=plan.chart_type is None)
        table_widths = column_widths(table.columns, table.rows)
        for col, width in enumerate(block_widths):
            sheet.set_column(col, col, max(width, table_widths[col] if col < len(table_widths) else 0))
        right = max(right, len(block_widths) + 1)
    if item.kind == "table":
        _data_bars(sheet, table)
        return
    if plan.chart_type is not None:
        _chart(book, sheet, plan, right)
    _picture(book, sheet, item, HEADER_ROW, right, CHART_WIDTH + GAP if plan.chart_type else 0)


def _write_block(book: _Book, sheet, block: Block, colour_scale: bool) -> list[float]:
    """The grid below the table (chart data, or a heatmap); returns the widths it needs."""
    header = book.style("header")
    sheet.write_string(block.row - 1, 0, block.caption, book.style("note"))
    heading = header
    if block.heading_column is not None and block.heading_column.kind in DATE_FORMATS:
        heading = book.format(**HEADER_STYLE, num_format=DATE_FORMATS[block.heading_column.kind])
    _row_writer(book, sheet, [header] + [heading] * len(block.headings))(
        block.row, [block.corner, *block.headings])
    write = _row_writer(book, sheet, [book.column_format(block.key_column)]
                        + [book.column_format(block.value_column)] * len(block.headings))
    for row, (key, values) in enumerate(zip(block.keys, block.grid, strict=True), block.row + 1):
        write(row, [key, *values])
    last_row, last_col = block.row + len(block.keys), len(block.headings)
    if colour_scale and block.keys and block.headings:
        sheet.conditional_format(block.row + 1, 1, last_row, last_col, {
            "type": "3_color_scale", "min_color": "#F8FAFC", "mid_color": "#A5B4FC",
            "max_color": PALETTE[0]})
    headings = [block.corner] + [_shown(h, block.heading_column) if block.heading_column else str(h)
                                 for h in block.headings]
    rows = [[key, *values] for key, values in zip(block.keys, block.grid, strict=True)]
    return column_widths([block.key_column] + [block.value_column] * len(block.headings), rows, headings)


def _data_bars(sheet, table: Table) -> None:
    """A data bar in each measure column of a table widget."""
    for index, column in enumerate(table.columns):
        if column.kind == "number" and table.rows:
            sheet.conditional_format(HEADER_ROW + 1, index, HEADER_ROW + len(table.rows), index,
                                     {"type": "data_bar", "bar_color": "#A5B4FC"})


def _chart(book: _Book, sheet, plan: ChartPlan, col: int) -> None:
    """The native chart `plan` describes, anchored at (`HEADER_ROW`, `col`). Its title and names
    are references to cells, never text, which xlsxwriter would take as a formula after "="."""
    options = {"type": plan.chart_type}
    if plan.subtype:
        options["subtype"] = plan.subtype
    chart = book.workbook.add_chart(options)
    name = sheet.get_name()
    first, last = plan.first_row, plan.last_row
    for series in plan.series:
        options = {"name": [name, *series.name_cell],
                   "categories": [name, first, plan.category_col, last, plan.category_col],
                   "values": [name, first, series.col, last, series.col]}
        if plan.chart_type in ("pie", "doughnut"):
            options["points"] = [{"fill": {"color": colour}} for colour in plan.point_colours]
        elif plan.chart_type == "line":
            options.update(line={"color": series.colour, "width": 2}, marker={"type": "none"})
        elif plan.chart_type == "scatter":
            options["marker"] = {"type": "circle", "size": 6, "fill": {"color": series.colour},
                                 "border": {"color": series.colour}}
        else:
            fill = {"color": series.colour, "transparency": 45 if plan.transparent else 0}
            options.update(fill=fill, border={"none": True})
        chart.add_series(options)
    chart.set_title({"name": [name, 0, 0], "name_font": {"size": 12, "bold": True}})
    chart.set_size({"width": CHART_WIDTH, "height": CHART_HEIGHT})
    if plan.chart_type in ("pie", "doughnut"):
        chart.set_legend({"position": "right"})
        if plan.chart_type == "doughnut":
            chart.set_hole_size(55)
    else:
        chart.set_legend({"position": "bottom"} if len(plan.series) > 1 else {"none": True})
        category_axis = {**plan.category_axis}
        if plan.category_name is not None:
            category_axis["name"] = [name, *plan.category_name]
        value_axis = {"major_gridlines": {"visible": True, "line": {"color": "#E2E8F0"}}}
        if plan.value_format:
            value_axis["num_format"] = plan.value_format
        if plan.value_name is not None:
            value_axis["name"] = [name, *plan.value_name]
        if plan.chart_type == "bar":  # xlsxwriter's y axis is a bar chart's (vertical) category axis
            category_axis, value_axis = value_axis, category_axis
        chart.set_x_axis(category_axis)
        chart.set_y_axis(value_axis)
    sheet.insert_chart(HEADER_ROW, col, chart, {"object_position": 1})


def _picture(book: _Book, sheet, item: ExportItem, row: int, col: int, x_offset: int = 0) -> None:
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


def _summary(book: _Book, report: Report, name: str, sheet_names: dict[str, str]) -> None:
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
    kpis = [item for item in report.kpis if item.kpi is not None]
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


def _kpi_table(book: _Book, sheet, row: int, kpis: list[ExportItem]) -> int:
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


def _audit(book: _Book, report: Report, sheet_names: dict[str, str]) -> None:
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
               cancelled: Callable[[], bool] | None) -> Iterator[_Book]:
    """A workbook to fill, saved when the block ends; closed all the same when it fails, so that
    xlsxwriter's temporary files are removed (the caller discards the half-made file)."""
    book = _Book(target, progress, cancelled)
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


def _to_target(target, write: Callable[[BinaryIO], None]) -> None:
    """Write to a binary file object, or to a path atomically (no half-written file appears)."""
    if isinstance(target, str | Path):
        path = Path(target)
        files.write_atomically(path.parent, path.name, write)
    else:
        write(target)


def write_workbook(report: Report, target: str | Path | BinaryIO, *, progress: Progress | None = None,
                   cancelled: Callable[[], bool] | None = None) -> None:
    """Write `report` as an .xlsx workbook to `target` (a path or a binary file object).

    Templates: "chart" is one sheet; "executive" a Summary and its charts; "detailed" a Summary
    and every widget; "audit" adds an Audit sheet. Raises `Cancelled` when `cancelled()` turns
    true between widgets or every `CHUNK_ROWS` rows.
    """
    _to_target(target, lambda handle: _write_report(report, handle, progress, cancelled))


def write_table_workbook(title: str, table: Table, target: str | Path | BinaryIO, *,
                         progress: Progress | None = None, cancelled: Callable[[], bool] | None = None,
                         context: str = "") -> None:
    """Write one raw table, however long, as an .xlsx workbook: typed cells, number and date
    formats, frozen header and autofilter; continued on further sheets past Excel's row limit."""

    def write(handle: BinaryIO) -> None:
        with _open_book(handle, title, "", progress, cancelled) as book:
            _table_sheets(book, title or "Data", table, context or f"{len(table.rows):,} rows", "")

    _to_target(target, write)
