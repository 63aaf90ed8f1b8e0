"""Uploading a file on /data: receive it, preview it, and import it in a background job.

The file is decoded and stored on the server under a random id (`data.upload_files`); the
browser only ever holds that id, and every callback checks that the upload is the signed-in
user's. The plan is built here from the preview kept on the server and the user's choices, and
validated (`parse_plan`). Import is a plain callback: it checks the request where the user is
signed in and hands the background job (another process, perhaps a Celery worker, without a
signed-in user) a signed ticket naming the user, the upload and the plan. The job redeems it
and `data.dataset_store` checks the user's rights again. Cancel raises a flag in the shared
cache that the job looks at after each chunk of rows: the import's transaction rolls back, so
nothing is half imported, and the file is kept to try again.
"""

from __future__ import annotations

import logging
import uuid

import dash
import sqlalchemy as sa
from dash import ALL, Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from auth.account import current_account
from auth.tickets import BadTicket, issue, redeem
from background import status_line_on_failure
from callbacks.job_cancel import request_cancel
from callbacks.messages import failure
from components import ids
from components.data_page import column_controls, file_summary, import_done, rows_grid, time_column_options
from context import cache, database, settings
from data.dataset_list import managed_uploads, suggested_name
from data.dataset_store import (
    DatasetError,
    NoAccess,
    check_creator,
    check_label,
    check_name,
    import_dataset,
    refresh_dataset,
    refreshable_dataset,
)
from data.upload_files import (
    GONE,
    decode_upload,
    discard_upload,
    load_upload,
    plan_from_choices,
    prune_uploads,
    remember_preview,
    save_upload,
)
from data.upload_limits import MB, UploadError, UploadLimits
from data.upload_plan import parse_plan
from data.upload_preview import UploadPreview, inspect_upload

log = logging.getLogger(__name__)
TICKET = "data-import"
MODES = ("new", "append", "replace")
PREVIEW = [
    Output(ids.DATA_FILE_SUMMARY, "children"),
    Output(ids.DATA_SHEET, "options"),
    Output(ids.DATA_SHEET, "value"),
    Output(ids.DATA_SHEET_WRAP, "hidden"),
    Output(ids.DATA_COLUMNS, "children"),
    Output(ids.DATA_ROWS, "children"),
    Output(ids.DATA_TIME_COLUMN, "options"),
    Output(ids.DATA_TIME_COLUMN, "value"),
]


class ImportCancelled(Exception):
    """The user cancelled the import; raised inside its transaction, which then rolls back."""


def cancel_key(key: str) -> str:
    return f"data-import-cancel:{key}"


def _limits() -> UploadLimits:
    return UploadLimits(max_bytes=settings().upload_max_mb * MB)


def _error(message: str) -> html.Span:
    return html.Span(str(message), className="text-danger")


def _preview_values(preview: UploadPreview) -> list:
    names = [column.name for column in preview.columns]
    kinds = [column.type.kind for column in preview.columns]
    time_value = str(names.index(preview.time_column)) if preview.time_column in names else ""
    return [file_summary(preview), [{"label": sheet, "value": sheet} for sheet in preview.sheets],
            preview.sheet or "", not preview.sheets, column_controls(preview), rows_grid(preview),
            time_column_options(names, kinds, [True] * len(names)), time_value]


# -- receiving the file -----------------------------------------------------------------------

@dash.callback(
    Output(ids.DATA_UPLOAD_ID, "data"),
    Output(ids.DATA_PANEL, "hidden"),
    *PREVIEW,
    Output(ids.DATA_NAME, "value"),
    Output(ids.DATA_TITLE, "value"),
    Output(ids.DATA_TARGET, "options"),
    Output(ids.DATA_UPLOAD_MESSAGE, "children"),
    Output(ids.DATA_UPLOAD, "contents"),
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Input(ids.DATA_UPLOAD, "contents"),
    State(ids.DATA_UPLOAD, "filename"),
    State(ids.DATA_UPLOAD_ID, "data"),
    prevent_initial_call=True,
)
def receive_upload(contents, filename, previous):
    """Store the file under a new id, preview it, and propose a name, a title and the types.

    A file that cannot be imported is removed at once and its message shown. The upload is
    cleared, so that the same file can be chosen again after fixing it."""
    unchanged = [no_update] * (len(PREVIEW) + 3)
    if not isinstance(contents, str) or not contents:
        raise PreventUpdate
    account, folder, upload = current_account(), settings().uploads_path, None
    try:
        check_creator(account)
        prune_uploads(folder)
        if previous:  # a file uploaded before this one, and not imported: no longer needed
            _discard(account, previous)
        limits = _limits()
        upload = save_upload(folder, decode_upload(contents, limits.max_bytes), filename, account.id,
                             limits.max_bytes)
        preview = inspect_upload(upload.path, upload.file_name, limits=limits)
        upload = remember_preview(folder, upload, preview)
        with database().session() as session:
            name = suggested_name(session, upload.file_name)
            targets = [{"label": f"{info.label} ({info.name})", "value": info.name}
                       for info in managed_uploads(session, account)]
    except (DatasetError, UploadError) as error:
        if upload is not None:
            discard_upload(folder, upload.id)
        name = str(filename or "The file")[:120]
        return (None, True, *unchanged, failure(f"{name} was not imported: {error}"), None, None)
    title = upload.file_name.rsplit(".", 1)[0][:120] or upload.file_name
    return (upload.id, False, *_preview_values(upload.preview), name, title, targets, None, None, None)


