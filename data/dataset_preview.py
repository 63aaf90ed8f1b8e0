"""What the definition editor on /data/<name> checks and previews: a draft of a dataset's
definition, as the browser sends it, made a `DatasetDefinition` of the saved dataset's columns,
and its measures computed over the dataset's source before anything is saved."""

from __future__ import annotations

import dataclasses

import pandas as pd

from data.catalog import source_dataset
from data.dashboard_access import Actor
from data.dataset_definition import DatasetDefinition, DefinitionError, parse_definition
from data.db import Database
from data.query import BUCKET, QuerySpec, run_query

SAMPLE_MONTHS = 24
DRAFT_KEYS = ("time_column", "dimensions", "measures")


@dataclasses.dataclass(frozen=True)
class Sample:
    """Each measure over the whole table (`total`, one row) and over the latest months."""

    total: pd.DataFrame
    by_month: pd.DataFrame


def draft_definition(saved: DatasetDefinition, draft: object) -> DatasetDefinition:
    """`draft` ({"time_column", "dimensions", "measures"}) as a definition of `saved`'s columns;
    raises `DefinitionError` saying what to change. The columns always come from `saved`: a draft
    may say what the dataset declares about its columns, never which columns it has."""
    if not isinstance(draft, dict):
        raise DefinitionError("The definition sent is not a definition.")
    unknown = sorted(str(key) for key in draft if key not in DRAFT_KEYS)
    if unknown:
        raise DefinitionError(f"A draft may not declare {', '.join(unknown)}: it says only the time column, "
                              "dimensions and measures (the columns are those of the source).")
    columns = [column.model_dump() for column in saved.columns]
    return parse_definition({**draft, "columns": columns})


def sample_aggregation(database: Database, account: Actor | None, name: str,
                       definition: DatasetDefinition, months: int = SAMPLE_MONTHS) -> Sample:
    """`definition`'s measures over dataset `name`'s source, for someone who may read it: over
    all its rows and by month (the latest `months`, oldest first). Runs inside a reader's scope
    (a request; see data/catalog.py). Raises `UnknownField` when the draft cannot be queried (no
    time column yet, no access) and `QueryError`."""
    dataset = source_dataset(database, account, name, definition)
    engine = dataset.engine or database.engine
    measures = tuple(measure.name for measure in definition.measures)
    total = run_query(engine, QuerySpec(name, measures), dataset=dataset)
    latest = run_query(engine, QuerySpec(name, measures, time_grain="month", order_by=((BUCKET, True),),
                                         limit=months), dataset=dataset)
    return Sample(total, latest.iloc[::-1].reset_index(drop=True))
