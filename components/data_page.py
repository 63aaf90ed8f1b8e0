"""The /data page: the list of datasets, the upload with its preview and import settings, and
the share and delete dialogs. Text from users and files is always rendered as text."""

from __future__ import annotations

import datetime as dt

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids
from components.gallery import exact_time, relative_time
from components.states import delete_modal, page_header
from data.dataset_list import ListedDataset
from data.upload_preview import ColumnPreview, UploadPreview
from data.upload_sniff import ENCODINGS
from data.upload_types import KINDS

ACCEPT = ".csv,.tsv,.txt,.xlsx,.xlsm"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MODES = (("new", "New dataset"), ("append", "Append to a dataset you manage"),
         ("replace", "Replace a dataset you manage"))
SAMPLE_VALUES = 3
NAME_MAX, TITLE_MAX, COLUMN_NAME_MAX = 40, 120, 100


# -- the page ---------------------------------------------------------------------------------

def upload_action(max_mb: int) -> dcc.Upload:
    """The "Upload a file" button: a dcc.Upload that refuses larger files in the browser (the
    server checks again)."""
    return dcc.Upload(
        dbc.Button([html.I(className="bi bi-upload me-1"), "Upload a file"], color="primary",
                   id="data-upload-button"),
        id=ids.DATA_UPLOAD, accept=ACCEPT, multiple=False, max_size=max_mb * 1_000_000,
    )


def connections_action() -> dbc.Button:
    """For admins: the way to /data/connections, where databases are connected."""
    return dbc.Button([html.I(className="bi bi-plug me-1"), "Database connections"], href="/data/connections",
                      color="secondary", outline=True, id="data-connections-link")


def data_page(can_upload: bool, max_mb: int, is_admin: bool = False) -> list:
    """The whole /data page; the list is drawn by callbacks.data_list, the preview by
    callbacks.data_upload."""
    subtitle = ("Your datasets and the built-in demo ones. Upload a CSV or Excel file "
                f"(up to {max_mb:,} MB) to add your own." if can_upload
                else "The built-in demo datasets and the datasets shared with you.")
    actions = ([connections_action()] if is_admin else []) + ([upload_action(max_mb)] if can_upload else [])
    page = [
        page_header("Data", subtitle, actions=actions or None),
        html.Div(id=ids.DATA_MESSAGE),
    ]
    if can_upload:
        page += [html.Div(id=ids.DATA_UPLOAD_MESSAGE), upload_panel(), import_status(),
                 dcc.Store(id=ids.DATA_UPLOAD_ID), dcc.Store(id=ids.DATA_REQUEST)]
    page += [
        dcc.Loading(html.Div(id=ids.DATA_LIST, className="pb-card"), delay_show=300, type="dot"),
        dcc.Store(id=ids.DATA_REFRESH, data=0),
        dcc.Store(id=ids.DATA_SHARE_TARGET),
        dcc.Store(id=ids.DATA_DELETE_TARGET),
        share_modal(),
        delete_dialog(),
    ]
    return page


def _field(label: str, control, control_id: str, help_text: str | None = None, **wrap) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control_id), control,
                     dbc.FormText(help_text) if help_text else None], className="mb-3", **wrap)


