"""Tables in PDF reports: a widget's data table, the KPI summary and label/value facts.

Tables are drawn cell by cell rather than with fpdf2's `table()`: that one measures every cell
with a dry-run `multi_cell` and took 1.4 s for 1,000 rows of five columns, where plain cells
take 0.24 s (measured here). Cells hold one line; text too wide for its column ends in "…".
The header row is repeated on every page a table covers, and numbers are right-aligned.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from charts.formatting import CURRENCY_SYMBOLS, EMPTY, format_change, format_value
from charts.theme import BAD, GOOD, NEUTRAL
from exports.document import Column, ExportItem, Kpi, Table

# At most this many rows of one table are printed; the rest are in the Excel and CSV exports.
# 1,000 rows are about 20 A4 pages and 0.25 s of drawing.
ROW_LIMIT = 1000
MINUS = "\u2212"
INK, MUTED, RULE, HEAD_FILL = (15, 23, 42), (100, 116, 139), (226, 232, 240), (241, 245, 249)
FONT_SIZE, ROW_HEIGHT = 8, 5.2  # pt, mm
MIN_COLUMN, MAX_COLUMN = 22.0, 75.0  # mm


def rgb(colour: str) -> tuple[int, int, int]:
    """An "#rrggbb" colour as an (r, g, b) tuple."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def number_text(value: float, fmt: str | None, currency: str = "USD") -> str:
    """A number at full precision for a report: $1,234,567.80, 45.7%, 23,214, −1,234.50."""
    if isinstance(value, float) and not math.isfinite(value):
        return EMPTY
    size = abs(value)
    if fmt == "currency":
        body = f"{CURRENCY_SYMBOLS.get(currency, f'{currency} ')}{size:,.2f}"
    elif fmt == "percent":
        body = f"{size * 100:,.1f}%"
    elif fmt == "integer" or (fmt is None and isinstance(value, int)):
        body = f"{round(size):,}"
    else:
        body = f"{size:,.2f}"
    # No "−0.00": a value that rounds to zero has no sign.
    negative = value < 0 and any(digit in body for digit in "123456789")
    return f"{MINUS}{body}" if negative else body


