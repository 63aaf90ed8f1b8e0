"""The Schedules tab of `/reports`: the list, pause and resume, delete (after asking), "Send now"
and each schedule's run history.

Every id arrives from the browser (a button's pattern id, the stores of the delete and history
dialogs), so every action goes through `data.schedules` / `data.schedule_runs` /
`delivery.runs` with the signed-in user: only a schedule's owner or an admin gets anywhere,
and anyone else is told the schedule does not exist.
"""

from __future__ import annotations

import dash
from dash import ALL, MATCH, Input, Output, State, html, no_update

from auth.account import current_account
from callbacks.messages import failure, success
from callbacks.schedule_dialog import browser_zone
from components import ids
from components.schedules import IN_FLIGHT, history_table, local_text, schedules_table
from context import database, now
from data.schedule_runs import list_runs
from data.schedules import ScheduleNotFound, delete_schedule, get_schedule, list_schedules, set_paused
from delivery.send_now import send_now


def _clicked() -> dict | None:
    """The pattern id of the button that was clicked; None when a redrawn list fired it."""
    fired = dash.ctx.triggered_id
    if not isinstance(fired, dict) or not dash.ctx.triggered or not dash.ctx.triggered[0]["value"]:
        return None
    return fired


@dash.callback(
    Output(ids.SC_LIST, "children"),
    Output(ids.SC_POLL, "disabled"),
    Input(ids.SC_LIST_REFRESH, "data"),
    Input(ids.SC_EVERYONE, "value"),
    Input(ids.SC_BROWSER_TZ, "data"),
    Input(ids.SC_SAVED, "data"),
    Input(ids.SC_POLL, "n_intervals"),
)
def schedule_list(_refresh, everyone, browser_tz, _saved, _tick):
    """The user's schedules (an admin's, with the switch: everyone's); while one of their runs
    is still going, the list polls until it ends."""
    account = current_account()
    if account is None:
        return no_update, True
    everyone = bool(everyone) and account.is_admin
    with database().session() as session:
        schedules = list_schedules(session, account, everyone=everyone)
    going = any(schedule.last_status in IN_FLIGHT for schedule in schedules)
    return schedules_table(schedules, browser_zone(browser_tz), show_owner=everyone), not going


@dash.callback(
    Output(ids.SC_LIST_REFRESH, "data", allow_duplicate=True),
    Output(ids.SC_LIST_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.SC_PAUSE, "schedule": ALL}, "n_clicks"),
    State(ids.SC_LIST_REFRESH, "data"),
    State(ids.SC_BROWSER_TZ, "data"),
    prevent_initial_call=True,
)
def pause_or_resume(_clicks, refresh, browser_tz):
    """Pause a running schedule, or resume a paused one from now (missed runs are not sent)."""
    fired = _clicked()
    if fired is None:
        return no_update, no_update
    account = current_account()
    try:
        with database().session() as session:
            schedule = get_schedule(session, account, fired.get("schedule"))
            upcoming = set_paused(session, account, schedule.id, not schedule.paused, now())
    except (LookupError, ValueError) as error:
        return (refresh or 0) + 1, failure(str(error))
    if upcoming is None:
        paused = f"“{schedule.subject}” is paused: nothing goes out until you resume it."
        return (refresh or 0) + 1, success(paused)
    when = local_text(upcoming, browser_zone(browser_tz))
    return (refresh or 0) + 1, success(f"“{schedule.subject}” resumed: the next run is {when}.")


