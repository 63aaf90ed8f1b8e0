"""The dataset page, /data/<name>: the definition editor's rows, its draft, the preview, and save.

The dataset's name comes from the page's `ids.DS_REF` store and the draft from `ids.DS_DRAFT`,
both of which the browser can forge: every callback that reads or writes the dataset checks the
signed-in user on the server (reading for the previews, managing for a save), and every draft is
validated by `parse_definition` against the columns of the saved definition, never the browser's.
"""

from __future__ import annotations

import dash
import sqlalchemy as sa
from dash import ALL, MATCH, Input, Output, Patch, State, ctx, html
from dash.exceptions import PreventUpdate

from auth.account import current_account
from callbacks.messages import failure, success
from callbacks.triggers import clicked_pattern
from components import ids
from components.dataset_editor import (
    HIDDEN,
    aggregation_options,
    dimension_row,
    draft_problem,
    measure_row,
    offered_aggregations,
    ratio_part_options,
    rows_grid,
    sample_table,
)
from context import database
from data.catalog import preview_rows
from data.dataset_definition import DefinitionError
from data.dataset_preview import draft_definition, sample_aggregation
from data.dataset_store import DatasetError, get_dataset_info, update_definition
from data.datasets import UnknownField
from data.query import BUCKET, QueryError

HINTS = {
    "name": "a field name is lower-case letters, digits and _, starting with a letter (at most 40)",
    "label": "give it a label of 1 to 120 characters",
    "currency": "a currency is a three-letter code, such as USD or EUR",
    "column": "choose one of the dataset's columns",
}
EDITED = {"type": ids.DS_DRAFT, "mode": "edit"}
SOURCE_PROBLEM = "The source of this dataset could not be read; try again, or ask an admin to check it."


def name_from(ref) -> str:
    """The dataset name in a DS_REF store's data, as sent (the store layer checks access)."""
    return str(ref.get("name")) if isinstance(ref, dict) else ""


def explain(message: str) -> str:
    """`parse_definition`'s message, with places said as people count them ("Measure 2")."""
    problems = []
    for problem in message.split("; "):
        where, _, what = problem.partition(": ")
        what = what.removeprefix("Value error, ") or where
        parts = where.split(".")
        if parts[0] in ("dimensions", "measures") and len(parts) > 1 and parts[1].isdigit():
            noun = "Dimension" if parts[0] == "dimensions" else "Measure"
            field = parts[2] if len(parts) > 2 else None
            if field in HINTS and (what.startswith("String should match") or what.endswith("valid string")):
                what = HINTS[field]
            problem = f"{noun} {int(parts[1]) + 1}, {field}: {what}" if field else what
        elif where == "measures" and "at least 1 item" in what:
            problem = "Declare at least one measure"
        elif where == "dataset":
            problem = what
        problems.append(problem[:1].upper() + problem[1:].rstrip("."))
    return ". ".join(problems) + "."


def draft_from_controls(time_column, dimensions: list[tuple], measures: list[tuple]) -> dict:
    """The definition the editor's controls say, unvalidated: `dimensions` are (name, label,
    column) and `measures` (name, label, kind, column, aggregation, numerator, denominator, format,
    currency, higher is better), row by row."""

    def text(value):
        return value.strip() if isinstance(value, str) else value

    declared_measures = []
    for name, label, kind, column, aggregation, numerator, denominator, fmt, currency, better in measures:
        measure = {"name": text(name), "label": text(label), "format": fmt,
                   "higher_is_better": better if isinstance(better, bool) else True}
        if kind == "ratio":
            measure.update(numerator=numerator or None, denominator=denominator or None)
        else:
            measure.update(column=column or None, aggregation=aggregation)
        if fmt == "currency":
            measure["currency"] = text(currency).upper() if isinstance(currency, str) else currency
        declared_measures.append(measure)
    return {"time_column": time_column or None,
            "dimensions": [{"name": text(name), "label": text(label), "column": column or None}
                           for name, label, column in dimensions],
            "measures": declared_measures}


# -- rows: add, remove, and the controls that depend on others -----------------------------------

def _types(types) -> dict[str, str]:
    return {str(k): str(v) for k, v in types.items()} if isinstance(types, dict) else {}


