"""Sharing a dashboard with people and through its public link, and downloading it as JSON.

The dashboard id comes from the page's `ids.DB_REF` store, which the browser can forge, so every
callback hands it to the repository with `current_account()`: sharing and the public link need
"manage", the download needs "view". A refusal shows its message and changes nothing.
"""

from __future__ import annotations

import json
import re
import unicodedata

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from flask import request

from auth.account import current_account
from callbacks.messages import failure, success
from components import ids
from components.sharing import share_body
from context import database
from data.dashboards import (
    DashboardError,
    Forbidden,
    export_document,
    list_shares,
    load_dashboard,
    publish,
    revoke_public,
    set_share,
)

PERMISSION_WORDS = {"view": "can view", "edit": "can edit"}


def dashboard_id_from(ref) -> object:
    """The id in a DB_REF store's data, as sent (the repository validates and checks it)."""
    return ref.get("id") if isinstance(ref, dict) else None


def public_url(token: str) -> str:
    """The full address of a public link, on the host this request came to."""
    return f"{request.host_url}public/{token}"


def slugify(title: str) -> str:
    """A file-name-safe form of a title: 'Sales pulse (EMEA)' -> 'sales-pulse-emea'."""
    ascii_title = unicodedata.normalize("NFKD", title or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:80].strip("-")
    return slug or "dashboard"


def _refusal(error: DashboardError) -> dbc.Alert:
    hint = (" Only the owner and admins can change how a dashboard is shared."
            if isinstance(error, Forbidden) else "")
    return dbc.Alert([html.I(className="bi bi-shield-lock me-2"), str(error), hint], color="warning",
                     className="mb-0", id="share-refused")


# -- the dialog -------------------------------------------------------------------------------

@dash.callback(
    Output(ids.SHARE_MODAL, "is_open"),
    Output(ids.SHARE_MESSAGE, "children"),
    Input(ids.SHARE_OPEN, "n_clicks"),
    prevent_initial_call=True,
)
def open_share_dialog(clicks):
    if not clicks:
        return no_update, no_update
    return True, None


@dash.callback(
    Output(ids.SHARE_BODY, "children"),
    Input(ids.SHARE_MODAL, "is_open"),
    Input(ids.SHARE_REFRESH, "data"),
    State(ids.DB_REF, "data"),
)
def render_sharing(is_open, _refresh, ref):
    """The people it is shared with and the public link, for those who manage the dashboard."""
    if not is_open:
        return no_update
    account = current_account()
    try:
        with database().session() as session:
            shares = list_shares(session, account, dashboard_id_from(ref))
            record = load_dashboard(session, account, dashboard_id_from(ref), "manage")
    except DashboardError as error:
        return _refusal(error)
    url = public_url(record.public_token) if record.public_token else None
    return share_body(shares, url, record.owner_name)


@dash.callback(
    Output(ids.SHARE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SHARE_REFRESH, "data", allow_duplicate=True),
    Output(ids.SHARE_EMAIL, "value"),
    Input(ids.SHARE_ADD, "n_clicks"),
    Input(ids.SHARE_EMAIL, "n_submit"),
    State(ids.SHARE_EMAIL, "value"),
    State(ids.SHARE_NEW_PERMISSION, "value"),
    State(ids.DB_REF, "data"),
    State(ids.SHARE_REFRESH, "data"),
    prevent_initial_call=True,
)
def add_share(clicks, submits, email, permission, ref, refresh):
    """Share with the person who has this email (or change what they may do)."""
    if not (clicks or submits):
        # Dash calls this when the dialog body is drawn, even with prevent_initial_call, because
        # some outputs live outside the body; only a click or Enter is a request.
        return no_update, no_update, no_update
    email = (email or "").strip()
    if not email:
        return failure("Enter the email of the person to share with."), no_update, no_update
    try:
        with database().session() as session:
            share = set_share(session, current_account(), dashboard_id_from(ref), email,
                              permission if permission in PERMISSION_WORDS else "view")
    except DashboardError as error:
        return failure(str(error)), no_update, no_update
    text = f"Shared with {share.display_name} ({share.email}), who {PERMISSION_WORDS[share.permission]}."
    return success(text), (refresh or 0) + 1, ""