@dash.callback(
    Output(ids.SC_DELETE_MODAL, "is_open"),
    Output(ids.SC_DELETE_BODY, "children"),
    Output(ids.SC_DELETE_TARGET, "data"),
    Input({"type": ids.SC_DELETE, "schedule": ALL}, "n_clicks"),
    Input(ids.SC_DELETE_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def ask_delete(_clicks, _cancel):
    """Ask before deleting; the target is checked again on confirm."""
    if dash.ctx.triggered_id == ids.SC_DELETE_CANCEL:
        return False, no_update, None
    fired = _clicked()
    if fired is None:
        return no_update, no_update, no_update
    try:
        with database().session() as session:
            schedule = get_schedule(session, current_account(), fired.get("schedule"))
    except ScheduleNotFound as error:
        return True, str(error), None
    body = [html.P(["Delete the schedule “", html.Strong(schedule.subject),
                    f"” of {schedule.dashboard_title}?"]),
            html.P("Its run history goes too. Files it already sent stay in the owner's export history.",
                   className="small text-body-secondary mb-0")]
    return True, body, {"schedule": schedule.id}


@dash.callback(
    Output(ids.SC_DELETE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.SC_LIST_REFRESH, "data", allow_duplicate=True),
    Output(ids.SC_LIST_MESSAGE, "children", allow_duplicate=True),
    Input(ids.SC_DELETE_CONFIRM, "n_clicks"),
    State(ids.SC_DELETE_TARGET, "data"),
    State(ids.SC_LIST_REFRESH, "data"),
    prevent_initial_call=True,
)
def confirm_delete(clicks, target, refresh):
    if not clicks or not isinstance(target, dict):
        return False, no_update, no_update
    account = current_account()
    try:
        with database().session() as session:
            subject = get_schedule(session, account, target.get("schedule")).subject
            delete_schedule(session, account, target.get("schedule"))
    except ScheduleNotFound as error:
        return False, (refresh or 0) + 1, failure(str(error))
    return False, (refresh or 0) + 1, success(f"Schedule “{subject}” deleted.")


# "Send now" turns itself off in the browser as soon as it is clicked, before the server hears
# of it: a second click of a double click never leaves the page. The list drawn after the click
# keeps it off while the run is in flight (components/schedules.py), and on again once it ended.
dash.clientside_callback(
    "function (clicks) { return clicks ? true : window.dash_clientside.no_update; }",
    Output({"type": ids.SC_SEND, "schedule": MATCH}, "disabled"),
    Input({"type": ids.SC_SEND, "schedule": MATCH}, "n_clicks"),
    prevent_initial_call=True,
)


@dash.callback(
    Output(ids.SC_HISTORY_MODAL, "is_open"),
    Output(ids.SC_HISTORY_TARGET, "data"),
    Output(ids.SC_LIST_REFRESH, "data", allow_duplicate=True),
    Output(ids.SC_LIST_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.SC_HISTORY, "schedule": ALL}, "n_clicks"),
    Input({"type": ids.SC_SEND, "schedule": ALL}, "n_clicks"),
    State(ids.SC_LIST_REFRESH, "data"),
    prevent_initial_call=True,
)
def open_history(_history, _send, refresh):
    """History opens a schedule's runs; Send now starts a run in the background and opens the
    history, where the new run shows and moves on as it goes."""
    fired = _clicked()
    if fired is None:
        return no_update, no_update, no_update, no_update
    account, schedule_id = current_account(), fired.get("schedule")
    try:
        with database().session() as session:
            subject = get_schedule(session, account, schedule_id).subject
        if fired.get("type") == ids.SC_SEND:
            send_now(account, schedule_id)
            note = success(f"Sending “{subject}”…")
            return True, {"schedule": schedule_id}, (refresh or 0) + 1, note
    except (LookupError, ValueError, RuntimeError) as error:
        return False, None, (refresh or 0) + 1, failure(str(error))
    return True, {"schedule": schedule_id}, no_update, no_update


@dash.callback(
    Output(ids.SC_HISTORY_BODY, "children"),
    Input(ids.SC_HISTORY_TARGET, "data"),
    Input(ids.SC_POLL, "n_intervals"),
    Input(ids.SC_HISTORY_MODAL, "is_open"),
    State(ids.SC_BROWSER_TZ, "data"),
    prevent_initial_call=True,
)
def history(target, _tick, is_open, browser_tz):
    """The open schedule's runs, newest first, with downloads of the files each one sent."""
    if not is_open or not isinstance(target, dict):
        return no_update
    account = current_account()
    try:
        with database().session() as session:
            schedule = get_schedule(session, account, target.get("schedule"))
            runs = list_runs(session, account, schedule.id)
    except ScheduleNotFound as error:
        return failure(str(error))
    return history_table(f"{schedule.subject} · {schedule.dashboard_title}", runs, browser_zone(browser_tz))
