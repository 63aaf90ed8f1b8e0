"""`build_figure(data, theme)`: a widget's figure, one small function per widget type.

The page, the PNG and SVG exports, and the figures inside PDF reports and workbooks all come
from here. Points that can cross-filter (bars, pie slices) carry their dimension value in
`customdata`, which is what a click sends back. Traces hold plain lists, never numpy arrays.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from charts.formatting import D3_FORMATS
from charts.theme import BAD, GOOD, NEUTRAL, PALETTE, base_layout, themed
from data.query import BUCKET
from data.widget_data import WidgetData, change


class NotAFigure(ValueError):
    """Text widgets are not drawn by plotly."""


def number_format(data: WidgetData, index: int = 0) -> str:
    """The widget's number format, or its measure's own when the widget says "auto"."""
    chosen = data.widget.options.number_format
    return data.measures[index].format if chosen == "auto" else chosen


def plain_values(values) -> list:
    """A column as JSON-friendly Python values (NaN becomes None, timestamps datetimes)."""
    out = []
    for value in values:
        if isinstance(value, pd.Timestamp):
            out.append(value.to_pydatetime())
        elif isinstance(value, float) and math.isnan(value):
            out.append(None)
        elif hasattr(value, "item"):
            out.append(value.item())
        else:
            out.append(value)
    return out


def _colours(data: WidgetData) -> list[str]:
    return list(data.widget.options.colors) or PALETTE


def column_labels(data: WidgetData) -> dict[str, str]:
    names = {measure.name: measure.label for measure in data.measures}
    names.update({dimension.name: dimension.label for dimension in data.dimensions})
    names[BUCKET] = "Time"
    return names


def _series(data: WidgetData) -> list[tuple[str, str | None, pd.DataFrame]]:
    """(trace name, dimension value, rows) per trace: one per measure, or per dimension value."""
    frame = data.frame
    if data.dimensions and data.widget.time_grain:
        by = data.dimensions[-1].name
        measure = data.measures[0].name
        return [(str(value), value, group.rename(columns={measure: "_y"}))
                for value, group in frame.groupby(by, sort=True, dropna=False)]
    return [(measure.label, None, frame.rename(columns={measure.name: "_y"})) for measure in data.measures]


# Margins are sized here from the labels each axis will show, so that plotly's automargin
# (still on, as a safety net) rarely has to grow them: every growth redraws the whole chart in
# the browser, which cost about 160 ms of main-thread time over a 12-widget dashboard (measured).
CHAR_PX = 7.0  # an average character of the 12 px system font, a little generous
LINE_PX = 18  # one line of tick labels
TITLE_PX = 31  # an axis title: its 15 px standoff and one line of text
LEGEND_ROW_PX = 26
PLOT_WIDTH_GUESS = 440  # a half-width card's plot area, for how many labels fit on a row


def _number_text(values: list, kind: str) -> str:
    """The longest tick label a value axis will show, as its number format writes it."""
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool) and v == v]
    if not numbers:
        return ""
    biggest, sign = max(abs(v) for v in numbers), "−" if min(numbers) < 0 else ""
    if kind == "currency":
        return f"{sign}$8.8M"  # d3's ",.2s": two significant digits and an SI suffix
    if kind == "percent":
        return f"{sign}{biggest * 100:.1f}%"
    if kind == "integer":
        return f"{sign}{round(biggest):,}"
    return f"{sign}{biggest:,.2f}"


def _axis_values(figure: go.Figure, axis: str) -> list:
    values = []
    for trace in figure.data:
        values.extend(getattr(trace, axis[0], None) or ())
    return values


def _label_size(figure: go.Figure, axis: str, kind: str, fmt: str) -> tuple[float, float]:
    """(width, height) in px of an axis's tick labels: numbers in `fmt`, dates (two lines) or
    categories (turned 30 degrees by plotly when they do not fit side by side)."""
    if kind == "number":
        return len(_number_text(_axis_values(figure, axis), fmt)) * CHAR_PX, LINE_PX
    if kind == "date":
        return 6 * CHAR_PX, 2 * LINE_PX
    texts = {str(value) for value in _axis_values(figure, axis)}
    longest = max((len(text) for text in texts), default=0) * CHAR_PX
    crowded = len(texts) * (longest + CHAR_PX) > PLOT_WIDTH_GUESS
    return longest, (min(longest * 0.5, 110) + LINE_PX) if crowded else LINE_PX


def _legend_px(figure: go.Figure, shown: bool) -> float:
    if not shown:
        return 0
    width = sum(len(str(trace.name or "")) * CHAR_PX + 40 for trace in figure.data)
    return LEGEND_ROW_PX * max(1, math.ceil(width / PLOT_WIDTH_GUESS))


def _margins(figure: go.Figure, kinds: dict[str, tuple[str, str]], titles: dict[str, str],
             legend: bool) -> dict:
    _x_width, x_height = _label_size(figure, "xaxis", *kinds["xaxis"])
    y_width, _ = _label_size(figure, "yaxis", *kinds["yaxis"])
    left = min(y_width, 220) + (TITLE_PX if titles["yaxis"] else 0) + 12
    bottom = x_height + (TITLE_PX if titles["xaxis"] else 0) + 8 + _legend_px(figure, legend)
    return {"l": round(max(left, 40)), "r": 16, "t": 8, "b": round(max(bottom, 28))}


def _label_kind(data: WidgetData, axis: str, numbers: dict[str, str]) -> str:
    """What an axis without values shows: the time buckets (along x, or along y when the values
    run along x, as on horizontal bars), else categories."""
    return "date" if data.widget.time_grain and (axis == "xaxis" or "xaxis" in numbers) else "category"


def _finish(figure: go.Figure, data: WidgetData, theme: str, x_title: str, y_title: str,
            numbers: dict[str, str] | None = None) -> go.Figure:
    """Theme, titles, legend and margins. `numbers` maps each axis that shows values to its
    number format (default: the y axis, in the widget's format); any other axis shows dates when
    the widget has a time grain and runs along the x axis, else categories."""
    figure = themed(figure, theme)
    options = data.widget.options
    numbers = {"yaxis": number_format(data)} if numbers is None else numbers
    titles = {"xaxis": options.x_label if options.x_label is not None else x_title,
              "yaxis": options.y_label if options.y_label is not None else y_title}
    legend = options.show_legend and len(figure.data) > 1
    kinds = {axis: ("number", numbers[axis]) if axis in numbers else (_label_kind(data, axis, numbers), "")
             for axis in ("xaxis", "yaxis")}
    layout = {"showlegend": legend,
              # The legend sits at the figure's foot, under the axis title, in the room the
              # bottom margin keeps for it (placed in the plot's own units, it would drift over
              # the title as cards change height).
              "legend": {"yref": "container", "y": 0, "yanchor": "bottom"},
              "xaxis": {"title": {"text": titles["xaxis"]}},
              "yaxis": {"title": {"text": titles["yaxis"]}},
              "margin": _margins(figure, kinds, titles, legend)}
    for axis, kind in numbers.items():
        layout[axis]["tickformat"] = D3_FORMATS[kind]
    return figure.update_layout(**layout)


def _value_title(data: WidgetData) -> str:
    """The value axis title: the measure, or nothing when several share the axis (the legend
    names them)."""
    return data.measures[0].label if len(data.measures) == 1 else ""


def _x_axis(data: WidgetData) -> tuple[str, str]:
    """The category axis: the time bucket when there is one, else the first dimension."""
    if data.widget.time_grain:
        return BUCKET, "Time"
    return data.dimensions[0].name, data.dimensions[0].label


def line_figure(data: WidgetData, theme: str, area: bool = False) -> go.Figure:
    colours = _colours(data)
    hover = D3_FORMATS[number_format(data)]
    traces = []
    for position, (name, _value, rows) in enumerate(_series(data)):
        traces.append(go.Scatter(
            x=plain_values(rows[BUCKET]), y=plain_values(rows["_y"]), name=name, mode="lines",
            line={"color": colours[position % len(colours)]},
            stackgroup="one" if area and data.widget.options.stacked else None,
            fill=("tonexty" if position else "tozeroy") if area and not data.widget.options.stacked else None,
            hovertemplate=f"{name}<br>%{{x}}<br>%{{y:{hover}}}<extra></extra>"))
    return _finish(go.Figure(traces), data, theme, "Time", _value_title(data))


def bar_figure(data: WidgetData, theme: str) -> go.Figure:
    colours = _colours(data)
    horizontal = data.widget.options.orientation == "horizontal"
    x_name, x_title = _x_axis(data)
    hover = D3_FORMATS[number_format(data)]
    traces = []
    for position, (name, value, rows) in enumerate(_series(data)):
        categories = plain_values(rows[x_name])
        # What a click on this bar filters by: the trace's dimension value, or the bar's category.
        keys = [value] * len(rows) if value is not None else categories
        values = plain_values(rows["_y"])
        traces.append(go.Bar(
            x=values if horizontal else categories, y=categories if horizontal else values,
            orientation="h" if horizontal else "v", name=name, customdata=plain_values(keys),
            marker={"color": colours[position % len(colours)]},
            hovertemplate=f"{name}<br>%{{{'y' if horizontal else 'x'}}}<br>"
                          f"%{{{'x' if horizontal else 'y'}:{hover}}}<extra></extra>"))
    figure = go.Figure(traces)
    figure.update_layout(barmode="stack" if data.widget.options.stacked else "group")
    if horizontal:
        figure.update_layout(yaxis={"autorange": "reversed", "type": "category"
                                    if not data.widget.time_grain else "date"})
        return _finish(figure, data, theme, _value_title(data), x_title, {"xaxis": number_format(data)})
    if not data.widget.time_grain:
        figure.update_layout(xaxis={"type": "category"})
    return _finish(figure, data, theme, x_title, _value_title(data))


def pie_figure(data: WidgetData, theme: str) -> go.Figure:
    dimension, measure = data.dimensions[0].name, data.measures[0].name
    labels = plain_values(data.frame[dimension])
    colours = _colours(data)
    figure = go.Figure(go.Pie(
        labels=labels, values=plain_values(data.frame[measure]), customdata=labels, sort=False,
        hole=0.55 if data.widget.options.donut else 0, textinfo="percent",
        marker={"colors": [colours[index % len(colours)] for index in range(len(labels))]},
        hovertemplate=f"%{{label}}<br>%{{value:{D3_FORMATS[number_format(data)]}}} "
                      "(%{percent})<extra></extra>"))
    figure = themed(figure, theme)
    return figure.update_layout(showlegend=data.widget.options.show_legend,
                                margin={"l": 8, "r": 8, "t": 8, "b": 8},
                                legend={"orientation": "v", "y": 0.5, "x": 1.02})


def scatter_figure(data: WidgetData, theme: str) -> go.Figure:
    x_measure, y_measure = data.measures
    frame = data.frame
    names = plain_values(frame[data.dimensions[0].name]) if data.dimensions else None
    figure = go.Figure(go.Scatter(
        x=plain_values(frame[x_measure.name]), y=plain_values(frame[y_measure.name]), mode="markers",
        text=names,
        customdata=names, marker={"color": _colours(data)[0], "size": 9, "opacity": 0.8},
        hovertemplate=(("%{text}<br>" if names else "") + f"{x_measure.label}: "
                       f"%{{x:{D3_FORMATS[x_measure.format]}}}<br>{y_measure.label}: "
                       f"%{{y:{D3_FORMATS[y_measure.format]}}}<extra></extra>")))
    return _finish(figure, data, theme, x_measure.label, y_measure.label,
                   {"xaxis": x_measure.format, "yaxis": y_measure.format})


def heatmap_figure(data: WidgetData, theme: str) -> go.Figure:
    frame = data.frame
    measure = data.measures[0].name
    axes = ([BUCKET] if data.widget.time_grain else []) + [d.name for d in data.dimensions]
    x_name, y_name = axes[0], axes[1]
    grid = frame.pivot_table(index=y_name, columns=x_name, values=measure, aggfunc="sum")
    labels = column_labels(data)
    colours = _colours(data)
    figure = go.Figure(go.Heatmap(
        z=[plain_values(row) for row in grid.to_numpy().tolist()], x=plain_values(grid.columns),
        y=plain_values(grid.index),
        colorscale=[[0, "rgba(79,70,229,0.05)"], [1, colours[0]]], hoverongaps=False,
        hovertemplate=f"%{{x}}<br>%{{y}}<br>%{{z:{D3_FORMATS[number_format(data)]}}}<extra></extra>",
        colorbar={"tickformat": D3_FORMATS[number_format(data)]}))
    figure = _finish(figure, data, theme, labels[x_name], labels[y_name], numbers={})
    return figure.update_layout(yaxis={"type": "category"})


def kpi_figure(data: WidgetData, theme: str) -> go.Figure:
    """The value, its change against the period before, and a sparkline beneath them."""
    kind = number_format(data)
    measure = data.measures[0]
    delta = change(data.value, data.previous)
    good = None if not delta else (delta > 0) == measure.higher_is_better
    colour = NEUTRAL if good is None else GOOD if good else BAD
    up, down = (GOOD, BAD) if measure.higher_is_better else (BAD, GOOD)
    layout = base_layout(theme)
    series = data.series if data.series is not None else pd.DataFrame({BUCKET: [], "value": []})
    indicator = go.Indicator(
        mode="number+delta" if data.previous is not None else "number",
        value=data.value if data.value is not None else float("nan"),
        number={"valueformat": D3_FORMATS[kind], "font": {"size": 32, "color": layout["font"]["color"]}},
        delta={"reference": data.previous, "relative": True, "valueformat": ".1%", "position": "bottom",
               "increasing": {"color": up}, "decreasing": {"color": down}, "font": {"size": 13}}
        if data.previous is not None else None,
        domain={"x": [0, 1], "y": [0.42, 1]})
    figure = go.Figure([
        indicator,
        go.Scatter(x=plain_values(series[BUCKET]), y=plain_values(series["value"]), mode="lines",
                   fill="tozeroy",
                   line={"color": colour, "width": 2}, fillcolor="rgba(100,116,139,0.10)",
                   hovertemplate=f"%{{x}}<br>%{{y:{D3_FORMATS[kind]}}}<extra></extra>"),
    ])
    layout.update(margin={"l": 4, "r": 4, "t": 4, "b": 0}, showlegend=False,
                  xaxis={"visible": False, "domain": [0, 1]},
                  yaxis={"visible": False, "domain": [0, 0.34], "rangemode": "tozero"})
    return figure.update_layout(**layout)


def table_figure(data: WidgetData, theme: str) -> go.Figure:
    """The table as a plotly figure, for images and reports; the page uses `table_grid`."""
    columns, rows = table_grid(data)
    return grid_figure([column["headerName"] for column in columns],
                       [[row.get(column["field"]) for row in rows] for column in columns], theme)


def grid_figure(headers: list[str], cells: list[list], theme: str) -> go.Figure:
    """A plotly table of `cells` (one list per column) under `headers`, themed."""
    figure = go.Figure(go.Table(header={"values": headers, "align": "left"},
                                cells={"values": cells, "align": "left"}))
    figure = themed(figure, theme)
    return figure.update_layout(margin={"l": 4, "r": 4, "t": 4, "b": 4})


def table_grid(data: WidgetData) -> tuple[list[dict], list[dict]]:
    """AG Grid column definitions and rows, numbers pre-formatted the measure's way for display."""
    labels = column_labels(data)
    frame = data.frame
    columns, rows = [], []
    fields = [column for column in frame.columns if column in labels]
    for field in fields:
        definition = {"field": field, "headerName": labels[field]}
        measure = next((m for m in data.measures if m.name == field), None)
        if measure is not None:
            pattern = D3_FORMATS[measure.format]
            definition.update(type="rightAligned",
                              valueFormatter={"function": f"d3.format('{pattern}')(params.value)"})
        columns.append(definition)
    for record in frame[fields].to_dict("records"):
        rows.append({key: plain_values([value])[0] for key, value in record.items()})
    for row in rows:
        if BUCKET in row and row[BUCKET] is not None:
            row[BUCKET] = row[BUCKET].isoformat(sep=" ", timespec="minutes")
    return columns, rows


BUILDERS = {
    "kpi": kpi_figure,
    "line": line_figure,
    "area": lambda data, theme: line_figure(data, theme, area=True),
    "bar": bar_figure,
    "pie": pie_figure,
    "scatter": scatter_figure,
    "heatmap": heatmap_figure,
    "table": table_figure,
}


def build_figure(data: WidgetData, theme: str = "light") -> go.Figure:
    """The widget's figure; raises `NotAFigure` for text widgets. Never mutates `data`."""
    builder = BUILDERS.get(data.widget.type)
    if builder is None:
        raise NotAFigure(f"{data.widget.type} widgets are not drawn as figures")
    return builder(data, theme)


def series_points(data: WidgetData) -> dict[str, tuple[list, list]]:
    """Each trace's (times, values), by trace name, for a time-series widget's live patches."""
    return {name: (plain_values(rows[BUCKET]), plain_values(rows["_y"]))
            for name, _value, rows in _series(data)}


PATCHABLE = ("line", "area", "bar")  # with a time grain: new buckets append to the end of traces
