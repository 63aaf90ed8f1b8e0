import dash
import dash_bootstrap_components as dbc
from dash import html

from auth.account import current_account
from components import ids
from components.states import page_header

dash.register_page(__name__, path="/account", name="Account", title="Account · Pulseboard",
                   order=10)


def _password(component_id: str, label: str, autocomplete: str):
    return dbc.Row([dbc.Label(label, html_for=component_id, width=4),
                    dbc.Col(dbc.Input(id=component_id, type="password", autoComplete=autocomplete),
                            width=8)], className="mb-3")


def layout(**_query):
    account = current_account()
    return [
        page_header("Account", account.email if account else ""),
        html.Div(
            [html.H2("Change password", className="pb-card-title"),
             _password(ids.ACCOUNT_CURRENT, "Current password", "current-password"),
             _password(ids.ACCOUNT_NEW, "New password", "new-password"),
             _password(ids.ACCOUNT_CONFIRM, "Repeat new password", "new-password"),
             html.Div(id=ids.ACCOUNT_MESSAGE),
             dbc.Button("Change password", id=ids.ACCOUNT_SUBMIT, color="primary")],
            className="pb-card", style={"maxWidth": "560px"},
        ),
    ]
