"""What every sheet of a Pulseboard workbook is written with: the workbook's options, the cell
formats and styles, the `Book` being written (each format made once, the sheet names, progress
and cancel checks), a typed row writer, Excel serial dates, column widths and the three rows
above a table.

Sheets are written row by row in xlsxwriter's `constant_memory` mode with typed calls, so a big
table costs a few megabytes whatever its length. Strings are never turned into formulas, links
or numbers. `exports.excel` assembles the workbook from these and `exports.excel_charts` draws
its charts with them; both import this module, and it imports neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import xlsxwriter

from charts.formatting import CURRENCY_SYMBOLS
from charts.theme import BAD
from exports.document import Cancelled, Column
from exports.names import SheetNames

Progress = Callable[[int, int, str], None]
HEADER_ROW = 3  # zero-based: title, context and notes come first
WIDTH_MIN, WIDTH_MAX, WIDTH_SAMPLE = 8, 50, 500  # column widths in characters, rows sampled
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


class Book:
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


def row_writer(book: Book, sheet, formats: Sequence) -> Callable[[int, Sequence], None]:
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


def shown_text(value, column: Column) -> str:
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
            longest = max(longest, len(shown_text(value, column)) + 2)
        widths.append(float(min(max(longest, WIDTH_MIN), WIDTH_MAX)))
    return widths


def write_head(book: Book, sheet, title: str, context: str, note: str) -> None:
    """The three rows above every table: title, context and notes."""
    sheet.write_string(0, 0, title, book.style("title"))
    if context:
        sheet.write_string(1, 0, context, book.style("context"))
    if note:
        sheet.write_string(2, 0, note, book.style("note"))
