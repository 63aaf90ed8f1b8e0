"""The dataset page, /data/<name>: what a dataset is (source, rows, owner, columns), what it
declares (time column, dimensions, measures), read-only or as an editor, and its preview."""

from __future__ import annotations

import datetime as dt
import math

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from charts.formatting import format_value
from components import ids
from components.states import page_header
from data.dataset_definition import DatasetDefinition, aggregations_for
from data.datasets import AGGREGATION_LABELS, AGGREGATIONS

SOURCE_LABELS = {"upload": "Uploaded file", "table": "Database table", "sql": "SQL query",
                 "built-in": "Built in"}
FORMAT_LABELS = {"currency": "Currency", "percent": "Percent", "integer": "Integer", "decimal": "Decimal"}
KIND_OPTIONS = [{"label": "Aggregate a column", "value": "column"},
                {"label": "Ratio of two measures", "value": "ratio"}]
TIME_KINDS = ("date", "datetime")
HIDDEN = {"display": "none"}


# -- what the dataset is --------------------------------------------------------------------------

def dataset_header(title: str, facts: list[str], editable: bool) -> html.Div:
    badge = dbc.Badge("You can edit" if editable else "Read only", id="ds-mode",
                      color="primary" if editable else "secondary", className="ms-2 align-middle")
    back = dbc.Button([html.I(className="bi bi-arrow-left me-1"), "All data"], href="/data", size="sm",
                      color="secondary", outline=True)
    header = page_header(title, " · ".join(facts), actions=[back])
    return html.Div([header, html.Div(badge, className="mb-3")])


def facts_of(source: str, rows: int | None, refreshed: dt.datetime | None, owner: str) -> list[str]:
    """The line under a dataset's title: its source, rows, last refresh and owner."""
    facts = [SOURCE_LABELS.get(source, source)]
    if rows is not None:
        facts.append(f"{rows:,} rows")
    if refreshed is not None:
        facts.append(f"refreshed {refreshed:%Y-%m-%d %H:%M} UTC")
    facts.append(f"owner {owner}")
    return facts


def _table(header: list[str], rows: list[list], component_id: str) -> html.Div:
    body = [html.Tr([html.Td(cell) for cell in row]) for row in rows]
    return html.Div(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in header])), html.Tbody(body)],
                              className="pb-table align-middle mb-0", size="sm", id=component_id),
                    className="pb-table-wrap")


def card(title: str, *children, component_id: str | None = None) -> html.Div:
    return html.Div([html.H2(title, className="pb-card-title"), *children], className="pb-card mb-4",
                    **({"id": component_id} if component_id else {}))


def columns_card(columns: list[tuple[str, str]], time_column: str | None) -> html.Div:
    rows = [[html.Code(name), kind, "time column" if name == time_column else ""] for name, kind in columns]
    return card("Columns", _table(["Column", "Type", ""], rows, "ds-columns-table"))


def describe_measure(measure) -> str:
    """'sum of revenue', 'distinct count of order_id', 'gross_profit ÷ revenue'."""
    if measure.numerator is not None:
        return f"{measure.numerator} ÷ {measure.denominator}"
    return f"{AGGREGATION_LABELS[measure.aggregation]} of {measure.column}"


def describe_format(measure) -> str:
    label = FORMAT_LABELS[measure.format]
    return f"{label} ({measure.currency})" if measure.format == "currency" else label


def definition_card(time_column: str | None, dimensions: list, measures: list,
                    types: dict[str, str]) -> html.Div:
    """What a dataset declares, read-only; `dimensions` and `measures` are the definition's (or a
    built-in dataset's) own objects."""
    measure_rows = [[html.Code(m.name), m.label, describe_measure(m), describe_format(m),
                     "higher" if m.higher_is_better else "lower"] for m in measures]
    dimension_rows = [[html.Code(d.name), d.label, html.Code(d.column), types.get(d.column, "")]
                      for d in dimensions]
    return card(
        "Definition",
        html.P(["Time column: ", html.Code(time_column) if time_column else html.Em("none yet")],
               id="ds-time-readonly"),
        html.H3("Measures", className="pb-section-title"),
        _table(["Field", "Label", "Computed as", "Format", "Better when"], measure_rows, "ds-measures-table"),
        html.H3("Dimensions", className="pb-section-title mt-3"),
        _table(["Field", "Label", "Column", "Type"], dimension_rows, "ds-dimensions-table")
        if dimension_rows else html.P("None.", className="text-body-secondary"),
    )


def no_access(message: str) -> html.Div:
    return html.Div(
        [html.I(className="bi bi-shield-lock pb-empty-icon"),
         html.H2("Dataset not available", className="pb-empty-title"),
         html.P(message, className="pb-empty-text"),
         dcc.Link("All data", href="/data", className="btn btn-primary")],
        className="pb-empty", id="ds-no-access")


