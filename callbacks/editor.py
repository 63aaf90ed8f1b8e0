"""The widget editor: fill it from the selected widget, offer only what the dataset declares, and
turn every change into a validated widget draft that the builder applies (the preview)."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, html, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from callbacks.dashboard_access import dashboard_for, field_values
from components import ids
from components.builder import CUSTOM_RANGE, DASHBOARD_RANGE
from components.dashboard import chip
from components.widgets import TYPE_LABELS
from data.dashboard_spec import WidgetSpec, measure_name, widget_field_problems
from data.datasets import AGGREGATION_LABELS, UnknownField, get_dataset

HIDDEN, SHOWN = {"display": "none"}, {}


def measure_options(dataset_name: str | None) -> list[dict]:
    """Each measure, and each other aggregation the dataset allows for it."""
    try:
        dataset = get_dataset(dataset_name)
    except UnknownField:
        return []
    options = []
    for measure in dataset.measures.values():
        options.append({"label": measure.label, "value": measure.name})
        options += [{"label": f"{measure.label} ({AGGREGATION_LABELS[agg]})",
                     "value": f"{measure.name}__{agg}"}
                    for agg in measure.aggregations if agg != measure.aggregation]
    return options


def dimension_options(dataset_name: str | None) -> list[dict]:
    try:
        dataset = get_dataset(dataset_name)
    except UnknownField:
        return []
    return [{"label": d.label, "value": d.name} for d in dataset.dimensions.values()]


def _measure_ref(value: str):
    name, _, aggregation = value.rpartition("__")
    return {"name": name, "aggregation": aggregation} if name else value


def _message(problems: list[str]):
    return html.Div([html.I(className="bi bi-exclamation-circle me-1"), html.Span("; ".join(problems))],
                    className="pb-editor-error", id="ed-problem")


@dash.callback(
    Output(ids.ED_PANEL, "style"),
    Output(ids.ED_EMPTY, "style"),
    Output(ids.ED_MEASURES, "options"),
    Output(ids.ED_DIMENSIONS, "options"),
    Output(ids.ED_FILTER_FIELD, "options"),
    Output(ids.ED_TYPE, "value"),
    Output(ids.ED_TITLE, "value"),
    Output(ids.ED_DATASET, "value"),
    Output(ids.ED_MEASURES, "value"),
    Output(ids.ED_DIMENSIONS, "value"),
    Output(ids.ED_GRAIN, "value"),
    Output(ids.ED_RANGE, "value"),
    Output(ids.ED_DATES, "start_date"),
    Output(ids.ED_DATES, "end_date"),
    Output(ids.ED_FILTERS, "data"),
    Output(ids.ED_SORT, "value"),
    Output(ids.ED_SORT_DESC, "value"),
    Output(ids.ED_LIMIT, "value"),
    Output(ids.ED_STYLE, "value"),
    Output(ids.ED_XLABEL, "value"),
    Output(ids.ED_YLABEL, "value"),
    Output(ids.ED_COLORS, "value"),
    Output(ids.ED_FORMAT, "value"),
    Output(ids.ED_MARKDOWN, "value"),
    Output(ids.ED_REFRESH, "value"),
    Input(ids.DB_SELECTED, "data"),
    State(ids.DB_DOC, "data"),
)
def fill_editor(selected, document):
    """Show the selected widget's settings (or the hint when none is selected)."""
    widgets = {w.get("id"): w for w in (document or {}).get("widgets", []) if isinstance(w, dict)}
    if selected not in widgets:
        return (HIDDEN, SHOWN, *([no_update] * 23))
    try:
        widget = WidgetSpec.model_validate(widgets[selected])
    except ValidationError:
        return (HIDDEN, SHOWN, *([no_update] * 23))
    options = widget.options
    time_range = widget.time_range
    range_value = DASHBOARD_RANGE if time_range is None else time_range.relative or CUSTOM_RANGE
    style = [name for name, on in (("stacked", options.stacked),
                                   ("horizontal", options.orientation == "horizontal"),
                                   ("donut", options.donut), ("legend", options.show_legend)) if on]
    return (
        SHOWN, HIDDEN, measure_options(widget.dataset), dimension_options(widget.dataset),
        dimension_options(widget.dataset), widget.type, widget.title, widget.dataset,
        [measure_name(ref) for ref in widget.measures], list(widget.dimensions), widget.time_grain or "",
        range_value, time_range.start.isoformat() if time_range and time_range.start else None,
        time_range.end.isoformat() if time_range and time_range.end else None,
        [item.model_dump(mode="json") for item in widget.filters],
        widget.sort.field if widget.sort else "", widget.sort.descending if widget.sort else True,
        widget.limit, style, options.x_label or "", options.y_label or "", ", ".join(options.colors),
        options.number_format, options.markdown, str(widget.refresh_seconds),
    )


