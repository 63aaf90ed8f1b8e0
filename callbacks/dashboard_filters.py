"""Dashboard filters in force: the time range, dimension filters, and cross-filters from clicks
on bars and pie slices, shown as removable chips.

On the view these last for the session; in the builder the document takes them (see
callbacks/builder.py). Values are checked here and again where they reach SQL, as bound
parameters on fields the dataset declares.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from callbacks.dashboard_access import dashboard_for, field_values
from charts.formatting import format_value
from components import ids
from components.dashboard import WIDGET_DEFAULT, chip
from data.dashboard_spec import RELATIVE_RANGES, DashboardFilters, DashboardSpec
from data.datasets import UnknownField, get_dataset
from data.widget_data import CrossFilter, filter_fields, filters_from_json

MAX_CROSS = 10


def _dashboard(ref) -> DashboardSpec | None:
    record = dashboard_for(ref)
    return None if record is None else record.spec


def clicked_filter(spec_data: dict, click: dict) -> CrossFilter | None:
    """The cross-filter a click on a bar or pie slice asks for, or None for other clicks."""
    if not isinstance(spec_data, dict) or spec_data.get("type") not in ("bar", "pie"):
        return None
    dimensions = spec_data.get("dimensions") or []
    if not dimensions or not isinstance(click, dict) or not click.get("points"):
        return None
    point = click["points"][0] if isinstance(click["points"], list) else None
    if not isinstance(point, dict):
        return None
    value = point.get("customdata", point.get("label"))
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, str | int | float | bool):
        return None
    field = dimensions[-1] if spec_data.get("time_grain") else dimensions[0]
    return CrossFilter(str(spec_data.get("id", ""))[:40], field, (value,))


@dash.callback(
    Output(ids.DB_ADD_VALUES, "options"),
    Input(ids.DB_ADD_FIELD, "value"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def value_options(field, ref):
    """The values a dimension takes, from the first of the dashboard's datasets that has it."""
    spec = _dashboard(ref)
    if spec is None or not field:
        return []
    for widget in spec.widgets:
        if not widget.dataset:
            continue
        try:
            if field in get_dataset(widget.dataset).dimensions:
                return field_values(widget.dataset, field)
        except UnknownField:
            continue
    return []


@dash.callback(
    Output(ids.DB_FILTERS, "data"),
    Output(ids.DB_CROSS, "data"),
    Output(ids.DB_ADD_VALUES, "value"),
    Output(ids.DB_TIME, "value"),
    Input(ids.DB_TIME, "value"),
    Input(ids.DB_ADD_APPLY, "n_clicks"),
    Input({"type": ids.CHIP_REMOVE, "kind": ALL, "key": ALL}, "n_clicks"),
    Input(ids.DB_CLICK, "data"),
    State(ids.DB_ADD_FIELD, "value"),
    State(ids.DB_ADD_VALUES, "value"),
    State(ids.DB_FILTERS, "data"),
    State(ids.DB_CROSS, "data"),
    State({"type": ids.W_SPEC, "w": ALL}, "data"),
    State({"type": ids.WV_SPEC, "w": ALL}, "data"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def update_filters(time_value, _apply, _removes, click, field, values, filters_data, cross_data,
                   specs, view_specs, ref):
    """Apply one change to the filters in force: a time range, a dimension filter, a removed
    chip, or a click that toggles a cross-filter."""
    spec = _dashboard(ref)
    trigger = ctx.triggered_id
    if spec is None or trigger is None:
        raise PreventUpdate
    filters = filters_from_json(filters_data, spec.filters).model_dump(mode="json", exclude_none=True)
    cross = CrossFilter.all_from_json(cross_data)
    clear_values, time_out = no_update, no_update
    if trigger == ids.DB_TIME:
        if time_value in RELATIVE_RANGES:
            filters["time_range"] = {"relative": time_value}
        else:
            filters.pop("time_range", None)
    elif trigger == ids.DB_ADD_APPLY:
        if not field or field not in {item["value"] for item in filter_fields(spec)}:
            raise PreventUpdate
        if values:
            filters[field] = list(values)[:1000]
        else:
            filters.pop(field, None)
        clear_values = []
    elif isinstance(trigger, dict) and trigger.get("type") == ids.CHIP_REMOVE:
        if not ctx.triggered[0]["value"]:
            raise PreventUpdate  # a chip was drawn, not clicked
        kind, key = trigger.get("kind"), str(trigger.get("key"))
        if kind == "time":
            filters.pop("time_range", None)
            time_out = WIDGET_DEFAULT
        elif kind == "dim" and key != "time_range":
            filters.pop(key, None)
        elif kind == "cross":
            cross = [item for item in cross if f"{item.source}:{item.field}" != key]
    elif trigger == ids.DB_CLICK:
        by_id = {item.get("id"): item for item in (specs or []) + (view_specs or [])
                 if isinstance(item, dict)}
        source = click.get("w") if isinstance(click, dict) and isinstance(click.get("w"), str) else None
        chosen = clicked_filter(by_id.get(source), click.get("click") if source else None)
        if chosen is None:
            raise PreventUpdate
        same = [item for item in cross if (item.source, item.field) == (chosen.source, chosen.field)]
        cross = [item for item in cross if (item.source, item.field) != (chosen.source, chosen.field)]
        if not same or same[0].values != chosen.values:
            cross.append(chosen)  # a second click on the same bar clears it
        cross = cross[-MAX_CROSS:]
    try:
        checked = DashboardFilters.model_validate(filters)
    except ValidationError:
        raise PreventUpdate from None
    return (checked.model_dump(mode="json", exclude_none=True), [item.to_json() for item in cross],
            clear_values, time_out)


def _values(values) -> str:
    shown = [format_value(v, "decimal") if isinstance(v, float) else str(v) for v in list(values)[:3]]
    more = len(values) - len(shown)
    return ", ".join(shown) + (f" +{more}" if more > 0 else "")


@dash.callback(
    Output(ids.DB_CHIPS, "children"),
    Input(ids.DB_FILTERS, "data"),
    Input(ids.DB_CROSS, "data"),
    State(ids.DB_REF, "data"),
)
def render_chips(filters_data, cross_data, ref):
    """One removable chip per filter in force, cross-filters marked as coming from a click."""
    spec = _dashboard(ref)
    if spec is None:
        return []
    filters = filters_from_json(filters_data, spec.filters)
    labels = {item["value"]: item["label"] for item in filter_fields(spec)}
    chips = []
    if filters.time_range is not None:
        chips.append(chip(filters.time_range.label, "time", "time_range"))
    for field, values in filters.dimensions().items():
        chips.append(chip(f"{labels.get(field, field)}: {_values(values)}", "dim", field))
    titles = {widget.id: widget.title or widget.type for widget in spec.widgets}
    for item in CrossFilter.all_from_json(cross_data):
        chips.append(chip(f"{labels.get(item.field, item.field)}: {_values(item.values)} · from "
                          f"{titles.get(item.source, 'a chart')}", "cross", f"{item.source}:{item.field}",
                          "pb-chip-cross"))
    return chips


# A graph reports clickData as it mounts too; forwarding only real clicks in the browser keeps
# a dashboard's opening free of one no-op request per graph.
dash.clientside_callback(
    dash.ClientsideFunction("dashboards", "forwardClick"),
    Output(ids.DB_CLICK, "data"),
    Input({"type": ids.W_GRAPH, "w": ALL}, "clickData"),
    prevent_initial_call=True,
)
