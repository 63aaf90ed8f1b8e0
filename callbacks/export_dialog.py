"""The dashboard's Export dialog: choices (remembered per user, and named presets), then the
export itself in a background job with a progress bar and a cancel button.

Start is a plain callback: it checks the user may view the dashboard, remembers the choices and
issues a signed ticket naming the user. The background job (another process, no signed-in user)
redeems the ticket and `exports.run` checks the dashboard's permissions again. Cancel raises a
flag in the shared cache that the job looks at between widgets, so it stops cleanly and leaves
no file behind.
"""

from __future__ import annotations

import uuid

import dash
from dash import ClientsideFunction, Input, Output, State, clientside_callback, dcc, html, no_update

from auth.account import current_account
from auth.tickets import BadTicket, issue, redeem
from background import status_line_on_failure
from callbacks.dashboard_access import dashboard_for
from callbacks.job_cancel import request_cancel
from charts.theme import theme_name
from components import ids
from components.exports import OWN_RANGE, options_to_choices
from context import cache, database, settings
from data.dashboards import DashboardError
from data.export_jobs import delete_preset, last_choices, preset, presets, remember
from data.widget_data import CrossFilter, filters_from_json
from exports.document import Cancelled
from exports.options import ExportOptions
from exports.run import ExportFailed, export_dashboard

TICKET = "export"
CONTROLS = [
    Output(ids.XD_FORMAT, "value"),
    Output(ids.XD_TEMPLATE, "value"),
    Output(ids.XD_PAGE_SIZE, "value"),
    Output(ids.XD_ORIENTATION, "value"),
    Output(ids.XD_WIDGETS, "value"),
    Output(ids.XD_RANGE, "value"),
    Output(ids.XD_DATES, "start_date"),
    Output(ids.XD_DATES, "end_date"),
]
CHOICES = [State(control.component_id, control.component_property) for control in CONTROLS]


def cancel_key(key: str) -> str:
    return f"export-cancel:{key}"


def choices_to_options(
    fmt, template, page_size, orientation, widgets, range_key, start, end
) -> ExportOptions:
    """The dialog's controls as `ExportOptions`; raises `ValueError` with what to fix."""
    time_range = None
    if range_key == "custom":
        if not (start and end):
            raise ValueError("Choose both dates of the custom range, or another date range.")
        time_range = {"start": str(start)[:10], "end": str(end)[:10]}
    elif range_key and range_key != OWN_RANGE:
        time_range = {"relative": range_key}
    if not widgets:
        raise ValueError("Choose at least one widget to export.")
    return ExportOptions.from_browser(
        {
            "format": fmt,
            "template": template,
            "page_size": page_size,
            "orientation": orientation,
            "widgets": list(widgets),
            "time_range": time_range,
        }
    )


@dash.callback(
    Output(ids.XD_MODAL, "is_open"),
    Input(ids.XD_OPEN, "n_clicks"),
    Input(ids.XD_CLOSE, "n_clicks"),
    prevent_initial_call=True,
)
def toggle(_open, _close):
    return dash.ctx.triggered_id == ids.XD_OPEN


# The custom dates are only asked for when "Custom dates" is the range.
clientside_callback(
    ClientsideFunction("exports", "datesDisabled"),
    Output(ids.XD_DATES, "disabled"),
    Input(ids.XD_RANGE, "value"),
)


