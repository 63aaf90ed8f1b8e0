"""`/reports`: the export history, and deleting an export (its row and its file)."""

from __future__ import annotations

import dash
from dash import ALL, Input, Output, State, no_update

from auth.account import current_account
from components import ids
from components.reports import history_table
from context import database, settings
from data.export_jobs import ExportNotFound, delete_job, list_jobs
from exports.files import stored_path
from exports.run import mark_abandoned


@dash.callback(
    Output(ids.XP_TABLE, "children"), Input(ids.XP_REFRESH, "data"), Input(ids.XP_EVERYONE, "value")
)
def history(_refresh, everyone):
    account = current_account()
    if account is None:
        return no_update
    everyone = bool(everyone) and account.is_admin
    mark_abandoned()  # an export whose worker died shows as failed, not running for ever
    with database().session() as session:
        jobs = list_jobs(session, account, everyone=everyone)
    return history_table(jobs, show_author=everyone)


@dash.callback(
    Output(ids.XP_REFRESH, "data"),
    Output(ids.XP_MESSAGE, "children"),
    Input({"type": ids.XP_DELETE, "job": ALL}, "n_clicks"),
    State(ids.XP_REFRESH, "data"),
    prevent_initial_call=True,
)
def delete(_clicks, refresh):
    fired = dash.ctx.triggered_id
    if not isinstance(fired, dict) or not dash.ctx.triggered[0]["value"]:  # a redrawn table fires too
        return no_update, no_update
    account = current_account()
    try:
        with database().session() as session:
            stored = delete_job(session, account, fired.get("job"))
    except ExportNotFound as error:
        return (refresh or 0) + 1, str(error)
    if stored:
        stored_path(settings().exports_path, stored).unlink(missing_ok=True)
    return (refresh or 0) + 1, "Export deleted."
