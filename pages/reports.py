import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.account import current_account
from components import ids
from components.alert_list import alerts_panel
from components.schedules import schedules_panel
from components.states import page_header
from context import settings

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · Pulseboard", order=2)

TABS = ("exports", "schedules", "alerts")


def _exports(admin: bool) -> html.Div:
    return html.Div([
        dbc.Switch(
            id=ids.XP_EVERYONE,
            label="Everyone's exports",
            value=False,
            className="mb-2",
            style={} if admin else {"display": "none"},
        ),
        html.Div(id=ids.XP_MESSAGE, role="status", className="small mb-2"),
        dcc.Store(id=ids.XP_REFRESH, data=0),
        dcc.Loading(html.Div(id=ids.XP_TABLE, className="pb-card"), delay_show=300, type="dot"),
    ])


def layout(tab: str = "exports", **_query):
    account = current_account()
    admin = account is not None and account.is_admin
    days = settings().export_retention_days
    return [
        page_header(
            "Reports", f"Every export you made, kept for {days} days; reports sent on a schedule; KPI alerts."
        ),
        dbc.Tabs(
            [
                dbc.Tab(_exports(admin), label="Exports", tab_id="exports", className="pt-3"),
                dbc.Tab(schedules_panel(admin), label="Schedules", tab_id="schedules", className="pt-3"),
                dbc.Tab(alerts_panel(), label="Alerts", tab_id="alerts", className="pt-3"),
            ],
            id="reports-tabs",
            active_tab=tab if tab in TABS else "exports",
        ),
    ]
