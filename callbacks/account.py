"""Account: a signed-in user changes their own password."""

from __future__ import annotations

import dash
from dash import Input, Output, State
from flask_login import login_user

from auth.account import Account, PermissionDenied, require_role
from callbacks.messages import failure, success
from components import ids
from context import database
from data import users as user_commands


@dash.callback(
    Output(ids.ACCOUNT_MESSAGE, "children"),
    Output(ids.ACCOUNT_CURRENT, "value"),
    Output(ids.ACCOUNT_NEW, "value"),
    Output(ids.ACCOUNT_CONFIRM, "value"),
    Input(ids.ACCOUNT_SUBMIT, "n_clicks"),
    State(ids.ACCOUNT_CURRENT, "value"),
    State(ids.ACCOUNT_NEW, "value"),
    State(ids.ACCOUNT_CONFIRM, "value"),
    prevent_initial_call=True,
)
def change_password(_clicks, current, new, confirm):
    try:
        account = require_role()
        if (new or "") != (confirm or ""):
            raise user_commands.UserError("The new passwords do not match.")
        with database().session() as session:
            user = user_commands.change_own_password(session, account.id, current or "", new or "")
            refreshed = Account.from_user(user)
    except (PermissionDenied, user_commands.UserError) as error:
        return failure(str(error)), dash.no_update, "", ""
    # The session id embeds the password fingerprint: renew it so this session stays signed in
    # while every other session and remember-me cookie is signed out.
    login_user(refreshed)
    return success("Password changed. Other sessions have been signed out."), "", "", ""