def _row_changer(rows_id: str, add_id: str, remove_type: str, new_row):
    """The callback that appends a `new_row(key, types)` on an Add click, or deletes the row
    whose Remove was clicked, in the list `rows_id`."""

    @dash.callback(
        Output(rows_id, "children"),
        Input(add_id, "n_clicks"),
        Input({"type": remove_type, "row": ALL}, "n_clicks"),
        State({"type": remove_type, "row": ALL}, "id"),
        State(ids.DS_COLUMNS, "data"),
        prevent_initial_call=True,
    )
    def change_rows(added, _removed, row_ids, types):
        rows = Patch()
        if ctx.triggered_id == add_id:
            if not added:
                raise PreventUpdate
            rows.append(new_row(f"new{added}", _types(types)))
            return rows
        # A Remove button that appears (with a new row) fires this too, without a click.
        clicked = clicked_pattern()
        position = next((n for n, row_id in enumerate(row_ids) if row_id == clicked), None)
        if clicked is None or position is None:
            raise PreventUpdate
        del rows[position]
        return rows

    return change_rows


change_dimension_rows = _row_changer(ids.DS_DIMENSIONS, ids.DS_ADD_DIMENSION, ids.DS_DIM_REMOVE,
                                     dimension_row)
# A new measure's ratio choices are filled by `offer_ratio_parts`, which its controls trigger.
change_measure_rows = _row_changer(ids.DS_MEASURES, ids.DS_ADD_MEASURE, ids.DS_M_REMOVE,
                                   lambda key, types: measure_row(key, types, []))


@dash.callback(
    Output({"type": ids.DS_M_OF_COLUMN, "row": MATCH}, "style"),
    Output({"type": ids.DS_M_OF_RATIO, "row": MATCH}, "style"),
    Output({"type": ids.DS_M_CURRENCY_WRAP, "row": MATCH}, "style"),
    Output({"type": ids.DS_M_AGGREGATION, "row": MATCH}, "options"),
    Output({"type": ids.DS_M_AGGREGATION, "row": MATCH}, "value"),
    Input({"type": ids.DS_M_KIND, "row": MATCH}, "value"),
    Input({"type": ids.DS_M_COLUMN, "row": MATCH}, "value"),
    Input({"type": ids.DS_M_FORMAT, "row": MATCH}, "value"),
    State({"type": ids.DS_M_AGGREGATION, "row": MATCH}, "value"),
    State(ids.DS_COLUMNS, "data"),
    prevent_initial_call=True,
)
def shape_measure_row(kind, column, number_format, aggregation, types):
    """Show the controls of the measure's kind, and offer only aggregations that suit its column."""
    kind_of_column = _types(types).get(column)
    allowed = offered_aggregations(kind_of_column)
    if aggregation not in allowed:
        aggregation = "sum" if "sum" in allowed else "count"
    ratio = kind == "ratio"
    return (HIDDEN if ratio else None, None if ratio else HIDDEN,
            None if number_format == "currency" else HIDDEN, aggregation_options(kind_of_column), aggregation)


@dash.callback(
    Output({"type": ids.DS_M_NUMERATOR, "row": ALL}, "options"),
    Output({"type": ids.DS_M_DENOMINATOR, "row": ALL}, "options"),
    Input({"type": ids.DS_M_NAME, "row": ALL}, "value"),
    Input({"type": ids.DS_M_LABEL, "row": ALL}, "value"),
    Input({"type": ids.DS_M_KIND, "row": ALL}, "value"),
)
def offer_ratio_parts(names, labels, kinds):
    """A ratio divides measures of a column: offer those the editor declares now."""
    rows = zip(names, labels, kinds, strict=False)  # as long as the shortest, should a list be forged
    options = ratio_part_options([(name, label) for name, label, kind in rows if kind != "ratio"])
    return [options] * len(names), [options] * len(names)


# -- the draft, its preview, and save -------------------------------------------------------------

# The editor's controls, in the order `draft_of` takes them. Save reads them too, not the draft
# store: a value typed just before the click is in the controls, while the store may still be
# waiting for `collect_draft` to answer.
CONTROLS = ((ids.DS_TIME, "value"),
            *(({"type": kind, "row": ALL}, "value") for kind in (
                ids.DS_DIM_NAME, ids.DS_DIM_LABEL, ids.DS_DIM_COLUMN, ids.DS_M_NAME, ids.DS_M_LABEL,
                ids.DS_M_KIND, ids.DS_M_COLUMN, ids.DS_M_AGGREGATION, ids.DS_M_NUMERATOR,
                ids.DS_M_DENOMINATOR, ids.DS_M_FORMAT, ids.DS_M_CURRENCY, ids.DS_M_BETTER)))