def _discard(account, upload_id) -> None:
    """Remove the user's own upload `upload_id`, if it is still there."""
    try:
        upload = load_upload(settings().uploads_path, upload_id, account.id)
    except UploadError:
        return
    discard_upload(settings().uploads_path, upload.id)


@dash.callback(
    *[Output(output.component_id, output.component_property, allow_duplicate=True) for output in PREVIEW],
    Output(ids.DATA_UPLOAD_MESSAGE, "children", allow_duplicate=True),
    Input(ids.DATA_SHEET, "value"),
    State(ids.DATA_UPLOAD_ID, "data"),
    prevent_initial_call=True,
)
def choose_sheet(sheet, upload_id):
    """Preview another sheet of the workbook."""
    account = current_account()
    try:
        check_creator(account)
        upload = load_upload(settings().uploads_path, upload_id, account.id)
        if upload.preview is None or not sheet or sheet == upload.preview.sheet:
            raise PreventUpdate  # the sheet shown already (the preview set it)
        if sheet not in upload.preview.sheets:
            raise UploadError("Choose a sheet from the list.")
        preview = inspect_upload(upload.path, upload.file_name, sheet, limits=_limits())
        remember_preview(settings().uploads_path, upload, preview)
    except (DatasetError, UploadError) as error:
        return (*[no_update] * len(PREVIEW), failure(f"The sheet {sheet!r} cannot be imported: {error}"))
    return (*_preview_values(preview), None)


@dash.callback(
    Output(ids.DATA_TIME_COLUMN, "options", allow_duplicate=True),
    Output(ids.DATA_TIME_COLUMN, "value", allow_duplicate=True),
    Input({"type": ids.DATA_COL_NAME, "c": ALL}, "value"),
    Input({"type": ids.DATA_COL_KIND, "c": ALL}, "value"),
    Input({"type": ids.DATA_COL_INCLUDE, "c": ALL}, "value"),
    State(ids.DATA_TIME_COLUMN, "value"),
    prevent_initial_call=True,
)
def time_columns(names, kinds, includes, chosen):
    """The time column is one of the included date or datetime columns, by their new names."""
    options = time_column_options(names, kinds, includes)
    return options, chosen if chosen in {option["value"] for option in options} else ""


@dash.callback(
    Output(ids.DATA_NEW_WRAP, "hidden"),
    Output(ids.DATA_TARGET_WRAP, "hidden"),
    Input(ids.DATA_MODE, "value"),
)
def show_mode_fields(mode):
    return mode != "new", mode == "new"


@dash.callback(
    Output(ids.DATA_PANEL, "hidden", allow_duplicate=True),
    Output(ids.DATA_UPLOAD_ID, "data", allow_duplicate=True),
    Output(ids.DATA_UPLOAD_MESSAGE, "children", allow_duplicate=True),
    Input(ids.DATA_DISCARD, "n_clicks"),
    State(ids.DATA_UPLOAD_ID, "data"),
    prevent_initial_call=True,
)
def discard(_clicks, upload_id):
    """Close the preview and remove the file from the server."""
    account = current_account()
    if account is not None:
        _discard(account, upload_id)
    return True, None, None


# -- importing --------------------------------------------------------------------------------

def _target(session, account, mode, target, name, title, plan) -> tuple[str, str]:
    """The dataset's name and title, once checked: a free name for a new one, or one the user
    manages whose columns are the file's. Raises `DatasetError`."""
    if mode == "new":
        name = (name or "").strip()
        check_name(session, name)
        return name, check_label(title)
    if mode not in MODES:
        raise DatasetError("Choose how to import the file: as a new dataset, or into one you manage.")
    if not target:
        raise DatasetError("Choose the dataset to append the file to." if mode == "append"
                           else "Choose the dataset to replace.")
    try:
        info = refreshable_dataset(session, account, target, plan)
    except NoAccess:
        raise DatasetError(f"You can append to or replace only a dataset you own (admins: any); {target!r} "
                           "is not one of them.") from None
    return info.name, info.label