@dash.callback(
    Output(ids.ED_MEASURES, "options", allow_duplicate=True),
    Output(ids.ED_DIMENSIONS, "options", allow_duplicate=True),
    Output(ids.ED_FILTER_FIELD, "options", allow_duplicate=True),
    Input(ids.ED_DATASET, "value"),
    prevent_initial_call=True,
)
def dataset_fields(dataset_name):
    """Only the measures, aggregations and dimensions this dataset declares."""
    return measure_options(dataset_name), dimension_options(dataset_name), dimension_options(dataset_name)


@dash.callback(
    Output(ids.ED_SORT, "options"),
    Input(ids.ED_MEASURES, "value"),
    Input(ids.ED_DIMENSIONS, "value"),
    Input(ids.ED_GRAIN, "value"),
    State(ids.ED_MEASURES, "options"),
    State(ids.ED_DIMENSIONS, "options"),
)
def sort_fields(measures, dimensions, grain, measure_choices, dimension_choices):
    labels = {item["value"]: item["label"] for item in (measure_choices or []) + (dimension_choices or [])}
    options = [{"label": "Default order", "value": ""}]
    options += [{"label": labels.get(name, name), "value": name}
                for name in (measures or []) + (dimensions or [])]
    if grain:
        options.append({"label": "Time", "value": "bucket"})
    return options