def page_body(header, definition, columns, preview: list) -> list:
    """The definition beside the columns, then the preview."""
    return [header, dbc.Row([dbc.Col(definition, lg=8), dbc.Col(columns, lg=4)]), *preview]


# -- the editor ---------------------------------------------------------------------------------

def column_options(types: dict[str, str], only: tuple[str, ...] | None = None) -> list[dict]:
    return [{"label": f"{name} · {kind}", "value": name} for name, kind in types.items()
            if only is None or kind in only]


def offered_aggregations(kind: str | None) -> tuple[str, ...]:
    """What a measure of a column of type `kind` may compute (all of them until a column is chosen)."""
    return AGGREGATIONS if kind is None else aggregations_for(kind)


def aggregation_options(kind: str | None) -> list[dict]:
    return [{"label": AGGREGATION_LABELS[a], "value": a} for a in offered_aggregations(kind)]


def _control(label: str, control, width: int) -> dbc.Col:
    return dbc.Col([html.Small(label, className="text-body-secondary d-block"), control], md=width)


def _remove(kind: str, key: str, what: str) -> dbc.Col:
    button = dbc.Button(html.I(className="bi bi-x-lg"), id={"type": kind, "row": key}, size="sm",
                        color="secondary", outline=True, title=f"Remove this {what}")
    return dbc.Col(button, md=1, className="d-flex align-items-end justify-content-end")


def dimension_row(key: str, types: dict[str, str], dimension: dict | None = None) -> html.Div:
    dimension = dimension or {}
    row = {"row": key}
    return html.Div(dbc.Row([
        _control("Field name", dbc.Input(id={"type": ids.DS_DIM_NAME, **row}, value=dimension.get("name", ""),
                                         placeholder="region", size="sm", debounce=True), 3),
        _control("Label", dbc.Input(id={"type": ids.DS_DIM_LABEL, **row}, value=dimension.get("label", ""),
                                    placeholder="Region", size="sm", debounce=True), 4),
        _control("Column", dbc.Select(id={"type": ids.DS_DIM_COLUMN, **row}, options=column_options(types),
                                      value=dimension.get("column"), size="sm"), 4),
        _remove(ids.DS_DIM_REMOVE, key, "dimension"),
    ], className="g-2"), className="pb-ds-row", **{"data-row": key})


def measure_row(key: str, types: dict[str, str], ratio_parts: list[dict], measure: dict | None = None
                ) -> html.Div:
    """One measure's controls; `ratio_parts` are the measures of a column a ratio may use."""
    measure = measure or {}
    row = {"row": key}
    ratio = measure.get("numerator") is not None
    column = measure.get("column")
    number_format = measure.get("format", "decimal")
    first = dbc.Row([
        _control("Field name", dbc.Input(id={"type": ids.DS_M_NAME, **row}, value=measure.get("name", ""),
                                         placeholder="revenue", size="sm", debounce=True), 3),
        _control("Label", dbc.Input(id={"type": ids.DS_M_LABEL, **row}, value=measure.get("label", ""),
                                    placeholder="Revenue", size="sm", debounce=True), 4),
        _control("Computed as", dbc.Select(id={"type": ids.DS_M_KIND, **row}, options=KIND_OPTIONS,
                                           value="ratio" if ratio else "column", size="sm"), 4),
        _remove(ids.DS_M_REMOVE, key, "measure"),
    ], className="g-2")
    of_column = dbc.Row([
        _control("Column", dbc.Select(id={"type": ids.DS_M_COLUMN, **row}, options=column_options(types),
                                      value=column, size="sm"), 7),
        _control("Aggregation", dbc.Select(id={"type": ids.DS_M_AGGREGATION, **row},
                                           options=aggregation_options(types.get(column)),
                                           value=measure.get("aggregation", "sum"), size="sm"), 5),
    ], className="g-2", id={"type": ids.DS_M_OF_COLUMN, **row}, style=HIDDEN if ratio else None)
    of_ratio = dbc.Row([
        _control("Numerator", dbc.Select(id={"type": ids.DS_M_NUMERATOR, **row}, options=ratio_parts,
                                         value=measure.get("numerator"), size="sm"), 6),
        _control("÷ Denominator", dbc.Select(id={"type": ids.DS_M_DENOMINATOR, **row}, options=ratio_parts,
                                             value=measure.get("denominator"), size="sm"), 6),
    ], className="g-2", id={"type": ids.DS_M_OF_RATIO, **row}, style=None if ratio else HIDDEN)
    second = dbc.Row([
        dbc.Col([of_column, of_ratio], md=6),
        _control("Format", dbc.Select(id={"type": ids.DS_M_FORMAT, **row}, size="sm", value=number_format,
                                      options=[{"label": v, "value": k} for k, v in FORMAT_LABELS.items()]),
                 2),
        dbc.Col([html.Small("Currency", className="text-body-secondary d-block"),
                 dbc.Input(id={"type": ids.DS_M_CURRENCY, **row}, value=measure.get("currency", "USD"),
                           maxLength=3, size="sm", debounce=True)],
                md=1, id={"type": ids.DS_M_CURRENCY_WRAP, **row},
                style=None if number_format == "currency" else HIDDEN),
        dbc.Col(dbc.Switch(id={"type": ids.DS_M_BETTER, **row}, label="Higher is better",
                           value=measure.get("higher_is_better", True)), md=3,
                className="d-flex align-items-end"),
    ], className="g-2 mt-1")
    return html.Div([first, second], className="pb-ds-row", **{"data-row": key})


