"""Native Excel charts for widget sheets: which chart a widget gets and where its data lies
(`chart_plan`, a `ChartPlan`), the grid written below a widget's table for it (a `Block`: a long
table pivoted into one column per series, or a heatmap's coloured grid), and the chart itself.

The chart mirrors how `charts.widgets` draws the widget, in the figure's colours and without the
series the user hid. Its title and names are references to cells, never text, which xlsxwriter
would read as a formula when it begins with "=". Kept apart from `exports.excel`, which lays out
the sheets, because deciding what to chart is most of the workbook's logic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from charts.theme import PALETTE
from exports.document import Column, ExportItem
from exports.excel_sheets import (
    DATE_FORMATS,
    HEADER_ROW,
    HEADER_STYLE,
    Book,
    column_widths,
    excel_number_format,
    row_writer,
    shown_text,
)

CHART_WIDTH, CHART_HEIGHT = 720, 360  # pixels
CHART_POINT_LIMIT = 32_000  # points per series in Excel 2007's charts; beyond that, the picture
CHART_SERIES_LIMIT = 255  # series per Excel chart
GRID_COLUMN_LIMIT = 16_383  # Excel's columns, less the one holding row labels
_DATE_KINDS = ("date", "datetime")


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


def chart_plan(item: ExportItem, first_row: int, row_limit: int) -> ChartPlan:
    """The native chart for `item`, mirroring how `charts.widgets` draws it: a time or category
    column first, then one series per measure column ("wide"), or, when a dimension follows
    the time column, one series per value of the last dimension, pivoted below the table.
    `row_limit` is the rows a sheet holds: a grid that would not fit gets no chart."""
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
        if len(headings) > GRID_COLUMN_LIMIT or block_row + len(keys) >= row_limit:
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
        if block_row + len(keys) >= row_limit:
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


def write_block(book: Book, sheet, block: Block, colour_scale: bool) -> list[float]:
    """The grid below the table (chart data, or a heatmap); returns the widths it needs."""
    header = book.style("header")
    sheet.write_string(block.row - 1, 0, block.caption, book.style("note"))
    heading = header
    if block.heading_column is not None and block.heading_column.kind in DATE_FORMATS:
        heading = book.format(**HEADER_STYLE, num_format=DATE_FORMATS[block.heading_column.kind])
    row_writer(book, sheet, [header] + [heading] * len(block.headings))(
        block.row, [block.corner, *block.headings])
    write = row_writer(book, sheet, [book.column_format(block.key_column)]
                       + [book.column_format(block.value_column)] * len(block.headings))
    for row, (key, values) in enumerate(zip(block.keys, block.grid, strict=True), block.row + 1):
        write(row, [key, *values])
    last_row, last_col = block.row + len(block.keys), len(block.headings)
    if colour_scale and block.keys and block.headings:
        sheet.conditional_format(block.row + 1, 1, last_row, last_col, {
            "type": "3_color_scale", "min_color": "#F8FAFC", "mid_color": "#A5B4FC",
            "max_color": PALETTE[0]})
    headings = [block.corner] + [shown_text(h, block.heading_column) if block.heading_column else str(h)
                                 for h in block.headings]
    rows = [[key, *values] for key, values in zip(block.keys, block.grid, strict=True)]
    return column_widths([block.key_column] + [block.value_column] * len(block.headings), rows, headings)


def draw_chart(book: Book, sheet, plan: ChartPlan, col: int) -> None:
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