@dash.callback(
    Output(ids.ED_FILTER_VALUES, "options"),
    Input(ids.ED_FILTER_FIELD, "value"),
    State(ids.ED_DATASET, "value"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def filter_values(field, dataset_name, ref):
    """A field's values for the widget filter picker, for people editing this dashboard."""
    if not field or not dataset_name or dashboard_for(ref, need="edit") is None:
        return []
    return field_values(dataset_name, field)


@dash.callback(
    Output(ids.ED_FILTERS, "data", allow_duplicate=True),
    Output(ids.ED_FILTER_VALUES, "value"),
    Input(ids.ED_FILTER_ADD, "n_clicks"),
    Input({"type": ids.ED_FILTER_REMOVE, "n": ALL}, "n_clicks"),
    State(ids.ED_FILTER_FIELD, "value"),
    State(ids.ED_FILTER_OP, "value"),
    State(ids.ED_FILTER_VALUES, "value"),
    State(ids.ED_FILTERS, "data"),
    prevent_initial_call=True,
)
def edit_filters(_add, _removes, field, op, values, filters):
    filters = list(filters or [])
    trigger = ctx.triggered_id
    if trigger == ids.ED_FILTER_ADD:
        if not field or not values:
            raise PreventUpdate
        filters = [item for item in filters if item.get("field") != field]
        filters.append({"field": field, "op": op if op in ("in", "not_in") else "in", "value": list(values)})
        return filters[:20], []
    if isinstance(trigger, dict) and ctx.triggered[0]["value"]:
        index = trigger.get("n")
        return [item for position, item in enumerate(filters) if position != index], no_update
    raise PreventUpdate


@dash.callback(
    Output(ids.ED_FILTER_LIST, "children"),
    Input(ids.ED_FILTERS, "data"),
)
def show_filters(filters):
    chips = []
    for index, item in enumerate(filters or []):
        values = item.get("value") if isinstance(item.get("value"), list) else [item.get("value")]
        verb = "is not" if item.get("op") == "not_in" else "is"
        label = f"{item.get('field')} {verb} {', '.join(map(str, values[:3]))}" + \
            (f" +{len(values) - 3}" if len(values) > 3 else "")
        chip_component = chip(label, "widget-filter", str(index))
        # The remove button of an editor filter has its own id shape.
        chip_component.children[1].id = {"type": ids.ED_FILTER_REMOVE, "n": index}
        chips.append(chip_component)
    return chips


@dash.callback(
    Output("ed-data-fields", "style"),
    Output("ed-markdown-field", "style"),
    Input(ids.ED_TYPE, "value"),
)
def fields_for_type(kind):
    return (HIDDEN, SHOWN) if kind == "text" else (SHOWN, HIDDEN)


def build_draft(selected: str, kind, title, dataset, measures, dimensions, grain, range_value, start, end,
                filters, sort, descending, limit, style, x_label, y_label, colours, number_format,
                markdown, refresh) -> dict:
    """The widget the editor's controls describe, as a plain document (not yet validated)."""
    style = set(style or [])
    text = kind == "text"
    if range_value in (None, DASHBOARD_RANGE):
        time_range = None
    elif range_value == CUSTOM_RANGE:
        time_range = {"start": start, "end": end} if start and end else None
    else:
        time_range = {"relative": range_value}
    widget = {
        "id": selected, "type": kind, "title": title or "",
        "dataset": None if text else dataset,
        "measures": [] if text else [_measure_ref(value) for value in measures or []],
        "dimensions": [] if text else list(dimensions or []),
        "time_grain": None if text else (grain or None),
        "time_range": None if text else time_range,
        "filters": [] if text else list(filters or []),
        "sort": {"field": sort, "descending": bool(descending)} if sort and not text else None,
        "limit": int(limit) if limit not in (None, "") and not text else None,
        "refresh_seconds": int(refresh or 0),
        "options": {"stacked": "stacked" in style, "donut": "donut" in style,
                    "orientation": "horizontal" if "horizontal" in style else "vertical",
                    "show_legend": "legend" in style, "x_label": x_label or None,
                    "y_label": y_label or None, "number_format": number_format or "auto",
                    "colors": [c.strip() for c in (colours or "").split(",") if c.strip()],
                    "markdown": markdown or ""},
    }
    return {key: value for key, value in widget.items() if value is not None}


def _readable(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"] if not str(part).startswith("function"))
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{where}: {message}" if where else message)
    return problems[:5]


@dash.callback(
    Output(ids.DB_DRAFT, "data"),
    Output(ids.ED_ERROR, "children"),
    Input(ids.ED_TYPE, "value"),
    Input(ids.ED_TITLE, "value"),
    Input(ids.ED_DATASET, "value"),
    Input(ids.ED_MEASURES, "value"),
    Input(ids.ED_DIMENSIONS, "value"),
    Input(ids.ED_GRAIN, "value"),
    Input(ids.ED_RANGE, "value"),
    Input(ids.ED_DATES, "start_date"),
    Input(ids.ED_DATES, "end_date"),
    Input(ids.ED_FILTERS, "data"),
    Input(ids.ED_SORT, "value"),
    Input(ids.ED_SORT_DESC, "value"),
    Input(ids.ED_LIMIT, "value"),
    Input(ids.ED_STYLE, "value"),
    Input(ids.ED_XLABEL, "value"),
    Input(ids.ED_YLABEL, "value"),
    Input(ids.ED_COLORS, "value"),
    Input(ids.ED_FORMAT, "value"),
    Input(ids.ED_MARKDOWN, "value"),
    Input(ids.ED_REFRESH, "value"),
    State(ids.DB_SELECTED, "data"),
    prevent_initial_call=True,
)
def draft_widget(*values):
    """Validate what the editor describes; a valid widget goes to the canvas at once."""
    *controls, selected = values
    if not selected:
        raise PreventUpdate
    document = build_draft(selected, *controls)
    try:
        widget = WidgetSpec.model_validate(document)
    except ValidationError as error:
        return no_update, _message(_readable(error))
    problems = widget_field_problems(widget)
    if problems:
        return no_update, _message(problems)
    label = TYPE_LABELS.get(widget.type, widget.type)
    return {"widget": widget.model_dump(mode="json", exclude_none=True)}, html.Div(
        f"{label} updated.", className="pb-editor-ok small text-body-secondary")
