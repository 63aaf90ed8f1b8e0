"""Widgets as the user sees them, gathered into `ExportItem`s: the one way into every export.

Each item comes from `pipeline.widget_view`, the function the screen draws with, so a file holds
the same figure and the same aggregated rows. What only the browser knows (zoom and pan, legend
entries the user hid) arrives as a small *view state* and is applied here, after checking that
every key and value is one a graph could have sent.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Iterator

import plotly.graph_objects as go

from charts.widgets import column_labels, number_format, plain_values
from context import carried
from data.dashboard_spec import DashboardSpec, TimeRange, WidgetSpec
from data.datasets import UnknownField, get_dataset
from data.query import BUCKET, Filter
from data.widget_data import CrossFilter, WidgetData
from exports.document import Column, ExportItem, Kpi, Table
from pipeline import WidgetView, widget_view

# What a graph's relayoutData may say about its axes: `xaxis.range[0]`, `yaxis2.range`,
# `xaxis.autorange`. Anything else a browser sends is ignored.
AXIS_KEY = re.compile(r"^(?P<axis>[xy]axis\d{0,2})\.(?P<prop>range\[[01]\]|range|autorange)$")
MAX_HIDDEN = 200
OPERATORS = {
    "in": "is",
    "not_in": "is not",
    "eq": "=",
    "ne": "≠",
    "gt": ">",
    "gte": "≥",
    "lt": "<",
    "lte": "≤",
}


def _axis_value(value) -> float | str | None:
    """A number, or a date string as plotly writes it; anything else is refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and len(value) <= 40 and re.fullmatch(r"[0-9 :.\-T+]+", value):
        return value
    return None


def view_layout(relayout) -> dict[str, dict]:
    """The axis ranges a graph's relayoutData asks for, as a `layout` update. Unknown keys and
    malformed values are dropped, so a forged request changes nothing else."""
    update: dict[str, dict] = {}
    if not isinstance(relayout, dict):
        return update
    for key, value in list(relayout.items())[:50]:
        match = AXIS_KEY.match(str(key))
        if match is None:
            continue
        axis, prop = match["axis"], match["prop"]
        target = update.setdefault(axis, {})
        if prop == "autorange":
            if value is True:
                target.pop("range", None)
                target["autorange"] = True
        elif prop == "range":
            if isinstance(value, list | tuple) and len(value) == 2:
                bounds = [_axis_value(v) for v in value]
                if None not in bounds:
                    target.update(range=bounds, autorange=False)
        else:
            bound = _axis_value(value)
            if bound is not None:
                current = list(target.get("range") or [None, None])
                current[int(prop[-2])] = bound
                target.update(range=current, autorange=False)
    for axis, target in list(update.items()):
        if not target or ("range" in target and None in target["range"]):
            del update[axis]  # half a range: plotly would treat it as nonsense
    return update


def apply_view(figure: go.Figure, view: dict | None) -> go.Figure:
    """The figure as the user sees it: their zoom and pan, and the legend entries they hid."""
    if not view:
        return figure
    figure = go.Figure(figure)
    layout = view_layout(view.get("relayout"))
    if layout:
        figure.update_layout(**layout)
    hidden = _names(view.get("hidden"))
    for trace in figure.data:
        if trace.type != "pie" and getattr(trace, "name", None) in hidden:
            trace.visible = "legendonly"
    labels = _names(view.get("hiddenlabels"))
    if labels and any(trace.type == "pie" for trace in figure.data):
        figure.update_layout(hiddenlabels=sorted(labels))
    return figure


def _names(values) -> set[str]:
    """Legend names the browser says are hidden (at most `MAX_HIDDEN`, each cut to 200 chars)."""
    if not isinstance(values, list):
        return set()
    return {str(value)[:200] for value in values[:MAX_HIDDEN] if isinstance(value, str | int | float)}


def _kind(data: WidgetData, field: str) -> tuple[str, str | None, str]:
    if field == BUCKET:
        return "datetime", None, "USD"
    for index, measure in enumerate(data.measures):
        if measure.name == field:  # the widget's own number format holds only for a lone measure
            fmt = number_format(data, index) if len(data.measures) == 1 else measure.format
            return "number", fmt, measure.currency
    for dimension in data.dimensions:
        if dimension.name == field:
            kind = dimension.type if dimension.type in ("number", "date", "datetime") else "text"
            return kind, None, "USD"
    return "text", None, "USD"


def table_of(data: WidgetData) -> Table:
    """The widget's aggregated rows, with labelled and typed columns; for a KPI, its series."""
    labels = column_labels(data)
    if data.widget.type == "kpi":
        frame = data.series if data.series is not None else None
        if frame is None or frame.empty:
            return Table((), ())
        measure = data.measures[0]
        columns = (
            Column(BUCKET, "Time", "datetime"),
            Column("value", measure.label, "number", number_format(data), measure.currency),
        )
        return Table(
            columns, list(zip(plain_values(frame[BUCKET]), plain_values(frame["value"]), strict=True))
        )
    fields = [name for name in data.frame.columns if name in labels]
    columns = []
    for field in fields:
        kind, fmt, currency = _kind(data, field)
        columns.append(Column(field, labels[field], kind, fmt, currency))
    values = [plain_values(data.frame[field]) for field in fields]
    return Table(tuple(columns), list(zip(*values, strict=True)) if values else [])


