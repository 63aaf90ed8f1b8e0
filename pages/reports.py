import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.account import current_account
from components import ids
from components.states import page_header
from context import settings

dash.register_page(__name__, path="/reports", name="Reports", title="Reports · Pulseboard", order=2)


def layout(**_query):
    account = current_account()
    days = settings().export_retention_days
    return [
        page_header(
            "Reports", f"Every export you made, kept for {days} days. Scheduled deliveries come later."
        ),
        dbc.Switch(
            id=ids.XP_EVERYONE,
            label="Everyone's exports",
            value=False,
            className="mb-2",
            style={} if account is not None and account.is_admin else {"display": "none"},
        ),
        html.Div(id=ids.XP_MESSAGE, role="status", className="small mb-2"),
        dcc.Store(id=ids.XP_REFRESH, data=0),
        dcc.Loading(html.Div(id=ids.XP_TABLE, className="pb-card"), delay_show=300, type="dot"),
    ]
