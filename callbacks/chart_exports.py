"""One-click chart exports: a format picked from a chart's menu downloads that chart as the user
sees it. The browser sends which chart, the format and its view state; the server loads the
chart afresh under the page's filters, with the user's permissions, and `exports.run` makes the
file. A refusal or failure shows a toast and downloads nothing."""

from __future__ import annotations

import logging

import dash
from dash import ClientsideFunction, Input, Output, State, clientside_callback, dcc, no_update

from auth.account import current_account
from callbacks.dashboard_access import dashboard_for
from callbacks.overview import filter_choices, filters_in
from charts.theme import theme_name
from components import ids
from context import cache, database, now
from data.widget_data import CrossFilter, filters_from_json
from exports.collect import dashboard_filters_text, item_from_view
from exports.options import CHART_FORMATS
from exports.overview import CHARTS, overview_item
from exports.run import ExportFailed, ExportResult, export_chart
from pipeline import widget_view

log = logging.getLogger(__name__)
GONE = "This chart is no longer on the dashboard, or you no longer have access to it."


def _request(page: str):
    return {"type": ids.X_REQUEST, "page": page}


def _busy(page: str) -> list[tuple]:
    """While the export runs, its note shows (the callback's `running=`)."""
    return [
        (Output({"type": ids.X_BUSY, "page": page}, "className"), "pb-export-busy show", "pb-export-busy")
    ]


def _outputs(page: str) -> list[Output]:
    return [
        Output({"type": ids.X_DOWNLOAD, "page": page}, "data"),
        Output({"type": ids.X_TOAST, "page": page}, "is_open"),
        Output({"type": ids.X_TOAST, "page": page}, "children"),
    ]


for _page in ("dashboard", "overview"):
    clientside_callback(
        ClientsideFunction("exports", "request"),
        Output(_request(_page), "data"),
        Input({"type": ids.X_CHART, "page": _page, "chart": dash.ALL, "fmt": dash.ALL}, "n_clicks"),
        prevent_initial_call=True,
    )


def _checked(request) -> tuple[str, str, dict] | None:
    """(chart, format, view state) from the browser's request, or None if it is malformed."""
    if not isinstance(request, dict) or request.get("fmt") not in CHART_FORMATS:
        return None
    chart, view = request.get("chart"), request.get("view")
    if not isinstance(chart, str) or len(chart) > 40:
        return None
    return chart, request["fmt"], view if isinstance(view, dict) else {}


def _send(result: ExportResult):
    return dcc.send_file(str(result.path), filename=result.file_name, type=result.media_type), False, ""


def _refused(message: str):
    return no_update, True, message


@dash.callback(
    *_outputs("dashboard"),
    Input(_request("dashboard"), "data"),
    State(ids.DB_REF, "data"),
    State(ids.DB_FILTERS, "data"),
    State(ids.DB_CROSS, "data"),
    State(ids.THEME_STORE, "data"),
    running=_busy("dashboard"),
    prevent_initial_call=True,
)
def export_widget(request, ref, filters_data, cross_data, theme):
    """A dashboard widget, under the filters and cross-filters on the user's screen."""
    asked, record = _checked(request), dashboard_for(ref)
    if asked is None or record is None:
        return _refused(GONE)
    try:
        widget = record.spec.widget(asked[0])
    except KeyError:
        return _refused(GONE)
    _chart, fmt, view = asked
    theme = theme_name(theme)
    spec = record.spec.model_copy(update={"filters": filters_from_json(filters_data, record.spec.filters)})
    cross = CrossFilter.all_from_json(cross_data)
    item = item_from_view(widget_view(widget, spec, cross, theme), now(), view)
    try:
        return _send(
            export_chart(
                current_account(),
                item,
                fmt,
                dashboard_id=record.id,
                dashboard_version=record.version,
                filters=dashboard_filters_text(spec, cross),
                theme=theme,
                size=view.get("size"),
            )
        )
    except ExportFailed as error:
        return _refused(str(error))


@dash.callback(
    *_outputs("overview"),
    Input(_request("overview"), "data"),
    State(ids.OV_FILTERS, "data"),
    State(ids.THEME_STORE, "data"),
    running=_busy("overview"),
    prevent_initial_call=True,
)
def export_overview_chart(request, filters_data, theme):
    """An Overview chart, under the filters in the page's URL."""
    asked = _checked(request)
    if asked is None or asked[0] not in CHARTS:
        return _refused("There is no such chart on the Overview.")
    chart, fmt, view = asked
    theme = theme_name(theme)
    engine, results = database().engine, cache()
    options = filter_choices()
    filters = filters_in(filters_data, options)
    try:
        item = overview_item(chart, engine, results, filters, options, theme, now(), view)
        return _send(
            export_chart(
                current_account(), item, fmt, filters=item.filters, theme=theme, size=view.get("size")
            )
        )
    except ExportFailed as error:
        return _refused(str(error))