@dash.callback(
    *CONTROLS,
    Input(ids.XD_PRESET, "value"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def fill(preset_name, ref):
    """Picking a preset fills the dialog with it; clearing the pick brings back the last choices
    (the page itself opens with those, so nothing races the user's first click)."""
    record, account = dashboard_for(ref), current_account()
    if record is None or account is None:
        return [no_update] * len(CONTROLS)
    with database().session() as session:
        saved = preset(session, account, preset_name) if preset_name else last_choices(session, account)
    return options_to_choices(ExportOptions.saved(saved), [widget.id for widget in record.spec.widgets])


@dash.callback(
    Output(ids.XD_PRESET, "options"),
    Input(ids.XD_OPEN, "n_clicks"),
    Input(ids.XD_PRESETS_CHANGED, "data"),
    prevent_initial_call=True,
)
def preset_names(_open, _changed):
    account = current_account()
    if account is None:
        return []
    with database().session() as session:
        return presets(session, account)


@dash.callback(
    Output(ids.XD_PRESETS_CHANGED, "data"),
    Output(ids.XD_STATUS, "children", allow_duplicate=True),
    Output(ids.XD_PRESET, "value"),
    Input(ids.XD_PRESET_SAVE, "n_clicks"),
    Input(ids.XD_PRESET_DELETE, "n_clicks"),
    State(ids.XD_PRESET_NAME, "value"),
    State(ids.XD_PRESET, "value"),
    State(ids.XD_PRESETS_CHANGED, "data"),
    *CHOICES,
    prevent_initial_call=True,
)
def save_or_delete_preset(_save, _delete, name, chosen, changed, *choices):
    account = current_account()
    if account is None:
        return no_update, "Sign in again to keep presets.", no_update
    with database().session() as session:
        if dash.ctx.triggered_id == ids.XD_PRESET_DELETE:
            if not chosen:
                return no_update, "Pick the preset to delete first.", no_update
            delete_preset(session, account, chosen)
            return (changed or 0) + 1, f"Preset “{chosen}” deleted.", None
        name = (name or "").strip()
        if not name:
            return no_update, "Give the preset a name first.", no_update
        try:
            remember(session, account, choices_to_options(*choices).to_json(), name=name)
        except ValueError as error:
            return no_update, str(error), no_update
    return (changed or 0) + 1, f"Preset “{name}” saved.", name


@dash.callback(
    Output(ids.XD_REQUEST, "data"),
    Output(ids.XD_STATUS, "children", allow_duplicate=True),
    Output(ids.XD_PROGRESS, "value", allow_duplicate=True),
    Input(ids.XD_START, "n_clicks"),
    State(ids.DB_REF, "data"),
    *CHOICES,
    prevent_initial_call=True,
)
def start(_clicks, ref, *choices):
    """Check the request here, where the user is signed in, and hand the job a signed ticket."""
    record, account = dashboard_for(ref), current_account()
    if record is None or account is None:
        return no_update, "This dashboard is gone, or you no longer have access to it.", 0
    try:
        options = choices_to_options(*choices)
    except ValueError as error:
        return no_update, str(error), 0
    with database().session() as session:
        remember(session, account, options.to_json())
    key = uuid.uuid4().hex
    ticket = issue(
        settings().secret_key, TICKET, account, dashboard=record.id, key=key, options=options.to_json()
    )
    return {"key": key, "ticket": ticket}, "Starting…", 0


@dash.callback(
    Output(ids.XD_CANCEL, "children"),
    Output(ids.XD_CANCEL, "disabled"),
    Output(ids.XD_STATUS, "children", allow_duplicate=True),
    Input(ids.XD_CANCEL, "n_clicks"),
    State(ids.XD_REQUEST, "data"),
    prevent_initial_call=True,
)
def cancel(_clicks, request):
    """Ask the running export to stop; it stops before its next widget and removes its file.

    The button says so until the job ends (the status line keeps the job's own progress)."""
    return request_cancel(request, TICKET, cancel_key)


def _done_message(job_id: int) -> html.Span:
    return html.Span(
        [
            html.I(className="bi bi-check-circle me-1"),
            "Done: the file is downloading. ",
            "It is also kept in ",
            dcc.Link("Reports", href="/reports"),
            f" (export #{job_id}).",
        ],
        className="text-success",
    )


def _progress(set_progress):
    """The bar and the status line below it: rendering (each widget loads while the one
    before renders) fills the bar up to 95 %, writing the file the rest."""

    def report(done: int, total: int, label: str) -> None:
        value = 97 if label.startswith("Writing") else 95 * done / max(total, 1)
        set_progress((int(value), label))

    return report


@dash.callback(
    Output(ids.XD_DOWNLOAD, "data"),
    Output(ids.XD_STATUS, "children", allow_duplicate=True),
    Output(ids.XD_PROGRESS, "value"),
    Input(ids.XD_REQUEST, "data"),
    State(ids.DB_FILTERS, "data"),
    State(ids.DB_CROSS, "data"),
    State(ids.THEME_STORE, "data"),
    background=True,
    interval=500,
    progress=[Output(ids.XD_PROGRESS, "value"), Output(ids.XD_STATUS, "children")],
    running=[
        (Output(ids.XD_START, "disabled"), True, False),
        (Output(ids.XD_CANCEL, "disabled"), False, True),
        (Output(ids.XD_CANCEL, "children"), "Cancel export", "Cancel export"),
        (Output(ids.XD_PROGRESS, "animated"), True, False),
    ],
    on_error=status_line_on_failure(ids.XD_STATUS),
    prevent_initial_call=True,
)
def run(set_progress, request, filters_data, cross_data, theme):
    """The export, in a background job: as the ticket's user, re-checked inside `exports.run`."""
    if not isinstance(request, dict):
        return no_update, no_update, no_update
    try:
        with database().session() as session:
            account, fields = redeem(settings().secret_key, TICKET, request.get("ticket"), session)
        key = fields["key"]
        result = export_dashboard(
            account,
            fields["dashboard"],
            ExportOptions.model_validate(fields["options"]),
            filters=filters_from_json(filters_data, None),
            cross_filters=CrossFilter.all_from_json(cross_data),
            theme=theme_name(theme),
            progress=_progress(set_progress),
            cancelled=lambda: cache().has_flag(cancel_key(key)),
        )
    except Cancelled:
        return no_update, "Cancelled: nothing was saved.", 0
    except (BadTicket, DashboardError, ExportFailed, ValueError) as error:
        return no_update, html.Span(str(error), className="text-danger"), 0
    return (
        dcc.send_file(str(result.path), filename=result.file_name, type=result.media_type),
        _done_message(result.job_id),
        100,
    )
