"""Admin: list users, create them, change roles, (de)activate and reset passwords.

Every callback checks on the server that the caller is an admin; the user ids in the
pattern-matching inputs are only ever looked up, never trusted for permission.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from auth.account import PermissionDenied, require_role
from callbacks.messages import failure, success
from components import ids
from components.admin import users_table
from context import database
from data import users as user_commands


def _user_rows() -> list[dict]:
    with database().session() as session:
        return [{"id": u.id, "display_name": u.display_name, "email": u.email, "role": u.role,
                 "active": u.active,
                 "last_login": u.last_login_at.strftime("%Y-%m-%d %H:%M UTC") if u.last_login_at else None}
                for u in user_commands.list_users(session)]


@dash.callback(Output(ids.ADMIN_USERS_TABLE, "children"), Input(ids.ADMIN_REFRESH, "data"))
def render_users(_refresh):
    try:
        admin = require_role("admin")
    except PermissionDenied as denied:
        return failure(str(denied))
    return users_table(_user_rows(), admin.id)


def _secret(email: str, password: str) -> list:
    return [html.P(["Temporary password for ", html.Strong(email), ":"]),
            html.Div([html.Code(password, className="fs-5 me-2", id="admin-temporary-password"),
                      dcc.Clipboard(target_id="admin-temporary-password", title="Copy",
                                    className="d-inline-block")],
                     className="d-flex align-items-center")]


@dash.callback(
    Output(ids.ADMIN_MESSAGE, "children"),
    Output(ids.ADMIN_REFRESH, "data"),
    Output(ids.ADMIN_SECRET_MODAL, "is_open"),
    Output(ids.ADMIN_SECRET_BODY, "children"),
    Output(ids.ADMIN_CREATE_EMAIL, "value"),
    Output(ids.ADMIN_CREATE_NAME, "value"),
    Output(ids.ADMIN_CREATE_PASSWORD, "value"),
    Input(ids.ADMIN_CREATE_SUBMIT, "n_clicks"),
    State(ids.ADMIN_CREATE_EMAIL, "value"),
    State(ids.ADMIN_CREATE_NAME, "value"),
    State(ids.ADMIN_CREATE_ROLE, "value"),
    State(ids.ADMIN_CREATE_PASSWORD, "value"),
    State(ids.ADMIN_REFRESH, "data"),
    prevent_initial_call=True,
)
def create_user(_clicks, email, name, role, password, refresh):
    try:
        require_role("admin")
        generated = not password
        password = password or user_commands.generate_password()
        with database().session() as session:
            user = user_commands.create_user(session, email or "", password, role or "viewer", name)
            created = user.email
    except (PermissionDenied, user_commands.UserError) as error:
        return failure(str(error)), no_update, no_update, no_update, no_update, no_update, no_update
    message = success(f"Added {created}.")
    if generated:
        return message, (refresh or 0) + 1, True, _secret(created, password), "", "", ""
    return message, (refresh or 0) + 1, False, no_update, "", "", ""


@dash.callback(
    Output(ids.ADMIN_MESSAGE, "children", allow_duplicate=True),
    Output(ids.ADMIN_REFRESH, "data", allow_duplicate=True),
    Output(ids.ADMIN_SECRET_MODAL, "is_open", allow_duplicate=True),
    Output(ids.ADMIN_SECRET_BODY, "children", allow_duplicate=True),
    Input({"type": ids.ADMIN_ROLE, "user": ALL}, "value"),
    Input({"type": ids.ADMIN_TOGGLE_ACTIVE, "user": ALL}, "n_clicks"),
    Input({"type": ids.ADMIN_RESET_PASSWORD, "user": ALL}, "n_clicks"),
    State(ids.ADMIN_REFRESH, "data"),
    prevent_initial_call=True,
)
def change_user(_roles, _toggles, _resets, refresh):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered:
        return no_update, no_update, no_update, no_update
    value = ctx.triggered[0]["value"]
    if trigger.get("type") != ids.ADMIN_ROLE and not value:
        return no_update, no_update, no_update, no_update  # a button appearing, not a click
    try:
        admin = require_role("admin")
        with database().session() as session:
            user = user_commands.get_user(session, trigger.get("user"))
            if user is None:
                raise user_commands.UserError("No such user.")
            if trigger["type"] == ids.ADMIN_ROLE:
                if value == user.role:
                    return no_update, no_update, no_update, no_update
                user_commands.set_role(session, user.id, value)
                return success(f"{user.email} is now {value}."), (refresh or 0) + 1, no_update, no_update
            if trigger["type"] == ids.ADMIN_TOGGLE_ACTIVE:
                if user.id == admin.id:
                    raise user_commands.UserError("You cannot deactivate your own account.")
                user_commands.set_active(session, user.id, not user.active)
                state = "activated" if user.active else "deactivated"
                return success(f"{user.email} is {state}."), (refresh or 0) + 1, no_update, no_update
            if trigger["type"] == ids.ADMIN_RESET_PASSWORD:
                password = user_commands.generate_password()
                user_commands.set_password(session, user.id, password)
                return (success(f"Password reset for {user.email}; their other sessions are signed out."),
                        no_update, True, _secret(user.email, password))
    except (PermissionDenied, user_commands.UserError) as error:
        return failure(str(error)), (refresh or 0) + 1, no_update, no_update
    return no_update, no_update, no_update, no_update