def cell_text(value, column: Column) -> str:
    """One table value as printed: numbers by the column's format, dates in ISO 8601."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        spec = "minutes" if value.second == 0 and value.microsecond == 0 else "seconds"
        return value.isoformat(sep=" ", timespec=spec)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return number_text(value, column.format, column.currency)
    return str(value)


def fit(pdf: FPDF, text: str, width: float) -> str:
    """`text` cut to fit `width` (mm, cell padding included), ending in "…" when cut."""
    room = width - 2 * pdf.c_margin
    if pdf.get_string_width(text) <= room:
        return text
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with its ellipsis
        middle = (low + high + 1) // 2
        if pdf.get_string_width(text[:middle] + "…") <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low].rstrip() + "…"


def _is_number(column: Column) -> bool:
    return column.kind == "number"


def _widths(pdf: FPDF, table: Table, texts: list[list[str]]) -> list[float]:
    """Column widths by the widest of the header and the first 100 values (at most
    MAX_COLUMN), shrunk to the page when together they are wider: a narrow table stays
    narrow rather than spreading two columns across a landscape page."""
    pdf.set_font(style="B", size=FONT_SIZE)
    widths = [pdf.get_string_width(column.label) for column in table.columns]
    pdf.set_font(style="", size=FONT_SIZE)
    for row in texts[:100]:
        widths = [max(width, pdf.get_string_width(text)) for width, text in zip(widths, row, strict=False)]
    widths = [min(max(width + 2 * pdf.c_margin + 1, MIN_COLUMN), MAX_COLUMN) for width in widths]
    total = sum(widths)
    return [width * pdf.epw / total for width in widths] if total > pdf.epw else widths


def _header(pdf: FPDF, table: Table, widths: Sequence[float]) -> None:
    pdf.set_font(style="B", size=FONT_SIZE)
    pdf.set_fill_color(*HEAD_FILL)
    pdf.set_text_color(*INK)
    for column, width in zip(table.columns, widths, strict=True):
        pdf.cell(width, ROW_HEIGHT, fit(pdf, column.label, width), fill=True,
                 align="R" if _is_number(column) else "L")
    pdf.ln(ROW_HEIGHT)
    pdf.set_font(style="", size=FONT_SIZE)


def draw_table(pdf: FPDF, table: Table, limit: int = ROW_LIMIT) -> None:
    """Print a widget's data table at the cursor: at most `limit` rows, then a line saying
    how many were left out; the header row starts every page the table covers."""
    if not table.columns:
        return
    shown = table.rows[:limit]
    texts = [[cell_text(value, column) for value, column in zip(row, table.columns, strict=False)]
             for row in shown]
    widths = _widths(pdf, table, texts)
    pdf.set_font(size=FONT_SIZE)
    if pdf.will_page_break(ROW_HEIGHT * min(len(texts) + 1, 4)):
        pdf.add_page()
    _header(pdf, table, widths)
    pdf.set_draw_color(*RULE)
    aligns = ["R" if _is_number(column) else "L" for column in table.columns]
    for values in texts:
        if pdf.will_page_break(ROW_HEIGHT):
            pdf.add_page()
            _header(pdf, table, widths)
        for text, width, align in zip(values, widths, aligns, strict=False):
            pdf.cell(width, ROW_HEIGHT, fit(pdf, text, width), border="B", align=align)
        pdf.ln(ROW_HEIGHT)
    if not texts:
        note(pdf, "No rows.")
    elif table.row_count > len(shown):
        note(pdf, f"First {len(shown):,} of {table.row_count:,} rows; "
                  "the full table is in the Excel and CSV exports.")


def note(pdf: FPDF, text: str, colour: tuple[int, int, int] = MUTED) -> None:
    """A short line of small muted text at the cursor."""
    pdf.set_font(style="", size=FONT_SIZE)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*INK)


def change_colour(kpi: Kpi) -> tuple[int, int, int]:
    """Green when the change is good news, red when bad, grey when flat or undefined."""
    delta = kpi.delta
    if not delta:
        return rgb(NEUTRAL)
    return rgb(GOOD if (delta > 0) == kpi.higher_is_better else BAD)


def draw_kpi_table(pdf: FPDF, items: Sequence[ExportItem], titles: Sequence[str]) -> None:
    """KPI, value, previous period and change (coloured by whether it is good news)."""
    widths = [pdf.epw * share for share in (0.40, 0.20, 0.20, 0.20)]
    pdf.set_font(style="B", size=9)
    pdf.set_fill_color(*HEAD_FILL)
    for label, width, align in zip(("KPI", "Value", "Previous period", "Change"), widths, "LRRR",
                                   strict=True):
        pdf.cell(width, 7, label, fill=True, align=align)
    pdf.ln(7)
    pdf.set_draw_color(*RULE)
    for item, title in zip(items, titles, strict=True):
        kpi = item.kpi
        assert kpi is not None
        if pdf.will_page_break(7):
            pdf.add_page()
        pdf.set_font(style="", size=9)
        pdf.cell(widths[0], 7, fit(pdf, title, widths[0]), border="B")
        pdf.cell(widths[1], 7, format_value(kpi.value, kpi.format, kpi.currency), border="B", align="R")
        pdf.cell(widths[2], 7, format_value(kpi.previous, kpi.format, kpi.currency), border="B",
                 align="R")
        pdf.set_text_color(*change_colour(kpi))
        pdf.set_font(style="B")
        pdf.cell(widths[3], 7, format_change(kpi.delta), border="B", align="R")
        pdf.set_text_color(*INK)
        pdf.ln(7)


def draw_facts(pdf: FPDF, facts: Sequence[tuple[str, str]], mono: frozenset[str] = frozenset()) -> None:
    """Label/value pairs, values wrapping; labels named in `mono` print their value in monospace."""
    label_width = 38
    for label, value in facts:
        if pdf.will_page_break(5):
            pdf.add_page()
        pdf.set_font(style="B", size=FONT_SIZE)
        pdf.set_text_color(*MUTED)
        pdf.cell(label_width, 5, label)
        pdf.set_text_color(*INK)
        if label in mono:
            pdf.set_font("DejaVuMono", size=FONT_SIZE)
        else:
            pdf.set_font(style="", size=FONT_SIZE)
        pdf.multi_cell(0, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", size=FONT_SIZE)
