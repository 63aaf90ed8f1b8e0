"""The dashboard gallery: list a tab, create, import, duplicate and delete dashboards.

Every callback asks `current_account()` who is calling and leaves the decision to the repository
(`data.dashboards`), which re-checks access for every dashboard id that arrives from the browser.
Refusals (`DashboardError`, `SpecError`) become alerts; nothing is written when one is raised.
"""

from __future__ import annotations

import base64
import binascii

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from pydantic import ValidationError

from auth.account import current_account
from callbacks.messages import failure, success
from callbacks.triggers import clicked_pattern
from components import ids
from components.gallery import TABS, TITLE_MAX, delete_question, empty_gallery, gallery_cards
from context import database, now
from data.dashboard_access import CREATOR_ROLES
from data.dashboard_spec import MAX_DOCUMENT_BYTES, DashboardSpec, SpecError
from data.dashboards import (
    DashboardError,
    create_dashboard,
    delete_dashboard,
    duplicate_dashboard,
    import_document,
    list_dashboards,
    load_dashboard,
)

# base64 grows a file by 4/3; anything longer than this cannot be a document we would accept.
MAX_UPLOAD_CHARS = MAX_DOCUMENT_BYTES * 4 // 3 + 1024


def _can_create(account) -> bool:
    return account is not None and account.role in CREATOR_ROLES


def problems_alert(error: SpecError, heading: str) -> dbc.Alert:
    """A `SpecError` as an alert with one list item per problem."""
    return dbc.Alert([html.Strong(heading), html.Ul([html.Li(problem) for problem in error.problems],
                                                    className="mb-0 mt-2")],
                     color="danger", dismissable=True, className="py-2", id="gal-problems")


# -- the list ---------------------------------------------------------------------------------

@dash.callback(
    Output(ids.GAL_LIST, "children"),
    Input(ids.GAL_TABS, "active_tab"),
    Input(ids.GAL_SEARCH, "value"),
    Input(ids.GAL_REFRESH, "data"),
)
def render_gallery(tab, search, _refresh):
    """The cards of one tab, filtered by title, or an empty state that says what to do."""
    account = current_account()
    tab = tab if tab in dict(TABS) else "mine"
    search = search.strip()[:TITLE_MAX] if isinstance(search, str) else ""
    try:
        with database().session() as session:
            summaries = list_dashboards(session, account, tab, search)
    except DashboardError as error:
        return failure(str(error))
    if not summaries:
        return empty_gallery(tab, search, _can_create(account))
    return gallery_cards(summaries, now(), _can_create(account))


# -- new dashboard ----------------------------------------------------------------------------

@dash.callback(
    Output(ids.GAL_NEW_MODAL, "is_open"),
    Output(ids.GAL_NEW_MESSAGE, "children"),
    Input(ids.GAL_NEW_OPEN, "n_clicks"),
    Input(ids.GAL_NEW_CANCEL, "n_clicks"),
    prevent_initial_call=True,
)
def toggle_new_dialog(_open, _cancel):
    return ctx.triggered_id == ids.GAL_NEW_OPEN, None


@dash.callback(
    Output(ids.URL, "href", allow_duplicate=True),
    Output(ids.GAL_NEW_MESSAGE, "children", allow_duplicate=True),
    Input(ids.GAL_NEW_SUBMIT, "n_clicks"),
    Input(ids.GAL_NEW_TITLE, "n_submit"),
    State(ids.GAL_NEW_TITLE, "value"),
    prevent_initial_call=True,
)
def create_new_dashboard(clicks, submits, title):
    """Create an empty dashboard with this title, then open it in the builder."""
    if not (clicks or submits):
        return no_update, no_update  # the page was drawn (ids.URL is outside it), nothing clicked
    title = (title or "").strip()
    if not title:
        return no_update, failure("Give the dashboard a title.")
    if len(title) > TITLE_MAX:
        return no_update, failure(f"A title has at most {TITLE_MAX} characters.")
    try:
        spec = DashboardSpec(title=title)
        with database().session() as session:
            record = create_dashboard(session, current_account(), spec, "Created empty")
            dashboard_id = record.id
    except ValidationError:
        return no_update, failure("That title cannot be used; try a shorter, plain one.")
    except DashboardError as error:
        return no_update, failure(str(error))
    return f"/dashboards/{dashboard_id}/edit", None


# -- import -----------------------------------------------------------------------------------