def upload_panel() -> html.Div:
    """The preview and the import settings, hidden until a file is uploaded."""
    return html.Div(
        [
            html.Div([html.H2("Preview", className="pb-card-title mb-1"),
                      html.Div(id=ids.DATA_FILE_SUMMARY, className="small text-body-secondary")],
                     className="mb-3"),
            _field("Sheet", dbc.Select(id=ids.DATA_SHEET, options=[]), ids.DATA_SHEET,
                   id=ids.DATA_SHEET_WRAP, hidden=True),
            html.H3("Columns", className="h6"),
            html.P("Rename a column, change its type, or leave it out. Every value is checked on import.",
                   className="small text-body-secondary"),
            html.Div(id=ids.DATA_COLUMNS, className="pb-data-columns mb-3"),
            html.H3("First rows", className="h6"),
            html.Div(id=ids.DATA_ROWS, className="mb-3"),
            dbc.Row([
                dbc.Col(_field("Time column", dbc.Select(id=ids.DATA_TIME_COLUMN, options=[]),
                               ids.DATA_TIME_COLUMN, "A date or datetime column, for charts over time."),
                        md=4),
                dbc.Col(_field("Import as", dbc.RadioItems(id=ids.DATA_MODE, value="new",
                                                           options=[{"label": label, "value": value}
                                                                    for value, label in MODES]),
                               ids.DATA_MODE), md=8),
            ]),
            dbc.Row([
                dbc.Col(_field("Name", dbc.Input(id=ids.DATA_NAME, maxLength=NAME_MAX, autoComplete="off"),
                               ids.DATA_NAME, "How dashboards refer to it: lower-case letters, digits and _, "
                               "starting with a letter."), md=4),
                dbc.Col(_field("Title", dbc.Input(id=ids.DATA_TITLE, maxLength=TITLE_MAX, autoComplete="off"),
                               ids.DATA_TITLE, "Shown in lists and in the builder."), md=8),
            ], id=ids.DATA_NEW_WRAP),
            html.Div(_field("Dataset", dbc.Select(id=ids.DATA_TARGET, options=[]), ids.DATA_TARGET,
                            "The file's columns must be the dataset's: the same names and types."),
                     id=ids.DATA_TARGET_WRAP, hidden=True),
            html.Div([
                dbc.Button([html.I(className="bi bi-box-arrow-in-down me-1"), "Import"], id=ids.DATA_IMPORT,
                           color="primary"),
                dbc.Button("Discard", id=ids.DATA_DISCARD, color="secondary", outline=True),
            ], className="d-flex gap-2"),
        ],
        id=ids.DATA_PANEL, hidden=True, className="pb-card mb-3",
    )


def import_status() -> html.Div:
    """The import's progress bar, status line and Cancel button (outside the panel, so the
    outcome stays on screen once the panel closes)."""
    return html.Div(
        [
            dbc.Progress(id=ids.DATA_PROGRESS, value=0, striped=True, className="mb-2",
                         style={"height": ".5rem"}),
            html.Div([html.Div(id=ids.DATA_STATUS, role="status", className="small flex-grow-1"),
                      dbc.Button("Cancel import", id=ids.DATA_CANCEL, size="sm", color="secondary",
                                 outline=True, disabled=True)],
                     className="d-flex align-items-center gap-2"),
        ],
        className="mb-3",
    )


# -- the list ---------------------------------------------------------------------------------

def _title_cell(dataset: ListedDataset) -> html.Div:
    title = (html.Span(dataset.label, className="fw-semibold") if dataset.built_in
             else dcc.Link(dataset.label, href=f"/data/{dataset.name}", className="fw-semibold"))
    return html.Div([title, html.Div(html.Code(dataset.name), className="small")])


def _refreshed(dataset: ListedDataset, now: dt.datetime):
    if dataset.refreshed_at is None:
        return "—"
    return html.Span(relative_time(dataset.refreshed_at, now), title=exact_time(dataset.refreshed_at))


def _actions(dataset: ListedDataset):
    if not dataset.may_manage:
        return None
    return html.Div([
        dbc.Button([html.I(className="bi bi-people me-1"), "Share"],
                   id={"type": ids.DATA_SHARE, "d": dataset.name}, size="sm", color="secondary", outline=True,
                   n_clicks=0),
        dbc.Button([html.I(className="bi bi-trash"), html.Span(f"Delete {dataset.label}",
                                                               className="visually-hidden")],
                   id={"type": ids.DATA_DELETE, "d": dataset.name}, size="sm", color="danger", outline=True,
                   n_clicks=0, title="Delete"),
    ], className="d-flex gap-1 justify-content-end text-nowrap")


