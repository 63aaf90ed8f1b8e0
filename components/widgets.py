"""A dashboard widget on the grid: its card, and what its body shows once loaded."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.alert_dialog import alert_menu_item
from components.exports import TABLE_FORMATS, export_menu
from components.markdown import markdown_components
from data.dashboard_spec import WidgetSpec
from exports.options import CHART_FORMATS

GRID_PREFIX = "wg-"  # grid children's ids: widget ids never collide with the page's own ids
ROW_HEIGHT = 60
GRAPH_CONFIG = {"displaylogo": False, "responsive": True,
                "modeBarButtonsToRemove": ["lasso2d", "select2d"]}
TYPE_ICONS = {"kpi": "bi-123", "line": "bi-graph-up", "area": "bi-graph-up-arrow",
              "bar": "bi-bar-chart", "pie": "bi-pie-chart", "scatter": "bi-dot",
              "heatmap": "bi-grid-3x3", "table": "bi-table", "text": "bi-fonts"}
TYPE_LABELS = {"kpi": "KPI card", "line": "Line", "area": "Area", "bar": "Bar", "pie": "Pie or donut",
               "scatter": "Scatter", "heatmap": "Heatmap", "table": "Table", "text": "Text"}


def grid_id(widget_id: str) -> str:
    return GRID_PREFIX + widget_id


def widget_id(grid_item_id: str) -> str:
    return grid_item_id.removeprefix(GRID_PREFIX)


EDIT_IDS = {"spec": ids.W_SPEC, "body": ids.W_BODY, "state": ids.W_STATE, "note": ids.W_NOTE,
            "interval": ids.W_INTERVAL}
VIEW_IDS = {"spec": ids.WV_SPEC, "body": ids.WV_BODY, "state": ids.WV_STATE, "note": ids.WV_NOTE,
            "interval": ids.WV_INTERVAL}


def widget_card(widget: WidgetSpec, editable: bool, drawn: tuple | None = None, alerts: bool = False
                ) -> html.Div:
    """The card a widget lives in. In the builder its body is filled by the render callback as
    it mounts; on the view it comes `drawn` with the page: (body, live state, note). With
    `alerts` (the viewer may make alerts) a widget with measures offers "Create alert"."""
    names = EDIT_IDS if drawn is None else VIEW_IDS
    body, state, note = drawn if drawn is not None else (None, None, "")
    actions = None
    if editable:
        actions = html.Div([
            html.Button(html.I(className="bi bi-sliders"), id={"type": ids.W_EDIT, "w": widget.id},
                        className="pb-widget-action", title="Edit this widget", n_clicks=0),
            html.Button(html.I(className="bi bi-x-lg"), id={"type": ids.W_REMOVE, "w": widget.id},
                        className="pb-widget-action", title="Remove this widget", n_clicks=0),
        ], className="pb-widget-actions")
    elif widget.type != "text":
        extra = [alert_menu_item(widget.id)] if alerts and widget.measures else None
        formats = TABLE_FORMATS if widget.type == "table" else tuple(CHART_FORMATS)
        menu = export_menu("dashboard", widget.id, formats, extra)
        actions = html.Div(menu, className="pb-widget-actions")
    head_class = "pb-widget-head" + (" pb-widget-handle" if editable else "")
    title = widget.title or ("" if widget.type in ("text", "kpi") else TYPE_LABELS[widget.type])
    return html.Div(
        [
            html.Div([html.Span(title, className="pb-widget-title"),
                      html.Span(note, id={"type": names["note"], "w": widget.id}, className="pb-widget-note"),
                      actions],
                     className=head_class),
            dcc.Loading(html.Div(body, id={"type": names["body"], "w": widget.id},
                                 className="pb-widget-body"),
                        parent_className="pb-widget-loading", delay_show=400, type="dot"),
            dcc.Store(id={"type": names["spec"], "w": widget.id},
                      data=widget.model_dump(mode="json", exclude_none=True)),
            dcc.Store(id={"type": names["state"], "w": widget.id}, data=state),
            dcc.Interval(id={"type": names["interval"], "w": widget.id},
                         interval=max(widget.refresh_seconds, 5) * 1000,
                         disabled=widget.refresh_seconds == 0),
        ],
        id=grid_id(widget.id), className=f"pb-card pb-widget pb-widget--{widget.type}",
        **{"data-widget": widget.id, "data-export": widget.id},
    )


def graph_body(widget: WidgetSpec, figure) -> dcc.Graph:
    return dcc.Graph(id={"type": ids.W_GRAPH, "w": widget.id}, figure=figure, config=GRAPH_CONFIG,
                     className="pb-widget-graph", responsive=True, style={"height": "100%"})


def table_body(widget: WidgetSpec, columns: list[dict], rows: list[dict]) -> dag.AgGrid:
    return dag.AgGrid(id={"type": ids.W_TABLE, "w": widget.id}, columnDefs=columns, rowData=rows,
                      defaultColDef={"sortable": True, "resizable": True, "filter": True, "flex": 1,
                                     "minWidth": 90},
                      dashGridOptions={"animateRows": False, "suppressCellFocus": True},
                      className="ag-theme-quartz pb-widget-table", style={"height": "100%"})


def text_body(safe_html: str) -> html.Div:
    """A text widget: its markdown, already rendered safely, as components."""
    return html.Div(markdown_components(safe_html), className="pb-markdown")


def error_body(message: str) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-triangle me-2"), message],
                     color="warning", className="pb-widget-error mb-0")