@dash.callback(
    Output(ids.DATA_REQUEST, "data"),
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Output(ids.DATA_PROGRESS, "value", allow_duplicate=True),
    Input(ids.DATA_IMPORT, "n_clicks"),
    State(ids.DATA_UPLOAD_ID, "data"),
    State({"type": ids.DATA_COL_NAME, "c": ALL}, "value"),
    State({"type": ids.DATA_COL_KIND, "c": ALL}, "value"),
    State({"type": ids.DATA_COL_INCLUDE, "c": ALL}, "value"),
    State(ids.DATA_TIME_COLUMN, "value"),
    State(ids.DATA_MODE, "value"),
    State(ids.DATA_TARGET, "value"),
    State(ids.DATA_NAME, "value"),
    State(ids.DATA_TITLE, "value"),
    prevent_initial_call=True,
)
def start(_clicks, upload_id, names, kinds, includes, time_column, mode, target, name, title):
    """Check everything that can be checked before reading the rows, then hand the job a ticket."""
    account = current_account()
    try:
        check_creator(account)
        upload = load_upload(settings().uploads_path, upload_id, account.id)
        if upload.preview is None:
            raise UploadError(GONE)
        plan = plan_from_choices(upload.preview, names, kinds, includes, time_column)
        with database().session() as session:
            name, title = _target(session, account, mode, target, name, title, plan)
    except (DatasetError, UploadError) as error:
        return no_update, _error(str(error)), 0
    key = uuid.uuid4().hex
    ticket = issue(settings().secret_key, TICKET, account, key=key, upload=upload.id, mode=mode, name=name,
                   title=title, plan=plan.model_dump(mode="json"))
    return {"key": key, "ticket": ticket}, "Starting…", 0


@dash.callback(
    Output(ids.DATA_CANCEL, "children"),
    Output(ids.DATA_CANCEL, "disabled"),
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Input(ids.DATA_CANCEL, "n_clicks"),
    State(ids.DATA_REQUEST, "data"),
    prevent_initial_call=True,
)
def cancel(_clicks, request):
    """Ask the running import to stop; only the user it runs for may."""
    return request_cancel(request, TICKET, cancel_key)


def _progress(set_progress, key: str):
    """Report rows done (the bar fills to 95 % as they go in; committing is the rest), and stop
    the import, inside its transaction, once the user has cancelled."""
    results = cache()

    def report(done: int, expected: int | None) -> None:
        if results.has_flag(cancel_key(key)):
            raise ImportCancelled
        if expected:
            set_progress((int(min(95, 95 * done / expected)),
                          f"Importing: {done:,} of about {expected:,} rows"))
        else:
            set_progress((50, f"Importing: {done:,} rows"))

    return report


def run_import(set_progress, request) -> tuple:
    """The import, as the ticket's user: (status, progress, list refresh, panel hidden, upload
    id). The rights are checked again here, and by `import_dataset` / `refresh_dataset`."""
    if not isinstance(request, dict):
        return no_update, no_update, no_update, no_update, no_update
    folder = settings().uploads_path
    try:
        with database().session() as session:
            account, fields = redeem(settings().secret_key, TICKET, request.get("ticket"), session)
        check_creator(account)
        upload = load_upload(folder, fields.get("upload"), account.id)
        plan, mode = parse_plan(fields.get("plan") or {}), fields.get("mode")  # signed, validated again
        progress = _progress(set_progress, fields["key"])
        if mode == "new":
            info, result = import_dataset(database(), account, fields["name"], fields["title"], upload.path,
                                          upload.file_name, plan, progress, limits=_limits())
        else:
            info, result = refresh_dataset(database(), account, fields["name"], upload.path, upload.file_name,
                                           plan, mode, progress, limits=_limits())
    except ImportCancelled:
        return "Cancelled: nothing was imported.", 0, no_update, no_update, no_update
    except (BadTicket, DatasetError, UploadError) as error:
        return _error(str(error)), 0, no_update, no_update, no_update
    except sa.exc.SQLAlchemyError:
        log.exception("importing an upload failed in the database")
        return (_error("The database refused the import, so nothing was imported. Try again; if this "
                       "persists, tell your administrator."), 0, no_update, no_update, no_update)
    discard_upload(folder, upload.id)
    return import_done(result.rows, info.label, info.name, mode == "append"), 100, fields["key"], True, None


@dash.callback(
    Output(ids.DATA_STATUS, "children", allow_duplicate=True),
    Output(ids.DATA_PROGRESS, "value"),
    Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
    Output(ids.DATA_PANEL, "hidden", allow_duplicate=True),
    Output(ids.DATA_UPLOAD_ID, "data", allow_duplicate=True),
    Input(ids.DATA_REQUEST, "data"),
    background=True,
    interval=500,
    progress=[Output(ids.DATA_PROGRESS, "value"), Output(ids.DATA_STATUS, "children")],
    running=[
        (Output(ids.DATA_IMPORT, "disabled"), True, False),
        (Output(ids.DATA_DISCARD, "disabled"), True, False),
        (Output(ids.DATA_UPLOAD, "disabled"), True, False),
        (Output(ids.DATA_CANCEL, "disabled"), False, True),
        (Output(ids.DATA_CANCEL, "children"), "Cancel import", "Cancel import"),
        (Output(ids.DATA_PROGRESS, "animated"), True, False),
    ],
    on_error=status_line_on_failure(ids.DATA_STATUS),
    prevent_initial_call=True,
)
def run(set_progress, request):
    """The import, in a background job (see `run_import`)."""
    return run_import(set_progress, request)