def draft_of(time_column, dim_names, dim_labels, dim_columns, *measure_controls) -> dict:
    """The controls' values (lists of one value a row, as Dash sends them) as a draft; raises
    `DefinitionError` for what only a forged request sends. Lists of unequal length are cut to the
    shortest."""
    rows = (dim_names, dim_labels, dim_columns, *measure_controls)
    if len(measure_controls) != 10 or not all(isinstance(values, list) for values in rows):
        raise DefinitionError("The editor sent something that is not a definition.")
    return draft_from_controls(time_column, list(zip(dim_names, dim_labels, dim_columns, strict=False)),
                               list(zip(*measure_controls, strict=False)))


@dash.callback(
    Output(EDITED, "data"),
    Output(ids.DS_PROBLEM, "children"),
    *(Input(component, prop) for component, prop in CONTROLS),
    State(ids.DS_REF, "data"),
)
def collect_draft(*controls_and_ref):
    """The controls as a draft, and what is wrong with it (checked against the saved columns)."""
    *controls, ref = controls_and_ref
    draft = None
    try:
        draft = draft_of(*controls)
        with database().session() as session:
            info = get_dataset_info(session, current_account(), name_from(ref), "manage")
        draft_definition(info.definition, draft)
    except DefinitionError as error:
        return draft, draft_problem(explain(str(error)))
    except DatasetError as error:
        return None, draft_problem(str(error))
    return draft, None


@dash.callback(
    Output(ids.DS_SAMPLE, "children"),
    Input({"type": ids.DS_DRAFT, "mode": ALL}, "data"),
    State(ids.DS_REF, "data"),
)
def preview_sample(drafts, ref):
    """The draft's measures over all rows and by month, for anyone who may read the dataset."""
    draft = drafts[0] if isinstance(drafts, list) and drafts else None
    if draft is None:
        raise PreventUpdate
    account, name = current_account(), name_from(ref)
    try:
        with database().session() as session:
            info = get_dataset_info(session, account, name)
        definition = draft_definition(info.definition, draft)
        sample = sample_aggregation(database(), account, name, definition)
    except DefinitionError:
        return html.P("The measures appear here once the definition above is valid.",
                      className="text-body-secondary mb-0", id="ds-sample-waiting")
    except (DatasetError, UnknownField, QueryError) as error:
        return html.P(str(error), className="text-body-secondary mb-0", id="ds-sample-waiting")
    except sa.exc.SQLAlchemyError:
        return failure(SOURCE_PROBLEM)
    total = sample.total.iloc[0].to_dict() if len(sample.total) else {}
    months = [(f"{row[BUCKET]:%Y-%m}", row) for row in sample.by_month.to_dict("records")]
    return sample_table(total, months, definition.measures)


@dash.callback(
    Output(ids.DS_ROWS, "children"),
    Input(ids.DS_REF, "data"),
)
def preview_source_rows(ref):
    """The first rows of the source, for anyone who may read the dataset."""
    try:
        frame = preview_rows(database(), current_account(), name_from(ref))
    except (DatasetError, UnknownField) as error:
        return failure(str(error))
    except sa.exc.SQLAlchemyError:
        return failure(SOURCE_PROBLEM)
    return rows_grid(frame)


@dash.callback(
    Output(ids.DS_MESSAGE, "children"),
    Input(ids.DS_SAVE, "n_clicks"),
    *(State(component, prop) for component, prop in CONTROLS),
    State(ids.DS_REF, "data"),
    prevent_initial_call=True,
)
def save_definition(clicks, *controls_and_ref):
    """Save what the controls say (the owner or an admin); on any problem say it, and save nothing."""
    if not clicks:
        raise PreventUpdate
    *controls, ref = controls_and_ref
    name = name_from(ref)
    try:
        with database().session() as session:
            account = current_account()
            saved = get_dataset_info(session, account, name, "manage")
            definition = draft_definition(saved.definition, draft_of(*controls))
            info = update_definition(session, account, name, definition)
    except DefinitionError as error:
        return failure(f"Not saved. {explain(str(error))}")
    except DatasetError as error:
        return failure(f"Not saved. {error}")
    return success(f"Saved {info.label}: {len(info.definition.measures)} measures and "
                   f"{len(info.definition.dimensions)} dimensions. Widgets use the new definition.")
