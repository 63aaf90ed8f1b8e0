"""The SQL connections page, /data/connections (admins only): the list of connections, a form to
test and save one, and a form to make a dataset from a table, a view or a SELECT of one.

Nothing here shows a URL's password: the list shows each connection's redacted URL, and the URL
field is a password input that the server only ever clears.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.states import page_header
from data.connection_store import TIME_KINDS
from data.connections import PRODUCTS
from data.source_columns import PREVIEW_ROWS

URL_EXAMPLES = ("postgresql+psycopg://user:password@host:5432/database",
                "mysql+pymysql://user:password@host:3306/database", "sqlite:///sales.db",
                "duckdb:///sales.duckdb")
MAX_CELL_CHARS = 100


def _field(label: str, control, html_for: str, width: int, hint: str | None = None) -> dbc.Col:
    return dbc.Col([dbc.Label(label, html_for=html_for), control,
                    dbc.FormText(hint) if hint else None], md=width)


def connections_table(connections: list) -> html.Div:
    """Rows of connections (`ConnectionInfo`): name, database, redacted URL, datasets, delete."""
    if not connections:
        return html.P("No connections yet. Add one below.", className="text-body-secondary mb-0")
    header = html.Thead(html.Tr([html.Th(label) for label in ("Name", "Database", "URL", "Datasets", "")]))
    rows = []
    for connection in connections:
        used = bool(connection.datasets)
        rows.append(html.Tr(
            [html.Td(connection.name),
             html.Td(PRODUCTS.get(connection.backend, connection.backend)),
             html.Td(html.Code(connection.display_url)),
             html.Td([dcc.Link(name, href=f"/data/{name}", className="me-2") for name in connection.datasets]
                     or html.Span("None", className="text-body-secondary")),
             html.Td(dbc.Button("Delete", id={"type": ids.CN_DELETE, "connection": connection.id}, size="sm",
                                color="danger", outline=True, disabled=used,
                                title="Delete its datasets first" if used else "Delete this connection"),
                     className="text-end")],
            **{"data-connection": connection.name}))
    return html.Div(dbc.Table([header, html.Tbody(rows)], className="pb-table align-middle mb-0", hover=True),
                    className="pb-table-wrap")


def add_connection_form(sqlite_folder: str, any_path: bool) -> html.Div:
    where = ("SQLite and DuckDB files may be anywhere the server can read." if any_path else
             f"SQLite and DuckDB files must be in {sqlite_folder}; a relative path is taken there.")
    return html.Div(
        [html.H2("Add a connection", className="pb-card-title"),
         dbc.Row(
             [_field("Name", dbc.Input(id=ids.CN_NAME, placeholder="Warehouse", maxLength=120),
                     ids.CN_NAME, 3),
              _field("SQLAlchemy URL", dbc.Input(id=ids.CN_URL, type="password", placeholder=URL_EXAMPLES[0],
                                                 autoComplete="off"),
                     ids.CN_URL, 5, f"For example {', '.join(URL_EXAMPLES[1:])}. {where}"),
              dbc.Col([dbc.Button("Test", id=ids.CN_TEST, color="secondary", outline=True, className="me-2"),
                       dbc.Button("Save", id=ids.CN_SAVE, color="primary")],
                      md=4, className="d-flex align-items-start pt-md-4 mt-md-2")],
             className="g-3"),
         dcc.Loading(html.Div(id=ids.CN_TEST_RESULT, className="mt-3"), delay_show=300),
         html.P("Pulseboard only reads: it lists tables and views and runs read-only SELECTs with a time "
                "limit. Give the connection a database account that can read only what dashboards need. The "
                "URL is stored encrypted and never shown again with its password.",
                className="text-body-secondary small mb-0 mt-2")],
        className="pb-card mb-4")


def dataset_form() -> html.Div:
    table_tab = dbc.Tab(
        html.Div(dcc.Dropdown(id=ids.CN_RELATION, options=[], placeholder="Pick a table or view"),
                 className="pt-3"),
        label="A table or view", tab_id="table")
    sql_tab = dbc.Tab(
        html.Div([dbc.Textarea(id=ids.CN_SQL, rows=6, placeholder="SELECT ... FROM ...", spellCheck=False,
                               className="font-monospace"),
                  dbc.Button("Run", id=ids.CN_RUN, color="secondary", outline=True, className="mt-2"),
                  dbc.FormText(f" Shows the first {PREVIEW_ROWS} rows; the query runs read-only, "
                               "with a time limit.")],
                 className="pt-3"),
        label="A SELECT", tab_id="sql")
    return html.Div(
        [html.H2("Make a dataset", className="pb-card-title"),
         dbc.Row(_field("Connection", dbc.Select(id=ids.CN_SOURCE, options=[],
                                                 placeholder="Pick a connection"), ids.CN_SOURCE, 4),
                 className="g-3"),
         dbc.Tabs([table_tab, sql_tab], id=ids.CN_KIND, active_tab="table", className="mt-3"),
         dcc.Loading(html.Div(id=ids.CN_PREVIEW, className="mt-3"), delay_show=300),
         dbc.Row(
             [_field("Time column", dbc.Select(id=ids.CN_TIME_COLUMN, options=[], value=""),
                     ids.CN_TIME_COLUMN, 3),
              _field("Dataset name", dbc.Input(id=ids.CN_DATASET_NAME, placeholder="orders", maxLength=40),
                     ids.CN_DATASET_NAME, 3, "Lower-case letters, digits and _: how dashboards refer to it."),
              _field("Title", dbc.Input(id=ids.CN_DATASET_TITLE, placeholder="Orders", maxLength=120),
                     ids.CN_DATASET_TITLE, 3),
              dbc.Col(dbc.Button("Create dataset", id=ids.CN_CREATE, color="primary"), md=3,
                      className="d-flex align-items-start pt-md-4 mt-md-2")],
             className="g-3 mt-1"),
         dcc.Loading(html.Div(id=ids.CN_CREATE_MESSAGE, className="mt-3"), delay_show=300)],
        className="pb-card mb-4")


def connections_page(sqlite_folder: str, any_path: bool) -> list:
    back = dbc.Button([html.I(className="bi bi-arrow-left me-1"), "All data"], href="/data", size="sm",
                      color="secondary", outline=True)
    return [
        page_header("Database connections", "Read tables, views and SELECTs of your databases as datasets.",
                    actions=[back]),
        html.Div(id=ids.CN_MESSAGE),
        html.Div([html.H2("Connections", className="pb-card-title"),
                  dcc.Loading(html.Div(id=ids.CN_LIST), delay_show=300)], className="pb-card mb-4"),
        add_connection_form(sqlite_folder, any_path),
        dataset_form(),
        dcc.Store(id=ids.CN_REFRESH, data=0),
    ]


# -- what the dataset form shows -------------------------------------------------------------------

def connection_options(connections: list) -> list[dict]:
    return [{"label": f"{connection.name} ({PRODUCTS.get(connection.backend, connection.backend)})",
             "value": str(connection.id)} for connection in connections]


def relation_options(relations: list) -> list[dict]:
    """Options of a dropdown of tables and views; each value is the JSON list [schema, name]."""
    return [{"label": f"{relation.schema}.{relation.name}" + (" (view)" if relation.kind == "view" else ""),
             "value": json.dumps([relation.schema, relation.name])} for relation in relations]


def time_options(columns: list[tuple[str, str]]) -> list[dict]:
    """The date and datetime columns of (name, kind) pairs, after a "no time column" option."""
    return [{"label": "No time column", "value": ""}] + [{"label": f"{name} ({kind})", "value": name}
                                                          for name, kind in columns if kind in TIME_KINDS]


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        return "(binary)"
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    return text if len(text) <= MAX_CELL_CHARS else f"{text[:MAX_CELL_CHARS]}…"


def columns_preview(columns: list[tuple[str, str]]) -> html.Div:
    """The columns a table gives a dataset, with their kinds."""
    return html.Div([html.P(f"{len(columns)} columns:", className="mb-1"),
                     html.Div([dbc.Badge(f"{name} · {kind}", color="light", text_color="dark",
                                         className="me-1 mb-1") for name, kind in columns])])


def rows_preview(columns: list[str], rows: list[tuple], kinds: dict[str, str | None]) -> html.Div:
    """A SELECT's first rows, each column headed by its kind (or "not usable")."""
    header = html.Thead(html.Tr([html.Th([name, html.Br(), html.Small(kinds.get(name) or "not usable",
                                                                        className="text-body-secondary")])
                                 for name in columns]))
    body = html.Tbody([html.Tr([html.Td(_cell(value)) for value in row]) for row in rows])
    note = f"{len(rows)} row{'s' if len(rows) != 1 else ''}"
    if len(rows) >= PREVIEW_ROWS:
        note += f" (the first {PREVIEW_ROWS})"
    return html.Div([html.P(note, className="mb-1 text-body-secondary"),
                     html.Div(dbc.Table([header, body], size="sm", className="pb-table mb-0"),
                              className="pb-table-wrap", style={"maxHeight": "24rem", "overflow": "auto"})])
