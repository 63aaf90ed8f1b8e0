"""The dashboard page's pieces: the grid of widget cards, the filter bar and its chips."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import dash_snap_grid as dsg
from dash import dcc, html

from components import ids
from components.widgets import ROW_HEIGHT, grid_id, widget_card
from data.dashboard_spec import GRID_COLUMNS, RELATIVE_RANGES, DashboardSpec, LayoutItem

BREAKPOINTS = {"lg": 1200, "md": 996, "sm": 768, "xs": 480, "xxs": 0}
COLUMNS = {"lg": GRID_COLUMNS, "md": GRID_COLUMNS, "sm": 6, "xs": 1, "xxs": 1}
WIDGET_DEFAULT = "__widgets__"


def grid_layout(layout: list[LayoutItem]) -> list[dict]:
    return [{"i": grid_id(item.i), "x": item.x, "y": item.y, "w": item.w, "h": item.h} for item in layout]


def view_grid(spec: DashboardSpec, drawn: dict[str, tuple], alerts: bool = False) -> dsg.ResponsiveGrid:
    """Read-only and responsive: 12 columns on wide screens, fewer on narrow ones; every card
    arrives `drawn` (widget id -> body, live state, note); with `alerts`, menus offer alerts."""
    return dsg.ResponsiveGrid(
        id=ids.DB_GRID, layouts={"lg": grid_layout(spec.layout)}, cols=COLUMNS, breakpoints=BREAKPOINTS,
        rowHeight=ROW_HEIGHT, isDraggable=False, isResizable=False,
        compactType="vertical" if spec.compact else None, margin=[12, 12], containerPadding=[0, 0],
        children=[widget_card(widget, editable=False, drawn=drawn[widget.id], alerts=alerts)
                  for widget in spec.widgets],
    )


def edit_grid(spec: DashboardSpec) -> dsg.Grid:
    """Drag by a card's header, resize from its corner, snapped to 12 columns."""
    return dsg.Grid(
        id=ids.DB_GRID, layout=grid_layout(spec.layout), cols=GRID_COLUMNS, rowHeight=ROW_HEIGHT,
        compactType="vertical" if spec.compact else None, draggableHandle=".pb-widget-handle",
        draggableCancel=".pb-widget-action", isDraggable=True, isResizable=True, margin=[12, 12],
        containerPadding=[0, 0],
        children=[widget_card(widget, editable=True) for widget in spec.widgets],
    )


def filter_bar(spec: DashboardSpec, fields: list[dict]) -> html.Div:
    """Time range and dimension filters for every widget, and the chips of those in force."""
    time_value = spec.filters.time_range.relative if spec.filters.time_range and \
        spec.filters.time_range.relative else WIDGET_DEFAULT
    return html.Div(
        [
            html.Div([
                html.I(className="bi bi-calendar3 me-2 text-body-secondary"),
                dbc.Select(id=ids.DB_TIME, value=time_value, size="sm", style={"width": "12rem"},
                           options=[{"label": "Each widget's range", "value": WIDGET_DEFAULT}]
                           + [{"label": label, "value": key} for key, label in RELATIVE_RANGES.items()]),
            ], className="d-flex align-items-center"),
            html.Div([
                dcc.Dropdown(id=ids.DB_ADD_FIELD, options=fields, placeholder="Filter by…",
                             clearable=True, style={"width": "11rem"}),
                dcc.Dropdown(id=ids.DB_ADD_VALUES, options=[], multi=True, placeholder="Values",
                             style={"minWidth": "14rem"}),
                dbc.Button("Apply", id=ids.DB_ADD_APPLY, size="sm", color="primary", outline=True,
                           n_clicks=0),
            ], className="d-flex align-items-center gap-2"),
            html.Div(id=ids.DB_CHIPS, className="pb-chips"),
        ],
        className="pb-card pb-filter-bar pb-dashboard-filters mb-3",
    )


def chip(label: str, kind: str, key: str, tone: str = "") -> html.Span:
    return html.Span(
        [html.Span(label),
         html.Button(html.I(className="bi bi-x"), id={"type": ids.CHIP_REMOVE, "kind": kind, "key": key},
                     className="pb-chip-remove", title="Remove this filter", n_clicks=0)],
        className=f"pb-chip {tone}".strip(), **{"data-chip": f"{kind}:{key}"},
    )