def _decode_upload(contents: str) -> str:
    """The text of a dcc.Upload data URL; raises `SpecError` if it is not UTF-8 text."""
    if len(contents) > MAX_UPLOAD_CHARS:
        raise SpecError([f"The file is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB."])
    _, _, encoded = contents.partition(";base64,")
    try:
        return base64.b64decode(encoded, validate=True).decode("utf-8-sig")
    except (binascii.Error, ValueError):
        raise SpecError(["The file could not be read as UTF-8 text."]) from None


@dash.callback(
    Output(ids.URL, "href", allow_duplicate=True),
    Output(ids.GAL_MESSAGE, "children", allow_duplicate=True),
    Output(ids.GAL_IMPORT, "contents"),
    Input(ids.GAL_IMPORT, "contents"),
    State(ids.GAL_IMPORT, "filename"),
    prevent_initial_call=True,
)
def import_dashboard(contents, filename):
    """Create a dashboard from an uploaded JSON file (the importer owns it), then open it.

    Clears the upload so the same file can be chosen again after fixing it.
    """
    if not isinstance(contents, str) or not contents:
        return no_update, no_update, no_update
    name = str(filename or "the file")[:120]
    try:
        text = _decode_upload(contents)
        with database().session() as session:
            record = import_document(session, current_account(), text)
            dashboard_id = record.id
    except SpecError as error:
        return no_update, problems_alert(error, f"{name} was not imported; nothing was created."), None
    except DashboardError as error:
        return no_update, failure(str(error)), None
    return f"/dashboards/{dashboard_id}", None, None


# -- duplicate and delete ---------------------------------------------------------------------

@dash.callback(
    Output(ids.GAL_MESSAGE, "children", allow_duplicate=True),
    Output(ids.GAL_REFRESH, "data", allow_duplicate=True),
    Output(ids.GAL_TABS, "active_tab"),
    Input({"type": ids.GAL_DUPLICATE, "d": ALL}, "n_clicks"),
    State(ids.GAL_REFRESH, "data"),
    prevent_initial_call=True,
)
def duplicate(_clicks, refresh):
    """Copy a dashboard the caller can see into their own, and show the Mine tab."""
    clicked = clicked_pattern()
    if clicked is None:
        return no_update, no_update, no_update
    try:
        with database().session() as session:
            copy = duplicate_dashboard(session, current_account(), clicked.get("d"))
            title, copy_id = copy.title, copy.id
    except DashboardError as error:
        return failure(str(error)), no_update, no_update
    message = success(["Created ", dcc.Link(title, href=f"/dashboards/{copy_id}",
                                                 className="alert-link"), "."])
    return message, (refresh or 0) + 1, "mine"


@dash.callback(
    Output(ids.GAL_DELETE_MODAL, "is_open"),
    Output(ids.GAL_DELETE_BODY, "children"),
    Output(ids.GAL_DELETE_TARGET, "data"),
    Output(ids.GAL_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.GAL_DELETE, "d": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def ask_to_delete(_clicks):
    """Open the confirm dialog for a dashboard the caller may delete (checked again on confirm)."""
    clicked = clicked_pattern()
    if clicked is None:
        return no_update, no_update, no_update, no_update
    try:
        with database().session() as session:
            record = load_dashboard(session, current_account(), clicked.get("d"), "manage")
    except DashboardError as error:
        return False, None, None, failure(str(error))
    return True, delete_question(record.title, record.owner_name, record.widget_count), record.id, None


@dash.callback(
    Output(ids.GAL_DELETE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.GAL_DELETE_TARGET, "data", allow_duplicate=True),
    Output(ids.GAL_MESSAGE, "children", allow_duplicate=True),
    Output(ids.GAL_REFRESH, "data", allow_duplicate=True),
    Input(ids.GAL_DELETE_CONFIRM, "n_clicks"),
    Input(ids.GAL_DELETE_CANCEL, "n_clicks"),
    State(ids.GAL_DELETE_TARGET, "data"),
    State(ids.GAL_REFRESH, "data"),
    prevent_initial_call=True,
)
def confirm_delete(_confirm, _cancel, target, refresh):
    """Delete the dashboard named in the dialog's store; the repository checks "manage" again."""
    if ctx.triggered_id != ids.GAL_DELETE_CONFIRM:
        return False, None, no_update, no_update
    try:
        with database().session() as session:
            record = load_dashboard(session, current_account(), target, "manage")
            delete_dashboard(session, current_account(), record.id)
    except DashboardError as error:
        return False, None, failure(str(error)), (refresh or 0) + 1
    return False, None, success(f"Deleted {record.title}."), (refresh or 0) + 1