@dash.callback(
    Output(ids.SHARE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SHARE_REFRESH, "data", allow_duplicate=True),
    Input({"type": ids.SHARE_PERMISSION, "u": ALL}, "value"),
    Input({"type": ids.SHARE_REMOVE, "u": ALL}, "n_clicks"),
    State(ids.DB_REF, "data"),
    State(ids.SHARE_REFRESH, "data"),
    prevent_initial_call=True,
)
def change_share(_permissions, _removals, ref, refresh):
    """Change one person's permission, or stop sharing with them."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered:
        return no_update, no_update
    value = ctx.triggered[0]["value"]
    removing = trigger.get("type") == ids.SHARE_REMOVE
    if removing and not value:
        return no_update, no_update  # the button appeared; nobody clicked it
    account = current_account()
    try:
        with database().session() as session:
            current = {share.user_id: share for share in
                       list_shares(session, account, dashboard_id_from(ref))}
            user_id = trigger.get("u")
            share = current.get(user_id) if isinstance(user_id, int) else None
            if share is None:
                raise DashboardError("That person no longer has access to this dashboard.")
            if not removing and value == share.permission:
                return no_update, no_update  # the row was redrawn, not changed
            set_share(session, account, dashboard_id_from(ref), share.email,
                      None if removing else value)
    except DashboardError as error:
        return failure(str(error)), (refresh or 0) + 1
    if removing:
        return success(f"Stopped sharing with {share.display_name}."), (refresh or 0) + 1
    return success(f"{share.display_name} now {PERMISSION_WORDS[value]}."), (refresh or 0) + 1


@dash.callback(
    Output(ids.SHARE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.SHARE_REFRESH, "data", allow_duplicate=True),
    Input(ids.SHARE_PUBLIC_SWITCH, "value"),
    State(ids.DB_REF, "data"),
    State(ids.SHARE_REFRESH, "data"),
    prevent_initial_call=True,
)
def toggle_public_link(make_public, ref, refresh):
    """Publish a read-only link with a new random token, or revoke it so the old link is a 404."""
    account = current_account()
    dashboard_id = dashboard_id_from(ref)
    try:
        with database().session() as session:
            record = load_dashboard(session, account, dashboard_id, "manage")
            if bool(make_public) == record.is_public:
                return no_update, no_update
            if make_public:
                publish(session, account, record.id)
            else:
                revoke_public(session, account, record.id)
    except DashboardError as error:
        return failure(str(error)), (refresh or 0) + 1
    if make_public:
        return success("The public link is on. Anyone with it can view this dashboard."), (refresh or 0) + 1
    return success("The public link is revoked; the old link no longer works."), (refresh or 0) + 1


# -- download ---------------------------------------------------------------------------------

@dash.callback(
    Output(ids.DB_DOWNLOAD, "data"),
    Output(ids.DB_DOWNLOAD_ERROR, "is_open"),
    Output(ids.DB_DOWNLOAD_ERROR, "children"),
    Input(ids.DB_DOWNLOAD_JSON, "n_clicks"),
    State(ids.DB_REF, "data"),
    prevent_initial_call=True,
)
def download_json(clicks, ref):
    """The saved dashboard as `<slug-of-title>.json`: the document only, no ids, owner or shares."""
    if not clicks:
        return no_update, no_update, no_update
    try:
        with database().session() as session:
            text = export_document(session, current_account(), dashboard_id_from(ref))
    except DashboardError as error:
        return no_update, True, str(error)
    filename = f"{slugify(json.loads(text).get('title', ''))}.json"
    return dcc.send_string(text, filename, type="application/json"), False, None