def dataset_table(datasets: list[ListedDataset], now: dt.datetime, can_upload: bool) -> list:
    """The list of datasets, and a hint when the user has none of their own."""
    head = ["Dataset", "Source", "Rows", "Last refreshed", "Owner", ""]
    rows = [
        html.Tr([
            html.Td(_title_cell(dataset)),
            html.Td(dataset.source),
            html.Td(f"{dataset.rows:,}" if dataset.rows is not None else "—", className="text-end"),
            html.Td(_refreshed(dataset, now), className="text-nowrap"),
            html.Td(dataset.owner_name),
            html.Td(_actions(dataset)),
        ], **{"data-dataset": dataset.name})
        for dataset in datasets
    ]
    table = dbc.Table([html.Thead(html.Tr([html.Th(name, className="text-end" if name == "Rows" else None)
                                           for name in head])),
                       html.Tbody(rows)], hover=True, responsive=True, className="mb-0", id="data-table")
    if any(not dataset.built_in for dataset in datasets):
        return [table]
    hint = ("You have no datasets of your own yet: upload a CSV or Excel file with Upload a file."
            if can_upload else
            "No datasets are shared with you yet; when someone shares one, it is listed here.")
    return [table, html.P(hint, className="small text-body-secondary mt-3 mb-0", id="data-empty-hint")]


# -- the preview ------------------------------------------------------------------------------

def file_summary(preview: UploadPreview) -> str:
    """'orders.csv · CSV, UTF-8, comma-separated · 1,234 rows · header on row 1'."""
    if preview.format == "csv":
        kind = (f"CSV, {ENCODINGS.get(preview.encoding or '', preview.encoding)}, "
                f"{DELIMITER_NAMES.get(preview.delimiter or '', 'delimited')}-separated")
        rows = f"{preview.row_count:,} rows" if preview.row_count is not None else "rows not counted"
    else:
        kind = f"Excel workbook, sheet {preview.sheet}"
        rows = f"about {preview.row_count:,} rows" if preview.row_count is not None else "rows not counted"
    return " · ".join([preview.file_name, kind, rows, f"header on row {preview.header_row}"])


def kind_options(column: ColumnPreview) -> list[dict]:
    """Every type, labelled as it would read this column; types some sampled values do not fit
    say so (the import would stop at the first such value)."""
    options = []
    for kind in KINDS:
        fitting = next((option for option in column.options if option.kind == kind), None)
        label = fitting.describe() if fitting else f"{kind} (not every sampled value fits)"
        options.append({"label": label, "value": kind})
    return options


def _sample(preview: UploadPreview, position: int) -> str:
    values = [row[position] for row in preview.rows if row[position] is not None][:SAMPLE_VALUES]
    text = ", ".join(value if len(value) <= 30 else value[:29] + "…" for value in values)
    return text or "(empty in the first rows)"


def _labelled(label: str, control) -> html.Label:
    """A control named for screen readers (and for tests) by a label around it."""
    return html.Label([html.Span(label, className="visually-hidden"), control], className="d-block mb-0")