def _value_text(value) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe_filters(filters: Iterable[Filter], dataset_name: str | None) -> tuple[str, ...]:
    """Filters as a person reads them: "Region is EMEA, APAC"."""
    labels = {}
    if dataset_name:
        try:
            labels = {name: d.label for name, d in get_dataset(dataset_name).dimensions.items()}
        except UnknownField:
            labels = {}
    return tuple(
        f"{labels.get(item.field, item.field)} {OPERATORS.get(item.op, item.op)} {_value_text(item.value)}"
        for item in filters
    )


def dashboard_filters_text(spec: DashboardSpec, cross_filters: list[CrossFilter]) -> tuple[str, ...]:
    """The dashboard-level filters in force, for covers and summary sheets."""
    lines = []
    if spec.filters.time_range is not None:
        lines.append(f"Time range: {spec.filters.time_range.label}")
    for field, values in spec.filters.dimensions().items():
        if values:
            lines.append(f"{field.replace('_', ' ').capitalize()} is {_value_text(values)}")
    for item in cross_filters:
        lines.append(
            f"{item.field.replace('_', ' ').capitalize()} is {_value_text(item.values)} "
            f"(clicked in {item.source})"
        )
    return tuple(lines)


def item_from_view(view: WidgetView, as_of: dt.datetime, state: dict | None = None) -> ExportItem:
    """An `ExportItem` from what `widget_view` drew, with the user's view state applied."""
    widget = view.widget
    common = {
        "id": widget.id,
        "title": widget.title or _default_title(widget),
        "kind": widget.type,
        "as_of": as_of,
        "stacked": widget.options.stacked,
        "horizontal": widget.options.orientation == "horizontal",
        "donut": widget.options.donut,
    }
    if widget.type == "text":
        return ExportItem(**common, text=widget.options.markdown)
    if view.error is not None or view.data is None:
        return ExportItem(**common, error=view.error or "This widget could not be loaded.")
    data = view.data
    kpi = None
    if widget.type == "kpi":
        measure = data.measures[0]
        kpi = Kpi(
            common["title"],
            data.value,
            data.previous,
            number_format(data),
            measure.currency,
            measure.higher_is_better,
        )
    figure = apply_view(view.figure, state) if view.figure is not None else None
    return ExportItem(
        **common,
        figure=figure,
        table=table_of(data),
        kpi=kpi,
        filters=describe_filters(data.filters, widget.dataset),
        time_range=data.range.label,
        data_version=data.version,
    )


def _default_title(widget: WidgetSpec) -> str:
    names = ", ".join(ref if isinstance(ref, str) else ref.name for ref in widget.measures)
    return names.replace("_", " ").capitalize() or widget.type.capitalize()


def with_time_range(spec: DashboardSpec, time_range: TimeRange | None) -> DashboardSpec:
    """The dashboard with the export dialog's date range in place of its own (widgets that pin
    their own range keep it, as they do on screen)."""
    if time_range is None:
        return spec
    filters = spec.filters.model_copy(update={"time_range": time_range})
    return spec.model_copy(update={"filters": filters})


def reading_order(spec: DashboardSpec, chosen: Iterable[str] | None = None) -> list[WidgetSpec]:
    """The widgets (those in `chosen`, or all) top to bottom, then left to right, as on screen."""
    wanted = None if chosen is None else set(chosen)
    place = {item.i: (item.y, item.x) for item in spec.layout}
    return sorted(
        (w for w in spec.widgets if wanted is None or w.id in wanted),
        key=lambda w: place.get(w.id, (10**6, 0)),
    )


def dashboard_items(
    spec: DashboardSpec,
    widget_ids: Iterable[str] | None,
    cross_filters: list[CrossFilter],
    theme: str,
    as_of: dt.datetime,
) -> list[ExportItem]:
    """The chosen widgets' items (all when `widget_ids` is None), in the dashboard's reading order."""
    return list(stream_items(spec, reading_order(spec, widget_ids), cross_filters, theme, as_of))


def stream_items(
    spec: DashboardSpec,
    widgets: list[WidgetSpec],
    cross_filters: list[CrossFilter],
    theme: str,
    as_of: dt.datetime,
) -> Iterator[ExportItem]:
    """The widgets' items in order, each loaded on a helper thread while the caller works on the
    ones before it (an export renders item n while item n + 1 is queried and drawn)."""
    load = carried(lambda widget: item_from_view(widget_view(widget, spec, cross_filters, theme), as_of))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-items")
    try:
        yield from pool.map(load, widgets)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def replace_images(item: ExportItem, images: dict[str, bytes]) -> ExportItem:
    return dataclasses.replace(item, images={**item.images, **images})
