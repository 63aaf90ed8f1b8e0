"""The /data list: the datasets the user may read, and sharing and deleting those they manage.

Dataset names arrive from the browser (a row's button, a dialog's store); `data.dataset_store`
checks "manage" again for every one, so a forged name gets the same refusal as one that does
not exist. Refusals (`DatasetError`) become alerts; nothing is written when one is raised.
"""

from __future__ import annotations

import uuid

import dash
from dash import ALL, Input, Output, State, ctx, no_update

from auth.account import current_account
from callbacks.messages import failure, success
from callbacks.triggers import clicked_pattern
from components import ids
from components.data_page import dataset_table, delete_question, share_people
from context import cache, database, now
from data.dashboard_access import CREATOR_ROLES
from data.dataset_list import listed_datasets
from data.dataset_store import (
    DatasetError,
    dashboards_using,
    dataset_shares,
    delete_dataset,
    describe_uses,
    get_dataset_info,
    share_dataset,
)


@dash.callback(
    Output(ids.DATA_LIST, "children"),
    Input(ids.DATA_REFRESH, "data"),
)
def render_list(_refresh):
    """Built-in datasets, then the user's own and those shared with them."""
    account = current_account()
    with database().session() as session:
        datasets = listed_datasets(session, cache(), account)
    can_upload = account is not None and account.role in CREATOR_ROLES
    return dataset_table(datasets, now(), can_upload)


# -- sharing ----------------------------------------------------------------------------------

@dash.callback(
    Output(ids.DATA_SHARE_MODAL, "is_open"),
    Output(ids.DATA_SHARE_TITLE, "children"),
    Output(ids.DATA_SHARE_PEOPLE, "children"),
    Output(ids.DATA_SHARE_TARGET, "data"),
    Output(ids.DATA_SHARE_MESSAGE, "children"),
    Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.DATA_SHARE, "d": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_share(_clicks):
    """Open the share dialog for a dataset the user manages."""
    clicked = clicked_pattern()
    if clicked is None:
        return (no_update,) * 6
    try:
        with database().session() as session:
            info = get_dataset_info(session, current_account(), clicked.get("d"), "manage")
            people = dataset_shares(session, info)
    except DatasetError as error:
        return False, no_update, no_update, None, None, failure(str(error))
    return True, f"Share {info.label}", share_people(people), info.name, None, None


@dash.callback(
    Output(ids.DATA_SHARE_PEOPLE, "children", allow_duplicate=True),
    Output(ids.DATA_SHARE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.DATA_SHARE_EMAIL, "value"),
    Input(ids.DATA_SHARE_ADD, "n_clicks"),
    Input(ids.DATA_SHARE_EMAIL, "n_submit"),
    Input({"type": ids.DATA_UNSHARE, "email": ALL}, "n_clicks"),
    State(ids.DATA_SHARE_EMAIL, "value"),
    State(ids.DATA_SHARE_TARGET, "data"),
    prevent_initial_call=True,
)
def change_share(_add, _submit, _remove, email, target):
    """Share the dataset in the dialog with an email, or stop sharing it with someone."""
    removing = ctx.triggered_id if isinstance(ctx.triggered_id, dict) else None
    if removing is not None and clicked_pattern() is None:
        return no_update, no_update, no_update  # the list was redrawn, nothing clicked
    address = str(removing.get("email", "")) if removing else (email or "").strip()
    if not address:
        return no_update, failure("Enter the email of the person to share with."), no_update
    try:
        with database().session() as session:
            info = share_dataset(session, current_account(), target, address, shared=removing is None)
            people = dataset_shares(session, info)
    except DatasetError as error:
        return no_update, failure(str(error)), no_update
    done = f"No longer shared with {address}." if removing else f"Shared with {address}."
    return share_people(people), success(done), "" if removing is None else no_update


# -- deleting ---------------------------------------------------------------------------------

@dash.callback(
    Output(ids.DATA_DELETE_MODAL, "is_open"),
    Output(ids.DATA_DELETE_BODY, "children"),
    Output(ids.DATA_DELETE_TARGET, "data"),
    Output(ids.DATA_DELETE_CONFIRM, "disabled"),
    Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
    Input({"type": ids.DATA_DELETE, "d": ALL}, "n_clicks"),
    prevent_initial_call=True,
)
def open_delete(_clicks):
    """Ask before deleting; say at once if dashboards use the dataset (it cannot be deleted)."""
    clicked = clicked_pattern()
    if clicked is None:
        return (no_update,) * 5
    account = current_account()
    try:
        with database().session() as session:
            info = get_dataset_info(session, account, clicked.get("d"), "manage")
            uses = dashboards_using(session, account, info.name)
    except DatasetError as error:
        return False, None, None, True, failure(str(error))
    in_use = None
    if uses:
        in_use = (f"{info.label} cannot be deleted: it is used by {describe_uses(uses)}. Remove its widgets "
                  "from those dashboards first.")
    return True, delete_question(info.label, info.row_count, in_use), info.name, bool(uses), None


@dash.callback(
    Output(ids.DATA_DELETE_MODAL, "is_open", allow_duplicate=True),
    Output(ids.DATA_DELETE_TARGET, "data", allow_duplicate=True),
    Output(ids.DATA_MESSAGE, "children", allow_duplicate=True),
    Output(ids.DATA_REFRESH, "data", allow_duplicate=True),
    Input(ids.DATA_DELETE_CONFIRM, "n_clicks"),
    Input(ids.DATA_DELETE_CANCEL, "n_clicks"),
    State(ids.DATA_DELETE_TARGET, "data"),
    prevent_initial_call=True,
)
def confirm_delete(_confirm, _cancel, target):
    """Delete the dataset named in the dialog's store; `delete_dataset` checks "manage" again."""
    if ctx.triggered_id != ids.DATA_DELETE_CONFIRM:
        return False, None, no_update, no_update
    try:
        with database().session() as session:
            info = delete_dataset(session, current_account(), target)
    except DatasetError as error:
        return False, None, failure(str(error)), uuid.uuid4().hex
    return False, None, success(f"Deleted {info.label}."), uuid.uuid4().hex
