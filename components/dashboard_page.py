"""The dashboard view page: header with actions, filter bar, the grid, and the stores it runs on."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.dashboard import filter_bar, view_grid
from components.states import page_header
from data.dashboard_records import DashboardRecord


def dashboard_stores(record: DashboardRecord, mode: str) -> list:
    spec = record.spec
    return [
        dcc.Store(id=ids.DB_REF, data={"id": record.id, "mode": mode}),
        dcc.Store(id=ids.DB_FILTERS, data=spec.filters.model_dump(mode="json", exclude_none=True)),
        dcc.Store(id=ids.DB_CROSS, data=[]),
        dcc.Store(id=ids.DB_CLICK),
    ]


def meta_line(record: DashboardRecord) -> str:
    edited = record.updated_at.strftime("%Y-%m-%d %H:%M UTC")
    return (f"By {record.owner_name} · version {record.version}, edited by {record.updated_by_name} "
            f"on {edited}")


def view_page(record: DashboardRecord, fields: list[dict], actions: list,
              drawn: dict[str, tuple], alerts: bool = False) -> list:
    """Everything on `/dashboards/<id>`; `actions` are the buttons this user may use, `drawn`
    each widget's first paint; `alerts` says whether widget menus offer "Create alert"."""
    spec = record.spec
    body = view_grid(spec, drawn, alerts) if spec.widgets else html.Div(
        [html.I(className="bi bi-grid-1x2 pb-empty-icon"),
         html.H2("No widgets yet", className="pb-empty-title"),
         html.P("Open the builder to add charts, KPI cards, tables and notes.", className="pb-empty-text")],
        className="pb-empty")
    return [
        *dashboard_stores(record, "view"),
        page_header(spec.title, meta_line(record), actions=actions),
        html.P(spec.description, className="pb-dashboard-description") if spec.description else None,
        filter_bar(spec, fields),
        html.Div(body, className="pb-dashboard", id="pb-dashboard",
                 **{"data-dashboard": record.id, "data-version": record.version}),
    ]


def not_found() -> html.Div:
    return html.Div(
        [html.I(className="bi bi-question-circle pb-empty-icon"),
         html.H2("Dashboard not found", className="pb-empty-title"),
         html.P("It may have been deleted, or it has not been shared with you.", className="pb-empty-text"),
         dcc.Link("All dashboards", href="/dashboards", className="btn btn-primary")],
        className="pb-empty", id="pb-dashboard-missing")


def action_button(label: str, icon: str, href: str | None = None, **kwargs) -> dbc.Button:
    options = {"size": "sm", "color": "secondary", "outline": True, **kwargs}
    return dbc.Button([html.I(className=f"bi {icon} me-1"), label], href=href, **options)
