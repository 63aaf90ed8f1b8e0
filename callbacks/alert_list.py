"""The Alerts tab of `/reports`: the list (an admin sees everyone's), snooze and unsnooze, pause and
resume, and delete after a confirmation. Edit reopens the alert dialog (callbacks/alert_dialog.py).

Every action names an alert id from the browser; `data.alerts` acts only on the signed-in user's
own alerts (any, for an admin) and raises `AlertNotFound` otherwise, which changes nothing and
reveals nothing about the id.
"""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, no_update

from auth.account import current_account
from components import ids
from components.alert_list import SNOOZES, alert_table
from context import database, now
from data.alerts import AlertError, AlertNotFound, delete_alert, get_alert, list_alerts, set_paused, snooze


@dash.callback(
    Output(ids.AL_LIST, "children"), Input(ids.AL_LIST_REFRESH, "data"), Input(ids.AL_SAVED, "data"),
)
def draw_list(_refresh, _saved):
    account = current_account()
    if account is None:
        return no_update
    with database().session() as session:
        alerts = list_alerts(session, account, everyone=account.is_admin)
    return alert_table(alerts, show_owner=account.is_admin, now=now())


def _clicked() -> dict | None:
    """The pattern id of the button clicked, or None when a redrawn table fired the callback."""
    fired = dash.ctx.triggered_id
    return fired if isinstance(fired, dict) and dash.ctx.triggered[0]["value"] else None


@dash.callback(
    Output(ids.AL_LIST_REFRESH, "data"),
    Output(ids.AL_LIST_MESSAGE, "children"),
    Input({"type": ids.AL_SNOOZE, "alert": ALL, "for": ALL}, "n_clicks"),
    Input({"type": ids.AL_UNSNOOZE, "alert": ALL}, "n_clicks"),
    Input({"type": ids.AL_PAUSE, "alert": ALL}, "n_clicks"),
    State(ids.AL_LIST_REFRESH, "data"),
    prevent_initial_call=True,
)
def act(_snooze, _unsnooze, _pause, refresh):
    """Snooze for a while, unsnooze, or pause and resume one alert."""
    fired, account = _clicked(), current_account()
    if fired is None or account is None:
        return no_update, no_update
    moment = now()
    try:
        with database().session() as session:
            if fired["type"] == ids.AL_SNOOZE:
                if fired.get("for") not in SNOOZES:
                    return no_update, no_update
                alert = get_alert(session, account, fired.get("alert"))
                label, length = SNOOZES[fired["for"]]
                snooze(session, account, alert.id, moment + length, moment)
                message = f"“{alert.name}” is snoozed for {label}: it is still checked but tells nobody."
            elif fired["type"] == ids.AL_UNSNOOZE:
                alert = get_alert(session, account, fired.get("alert"))
                snooze(session, account, alert.id, None, moment)
                message = f"“{alert.name}” is no longer snoozed."
            else:
                alert = get_alert(session, account, fired.get("alert"))
                set_paused(session, account, alert.id, not alert.paused, moment)
                message = f"“{alert.name}” is {'resumed' if alert.paused else 'paused'}."
    except (AlertNotFound, AlertError) as error:
        return (refresh or 0) + 1, str(error)
    return (refresh or 0) + 1, message


@dash.callback(
    Output(ids.AL_DELETE_MODAL, "is_open"),
    Output(ids.AL_DELETE_BODY, "children"),
    Output(ids.AL_DELETE_TARGET, "data"),
    Input({"type": ids.AL_DELETE, "alert": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_delete(_clicks):
    """Name the alert and ask; an alert the user may not delete opens nothing."""
    fired, account = _clicked(), current_account()
    if fired is None or account is None:
        return no_update, no_update, no_update
    try:
        with database().session() as session:
            alert = get_alert(session, account, fired.get("alert"))
    except AlertNotFound:
        return no_update, no_update, no_update
    return True, f"“{alert.name}” will stop being checked, and nobody will hear from it again.", alert.id


@dash.callback(
    Output(ids.AL_DELETE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.AL_LIST_REFRESH, "data", allow_duplicate=True),
    Output(ids.AL_LIST_MESSAGE, "children", allow_duplicate=True),
    Input(ids.AL_DELETE_CONFIRM, "n_clicks"),
    Input(ids.AL_DELETE_CANCEL, "n_clicks"),
    State(ids.AL_DELETE_TARGET, "data"),
    State(ids.AL_LIST_REFRESH, "data"),
    prevent_initial_call=True,
)
def confirm_delete(_confirm, _cancel, target, refresh):
    """Delete the alert asked about, checked again as the user."""
    account = current_account()
    if dash.ctx.triggered_id != ids.AL_DELETE_CONFIRM or account is None:
        return False, no_update, no_update
    try:
        with database().session() as session:
            delete_alert(session, account, target)
    except AlertNotFound as error:
        return False, (refresh or 0) + 1, str(error)
    return False, (refresh or 0) + 1, "Alert deleted."
