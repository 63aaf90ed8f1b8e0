"""Drawing dashboard widgets, on the view and in the builder: first render, and live refreshes that
patch only new points onto time series.

The browser sends a widget's spec, but only the builder's draft is ever drawn from it, and only
for someone who may edit that dashboard. A view draws the saved widget from the database.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import logging

import dash
from dash import MATCH, Input, Output, Patch, State, ctx
from dash.exceptions import PreventUpdate
from pydantic import ValidationError

from callbacks.dashboard_access import dashboard_for
from charts.widgets import PATCHABLE, series_points
from components import ids
from components.widgets import EDIT_IDS, VIEW_IDS, error_body, graph_body, table_body, text_body
from context import carried, database
from context import now as clock_now
from data.dashboard_records import DashboardRecord
from data.dashboard_spec import DashboardFilters, DashboardSpec, WidgetSpec
from data.widget_data import CrossFilter, current_version, filters_from_json, load_widget_tail
from pipeline import widget_view

log = logging.getLogger(__name__)
FIRST_PAINT_THREADS = 4


@dataclasses.dataclass(frozen=True)
class Context:
    """What a widget callback may draw, after the permission check."""

    dashboard: DashboardSpec
    widget: WidgetSpec
    filters: DashboardFilters
    cross: list[CrossFilter]


def resolve(ref, spec_data, filters_data, cross_data) -> Context | None:
    """Check the signed-in user against the dashboard named by `ref`; None if they may not."""
    if not isinstance(ref, dict) or not isinstance(spec_data, dict):
        return None
    editing = ref.get("mode") == "edit"
    record = dashboard_for(ref, need="edit" if editing else "view")
    if record is None:
        return None
    try:
        widget = WidgetSpec.model_validate(spec_data) if editing else record.spec.widget(spec_data.get("id"))
    except (ValidationError, KeyError):
        return None
    filters = filters_from_json(filters_data, record.spec.filters)
    dashboard = record.spec.model_copy(update={"filters": filters})
    return Context(dashboard, widget, filters, CrossFilter.all_from_json(cross_data))


def _note(view) -> str:
    if view.data is None:
        return ""
    own = " (own range)" if view.widget.time_range is not None else ""
    return view.data.range.label + own


def draw(context: Context, theme: str) -> tuple:
    """The widget's body, its live state and its note, drawn from scratch."""
    view = widget_view(context.widget, context.dashboard, context.cross, theme)
    if view.error:
        return error_body(view.error), None, ""
    if view.markdown is not None:
        return text_body(view.markdown), None, ""
    state = {"version": view.data.version}
    if view.rows is not None:
        return table_body(context.widget, view.columns, view.rows), state, _note(view)
    widget = context.widget
    if widget.type in PATCHABLE and widget.time_grain:
        points = series_points(view.data)
        times = [x for xs, _ in points.values() for x in xs]
        state.update(traces=list(points), counts=[len(xs) for xs, _ in points.values()],
                     last=max(times).isoformat() if times else None,
                     horizontal=widget.type == "bar" and widget.options.orientation == "horizontal")
    return graph_body(widget, view.figure), state, _note(view)


def patch_tail(context: Context, state: dict) -> tuple[Patch, dict] | None:
    """A patch that rewrites each trace's last bucket and appends newer ones; None when the
    figure must be redrawn instead (no series state, or a series it does not have yet)."""
    if not state.get("traces") or not state.get("last"):
        return None
    filters = context.filters
    since = dt.datetime.fromisoformat(state["last"])
    tail = load_widget_tail(database().engine, context.widget, filters.time_range, filters.dimensions(),
                            context.cross, clock_now(), since,
                            state["traces"] if context.widget.dimensions else None)
    points = series_points(tail)
    if set(points) - set(state["traces"]):
        return None
    time_axis, value_axis = ("y", "x") if state.get("horizontal") else ("x", "y")
    patch, counts, last = Patch(), list(state["counts"]), since
    for index, name in enumerate(state["traces"]):
        trace = patch["props"]["figure"]["data"][index]
        for moment, value in zip(*points.get(name, ([], [])), strict=True):
            if moment == since and counts[index]:
                trace[value_axis][counts[index] - 1] = value
            elif moment > since:
                trace[time_axis].append(moment)
                trace[value_axis].append(value)
                counts[index] += 1
            last = max(last, moment)
    return patch, {**state, "version": tail.version, "counts": counts, "last": last.isoformat()}


def render(spec_data, filters_data, cross_data, theme, refreshing: bool, state, ref) -> tuple:
    """Draw a widget; on its refresh tick, patch in what is new, or nothing if nothing is."""
    context = resolve(ref, spec_data, filters_data, cross_data)
    if context is None:
        raise PreventUpdate
    if refreshing and isinstance(state, dict) and context.widget.type != "text":
        try:
            if current_version(database().engine, context.widget) == state.get("version"):
                raise PreventUpdate
            patched = patch_tail(context, state)
        except PreventUpdate:
            raise
        except Exception:
            log.exception("refresh of widget %s failed; redrawing it", context.widget.id)
            patched = None
        if patched is not None:
            return patched[0], patched[1], dash.no_update
    return draw(context, theme or "light")


def _ticked(interval_type: str) -> bool:
    return isinstance(ctx.triggered_id, dict) and ctx.triggered_id.get("type") == interval_type


def _render_callback(names: dict[str, str], draw_on_mount: bool, doc: str):
    """Register the draw-and-refresh callback for one kind of card (their ids differ)."""

    def render_card(spec_data, filters_data, cross_data, theme, _ticks, state, ref):
        return render(spec_data, filters_data, cross_data, theme, _ticked(names["interval"]), state, ref)

    render_card.__doc__ = doc
    return dash.callback(
        Output({"type": names["body"], "w": MATCH}, "children"),
        Output({"type": names["state"], "w": MATCH}, "data"),
        Output({"type": names["note"], "w": MATCH}, "children"),
        Input({"type": names["spec"], "w": MATCH}, "data"),
        Input(ids.DB_FILTERS, "data"),
        Input(ids.DB_CROSS, "data"),
        Input(ids.THEME_STORE, "data"),
        Input({"type": names["interval"], "w": MATCH}, "n_intervals"),
        State({"type": names["state"], "w": MATCH}, "data"),
        State(ids.DB_REF, "data"),
        prevent_initial_call=not draw_on_mount,
    )(render_card)


render_widget = _render_callback(
    EDIT_IDS, draw_on_mount=True,
    doc="A builder card: drawn as it mounts, again as its draft or the filters change.")
render_view_widget = _render_callback(
    VIEW_IDS, draw_on_mount=False,
    doc="A view card: it arrives drawn with the page (`first_paint`), so it is drawn again only "
        "when the filters, the theme or its refresh tick ask.")


def first_paint(record: DashboardRecord, theme: str) -> dict[str, tuple]:
    """Every widget of a dashboard drawn for the page itself: one response instead of one
    callback per widget. Queries run on a few threads; SQLite and PostgreSQL drivers release
    the GIL while the database works."""
    spec = record.spec
    one = carried(lambda widget: draw(Context(spec, widget, spec.filters, []), theme))
    with concurrent.futures.ThreadPoolExecutor(max_workers=FIRST_PAINT_THREADS) as pool:
        return dict(zip([w.id for w in spec.widgets], pool.map(one, spec.widgets), strict=True))
