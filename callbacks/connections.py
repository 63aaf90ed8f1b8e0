"""/data/connections, admins only: list, test, save and delete connections, and make datasets
from their tables, views and SELECTs.

Every callback checks on the server that the caller is an admin, and looks up the connection id
that arrives from the browser. The URL the admin types reaches the server with Test and with Save,
and no callback sends a URL with its password, or anything decrypted, back: the list shows
redacted URLs, and messages are scrubbed.
"""

from __future__ import annotations

import json

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, no_update

from auth.account import PermissionDenied, require_role
from callbacks.messages import failure, success
from components import ids
from components.connections import (
    columns_preview,
    connection_options,
    connections_table,
    relation_options,
    rows_preview,
    time_options,
)
from context import database, settings
from data import connection_store
from data.connection_store import SHOWN_ERRORS, safe_message

REFUSED = (PermissionDenied, *SHOWN_ERRORS)


def _admin():
    """The signed-in admin; raises `PermissionDenied` for anyone else."""
    return require_role("admin")


@dash.callback(Output(ids.CN_LIST, "children"), Output(ids.CN_SOURCE, "options"),
               Input(ids.CN_REFRESH, "data"))
def render_connections(_refresh):
    try:
        admin = _admin()
        with database().session() as session:
            found = connection_store.list_connections(session, admin)
    except REFUSED as error:
        return failure(str(error)), []
    return connections_table(found), connection_options(found)


@dash.callback(Output(ids.CN_TEST_RESULT, "children"), Input(ids.CN_TEST, "n_clicks"),
               State(ids.CN_URL, "value"), prevent_initial_call=True)
def try_connection(_clicks, url):
    try:
        _admin()
        _checked, version = connection_store.check_url(url or "", settings())
    except REFUSED as error:
        return failure(safe_message(error, url))
    return success(f"Connected: {version}.")


@dash.callback(
    Output(ids.CN_MESSAGE, "children"),
    Output(ids.CN_REFRESH, "data"),
    Output(ids.CN_NAME, "value"),
    Output(ids.CN_URL, "value"),
    Output(ids.CN_TEST_RESULT, "children", allow_duplicate=True),
    Output(ids.CN_SOURCE, "value"),
    Input(ids.CN_SAVE, "n_clicks"),
    State(ids.CN_NAME, "value"),
    State(ids.CN_URL, "value"),
    State(ids.CN_REFRESH, "data"),
    prevent_initial_call=True,
)
def save_connection(_clicks, name, url, refresh):
    try:
        admin = _admin()
        with database().session() as session:
            saved = connection_store.create_connection(session, admin, name or "", url or "", settings())
    except REFUSED as error:
        return failure(safe_message(error, url)), no_update, no_update, no_update, no_update, no_update
    # The URL field is cleared: the password is never in the page again.
    return (success(f"Saved the connection {saved.name!r} ({saved.display_url})."), (refresh or 0) + 1,
            "", "", None, str(saved.id))


@dash.callback(
    Output(ids.CN_MESSAGE, "children", allow_duplicate=True),
    Output(ids.CN_REFRESH, "data", allow_duplicate=True),
    Input({"type": ids.CN_DELETE, "connection": ALL}, "n_clicks"),
    State(ids.CN_REFRESH, "data"),
    prevent_initial_call=True,
)
def delete_connection(_clicks, refresh):
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        return no_update, no_update  # a button appearing, not a click
    try:
        admin = _admin()
        with database().session() as session:
            name = connection_store.delete_connection(session, admin, trigger.get("connection"))
    except REFUSED as error:
        return failure(str(error)), no_update
    return success(f"Deleted the connection {name!r}."), (refresh or 0) + 1


@dash.callback(Output(ids.CN_RELATION, "options"), Output(ids.CN_RELATION, "value"),
               Output(ids.CN_CREATE_MESSAGE, "children"),
               Input(ids.CN_SOURCE, "value"), prevent_initial_call=True)
def load_relations(connection_id):
    if not connection_id:
        return [], None, None
    try:
        found = connection_store.relations(database(), _admin(), settings(), connection_id)
    except REFUSED as error:
        return [], None, failure(str(error))
    return relation_options(found), None, None


def _table(relation) -> tuple[str, ...]:
    """The [schema, name] JSON of the relation dropdown, as a tuple (checked again in the store)."""
    try:
        parts = json.loads(relation or "")
    except ValueError:
        parts = None
    if not isinstance(parts, list):
        raise connection_store.ConnectionStoreError("Pick a table or view.")
    return tuple(parts)


@dash.callback(
    Output(ids.CN_PREVIEW, "children"),
    Output(ids.CN_TIME_COLUMN, "options"),
    Output(ids.CN_TIME_COLUMN, "value"),
    Input(ids.CN_RELATION, "value"),
    Input(ids.CN_RUN, "n_clicks"),
    State(ids.CN_SOURCE, "value"),
    State(ids.CN_SQL, "value"),
    prevent_initial_call=True,
)
def describe_source(relation, _run, connection_id, sql):
    """A table's columns when one is picked, or a SELECT's first rows when it is run; and the
    date and datetime columns to choose the time column from."""
    running = ctx.triggered_id == ids.CN_RUN
    if not running and not relation:
        return None, time_options([]), ""
    try:
        admin = _admin()
        if running:
            preview = connection_store.preview_select(database(), admin, settings(), connection_id, sql or "")
            shown, columns = rows_preview(preview.columns, preview.rows, preview.kinds), preview.usable()
        else:
            columns = connection_store.table_columns(database(), admin, settings(), connection_id,
                                                     _table(relation))
            shown = columns_preview(columns)
    except REFUSED as error:
        return failure(str(error)), time_options([]), ""
    options = time_options(columns)
    return shown, options, options[1]["value"] if len(options) > 1 else ""


@dash.callback(
    Output(ids.CN_CREATE_MESSAGE, "children", allow_duplicate=True),
    Output(ids.CN_REFRESH, "data", allow_duplicate=True),
    Input(ids.CN_CREATE, "n_clicks"),
    State(ids.CN_SOURCE, "value"),
    State(ids.CN_KIND, "active_tab"),
    State(ids.CN_RELATION, "value"),
    State(ids.CN_SQL, "value"),
    State(ids.CN_TIME_COLUMN, "value"),
    State(ids.CN_DATASET_NAME, "value"),
    State(ids.CN_DATASET_TITLE, "value"),
    State(ids.CN_REFRESH, "data"),
    prevent_initial_call=True,
)
def create_dataset(_clicks, connection_id, kind, relation, sql, time_column, name, title, refresh):
    try:
        admin = _admin()
        if not connection_id:
            raise connection_store.ConnectionStoreError("Pick a connection first.")
        table = _table(relation) if kind != "sql" else None
        info = connection_store.connect_dataset(
            database(), admin, settings(), connection_id, (name or "").strip(), title or "",
            table=table, sql=(sql or "") if kind == "sql" else None, time_column=time_column or None)
    except REFUSED as error:
        return failure(str(error)), no_update
    rows = f"{info.row_count:,} rows" if info.row_count is not None else "rows not counted"
    return dbc.Alert([f"Created the dataset {info.name} ({rows}). ",
                      dcc.Link("Open it", href=f"/data/{info.name}", className="alert-link")],
                     color="success", dismissable=True, className="py-2"), (refresh or 0) + 1
