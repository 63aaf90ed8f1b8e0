"""The admin page: a form to create users and a table of users with their controls."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.states import page_header

ROLE_OPTIONS = [{"label": "Admin", "value": "admin"}, {"label": "Analyst", "value": "analyst"},
                {"label": "Viewer", "value": "viewer"}]


def create_user_form() -> html.Div:
    return html.Div(
        [
            html.H2("Add a user", className="pb-card-title"),
            dbc.Row(
                [
                    dbc.Col([dbc.Label("Email", html_for=ids.ADMIN_CREATE_EMAIL),
                             dbc.Input(id=ids.ADMIN_CREATE_EMAIL, type="email",
                                       placeholder="name@company.com")], md=3),
                    dbc.Col([dbc.Label("Display name", html_for=ids.ADMIN_CREATE_NAME),
                             dbc.Input(id=ids.ADMIN_CREATE_NAME, placeholder="Optional")], md=3),
                    dbc.Col([dbc.Label("Role", html_for=ids.ADMIN_CREATE_ROLE),
                             dbc.Select(id=ids.ADMIN_CREATE_ROLE, options=ROLE_OPTIONS,
                                        value="analyst")], md=2),
                    dbc.Col([dbc.Label("Password", html_for=ids.ADMIN_CREATE_PASSWORD),
                             dbc.Input(id=ids.ADMIN_CREATE_PASSWORD, type="password",
                                       placeholder="Blank: generate one",
                                       autoComplete="new-password")], md=2),
                    dbc.Col(dbc.Button([html.I(className="bi bi-person-plus me-1"), "Add user"],
                                       id=ids.ADMIN_CREATE_SUBMIT, color="primary",
                                       className="w-100"), md=2, className="d-flex align-items-end"),
                ],
                className="g-3",
            ),
        ],
        className="pb-card mb-4",
    )


def users_table(users: list[dict], current_user_id: int) -> html.Div:
    """Rows of `users` (plain dicts) with a role picker, activate toggle and password reset."""
    header = html.Thead(html.Tr([html.Th(label) for label in
                                 ("Name", "Email", "Role", "Status", "Last sign-in", "")]))
    rows = []
    for user in users:
        yourself = user["id"] == current_user_id
        rows.append(html.Tr(
            [
                html.Td([user["display_name"], html.Span(" (you)", className="text-body-secondary")
                         if yourself else None]),
                html.Td(user["email"]),
                html.Td(dbc.Select(id={"type": ids.ADMIN_ROLE, "user": user["id"]},
                                   options=ROLE_OPTIONS, value=user["role"], size="sm")),
                html.Td(dbc.Badge("Active" if user["active"] else "Deactivated",
                                  color="success" if user["active"] else "secondary")),
                html.Td(user["last_login"] or "Never", className="text-body-secondary"),
                html.Td(
                    [dbc.Button("Deactivate" if user["active"] else "Activate",
                                id={"type": ids.ADMIN_TOGGLE_ACTIVE, "user": user["id"]},
                                size="sm", color="secondary", outline=True, className="me-2",
                                disabled=yourself),
                     dbc.Button("Reset password",
                                id={"type": ids.ADMIN_RESET_PASSWORD, "user": user["id"]},
                                size="sm", color="secondary", outline=True)],
                    className="text-end text-nowrap",
                ),
            ],
            **{"data-email": user["email"]},
        ))
    return html.Div(dbc.Table([header, html.Tbody(rows)], className="pb-table align-middle mb-0",
                              hover=True), className="pb-table-wrap")


def admin_page() -> list:
    return [
        page_header("Admin", "Manage who can sign in and what they can do."),
        html.Div(id=ids.ADMIN_MESSAGE),
        create_user_form(),
        html.Div([html.H2("Users", className="pb-card-title"),
                  dcc.Loading(html.Div(id=ids.ADMIN_USERS_TABLE), delay_show=300)],
                 className="pb-card"),
        dcc.Store(id=ids.ADMIN_REFRESH, data=0),
        dbc.Modal(
            [dbc.ModalHeader(dbc.ModalTitle("Temporary password")),
             dbc.ModalBody(id=ids.ADMIN_SECRET_BODY),
             dbc.ModalFooter(html.Small("It is shown once. Ask the user to change it after "
                                        "signing in.", className="text-body-secondary"))],
            id=ids.ADMIN_SECRET_MODAL, is_open=False,
        ),
    ]