def ratio_part_options(measures: list[tuple]) -> list[dict]:
    """The measures of a column, as (name, label), that a ratio may divide (those with a name)."""
    named = [(name.strip(), label) for name, label in measures if isinstance(name, str) and name.strip()]
    return [{"label": f"{label or name} ({name})", "value": name} for name, label in named]


def draft_problem(text: str) -> dbc.Alert:
    return dbc.Alert([html.I(className="bi bi-exclamation-circle me-2"), text], color="warning",
                     className="py-2 mb-0", id="ds-problem-text")


def editor_card(definition: DatasetDefinition) -> html.Div:
    types = definition.column_types()
    measures = [m.model_dump() for m in definition.measures]
    parts = ratio_part_options([(m["name"], m["label"]) for m in measures if m["column"] is not None])
    time = dbc.Select(id=ids.DS_TIME, value=definition.time_column or "", size="sm",
                      options=[{"label": "No time column", "value": ""}, *column_options(types, TIME_KINDS)])
    add = {"size": "sm", "color": "secondary", "outline": True, "className": "mt-2"}
    return card(
        "Definition",
        dbc.Row(_control("Time column (dates and datetimes)", time, 5), className="mb-3"),
        html.H3("Measures", className="pb-section-title"),
        html.Div([measure_row(f"m{n}", types, parts, m) for n, m in enumerate(measures)], id=ids.DS_MEASURES,
                 className="pb-ds-rows-empty"),
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add measure"], id=ids.DS_ADD_MEASURE, **add),
        html.H3("Dimensions", className="pb-section-title mt-4"),
        html.Div([dimension_row(f"d{n}", types, d.model_dump()) for n, d in enumerate(definition.dimensions)],
                 id=ids.DS_DIMENSIONS, className="pb-ds-rows-empty"),
        dbc.Button([html.I(className="bi bi-plus-lg me-1"), "Add dimension"], id=ids.DS_ADD_DIMENSION, **add),
        html.Div(id=ids.DS_PROBLEM, className="mt-3"),
        html.Div([dbc.Button([html.I(className="bi bi-check-lg me-1"), "Save"], id=ids.DS_SAVE,
                             color="primary")], className="mt-3"),
        html.Div(id=ids.DS_MESSAGE, className="mt-3"),
    )


# -- the preview --------------------------------------------------------------------------------

def preview_cards() -> list:
    return [card("Measures, as defined", html.Small("Each measure over all rows and by month, computed from "
                                                   "the definition above, saved or not.",
                                                   className="text-body-secondary d-block mb-2"),
                 dcc.Loading(html.Div(id=ids.DS_SAMPLE), delay_show=300)),
            card("First rows of the source", dcc.Loading(html.Div(id=ids.DS_ROWS), delay_show=300))]


def _number(value) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return float(value)


def sample_table(total: dict, by_month: list[tuple[str, dict]], measures: list) -> html.Div:
    """The draft's measures: one row over all rows, then one per month; values formatted as the
    measure says."""

    def cells(values: dict) -> list:
        return [format_value(_number(values.get(m.name)), m.format, m.currency) for m in measures]

    rows = [[html.Strong("All rows"), *cells(total)],
            *([month, *cells(values)] for month, values in by_month)]
    return _table(["", *(m.label for m in measures)], rows, "ds-sample-table")


def _cell(value):
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value.item() if hasattr(value, "item") else value


def rows_grid(frame: pd.DataFrame) -> dag.AgGrid:
    """The first rows of a source, column names shown as the database spells them."""
    fields = {column: f"c{n}" for n, column in enumerate(frame.columns)}
    rows = [{fields[column]: _cell(value) for column, value in record.items()}
            for record in frame.to_dict("records")]
    return dag.AgGrid(id="ds-rows-grid", rowData=rows,
                      columnDefs=[{"field": field, "headerName": str(column)}
                                  for column, field in fields.items()],
                      defaultColDef={"sortable": True, "resizable": True, "minWidth": 110},
                      dashGridOptions={"animateRows": False, "suppressCellFocus": True},
                      className="ag-theme-quartz", style={"height": "420px"})