def column_controls(preview: UploadPreview) -> dbc.Table:
    """One row per column of the file: its name in the file, a new name, a type, whether to
    import it, and a few of its values."""
    rows = []
    for position, column in enumerate(preview.columns):
        rows.append(html.Tr([
            html.Td(column.name, className="text-break"),
            html.Td(_labelled(f"Name of column {column.name}", dbc.Input(
                id={"type": ids.DATA_COL_NAME, "c": position}, value=column.name, size="sm",
                maxLength=COLUMN_NAME_MAX, autoComplete="off", debounce=True))),
            html.Td(_labelled(f"Type of column {column.name}", dbc.Select(
                id={"type": ids.DATA_COL_KIND, "c": position}, options=kind_options(column),
                value=column.type.kind, size="sm"))),
            html.Td(dbc.Checkbox(id={"type": ids.DATA_COL_INCLUDE, "c": position}, value=True,
                                 label=html.Span(f"Import {column.name}", className="visually-hidden"))),
            html.Td(_sample(preview, position), className="small text-body-secondary text-break"),
        ], **{"data-column": column.name}))
    names = ("In the file", "Name", "Type", "Import", "Values")
    head = html.Thead(html.Tr([html.Th(name) for name in names]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, className="mb-0 align-middle",
                     id="data-column-table")


def rows_grid(preview: UploadPreview) -> dag.AgGrid:
    """The first rows of the file as text, as they will be read."""
    fields = [f"c{position}" for position in range(len(preview.columns))]
    return dag.AgGrid(
        id="data-rows-grid",
        columnDefs=[{"field": field, "headerName": column.name}
                    for field, column in zip(fields, preview.columns, strict=True)],
        rowData=[dict(zip(fields, row, strict=True)) for row in preview.rows],
        defaultColDef={"resizable": True, "minWidth": 110, "flex": 1},
        dashGridOptions={"animateRows": False, "suppressCellFocus": True},
        className="ag-theme-quartz pb-grid", style={"height": "320px", "width": "100%"},
    )


def time_column_options(names: list, kinds: list, includes: list) -> list[dict]:
    """The included date and datetime columns, by position, and "none"."""
    options = [{"label": "No time column", "value": ""}]
    for position, (name, kind, include) in enumerate(zip(names, kinds, includes, strict=False)):
        if include and kind in ("date", "datetime"):
            options.append({"label": str(name or f"column {position + 1}"), "value": str(position)})
    return options


def import_done(rows: int, label: str, name: str, appended: bool) -> html.Span:
    verb = "Appended" if appended else "Imported"
    return html.Span([html.I(className="bi bi-check-circle me-1"), f"{verb} {rows:,} rows into ",
                      dcc.Link(label, href=f"/data/{name}"), "."], className="text-success")


# -- share and delete dialogs -----------------------------------------------------------------

def share_modal() -> dbc.Modal:
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(id=ids.DATA_SHARE_TITLE)),
            dbc.ModalBody([
                html.P("People you share a dataset with can build widgets on it and export them. "
                       "They cannot change or delete it.", className="small text-body-secondary"),
                html.Div(id=ids.DATA_SHARE_PEOPLE, className="mb-3"),
                dbc.Label("Share with (email)", html_for=ids.DATA_SHARE_EMAIL),
                dbc.InputGroup([
                    dbc.Input(id=ids.DATA_SHARE_EMAIL, type="email", placeholder="name@example.com",
                              autoComplete="off"),
                    dbc.Button("Share", id=ids.DATA_SHARE_ADD, color="primary"),
                ]),
                html.Div(id=ids.DATA_SHARE_MESSAGE, className="mt-3"),
            ]),
        ],
        id=ids.DATA_SHARE_MODAL, is_open=False,
    )


def share_people(people: list[tuple[str, str]]) -> html.Div:
    if not people:
        return html.P("Not shared with anyone yet.", className="mb-0", id="data-share-nobody")
    return html.Ul([
        html.Li([html.Span([display_name, " ", html.Span(f"<{email}>", className="text-body-secondary")]),
                 dbc.Button("Remove", id={"type": ids.DATA_UNSHARE, "email": email}, size="sm",
                            color="secondary", outline=True, n_clicks=0)],
                className="list-group-item d-flex justify-content-between align-items-center")
        for email, display_name in people
    ], className="list-group", id="data-share-list")


def delete_dialog() -> dbc.Modal:
    return delete_modal("Delete dataset?", ids.DATA_DELETE_MODAL, ids.DATA_DELETE_BODY,
                        ids.DATA_DELETE_CANCEL, ids.DATA_DELETE_CONFIRM)


def delete_question(label: str, rows: int | None, in_use: str | None) -> list:
    """The confirm dialog's text; `in_use` is why it cannot be deleted, if it cannot."""
    if in_use:
        return [dbc.Alert(in_use, color="warning", className="mb-0")]
    count = f"its {rows:,} rows" if rows is not None else "its rows"
    return [html.P(["This deletes ", html.Strong(label), f" and {count}. People it is shared with lose "
                    "access."]),
            html.P("This cannot be undone.", className="text-body-secondary mb-0")]
