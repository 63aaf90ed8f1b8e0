"""What a user's dataset declares: its columns, time column, dimensions and measures.

One pydantic model, `DatasetDefinition`, validated whenever a dataset is created or edited, and
turned into the semantic layer's `Dataset` (data/datasets.py) for the query builder. It is the
allowlist: a query can only name the fields declared here, and each field maps to one column that
the definition checked exists, with an aggregation that suits the column's type.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from data.datasets import AGGREGATIONS, FORMATS, NUMERIC, Dataset, Dimension, Measure
from data.upload_import import SQL_TYPES
from data.upload_types import Kind

MAX_COLUMNS = 500
MAX_FIELDS = 500
# Field names are what dashboards and callbacks refer to; "__" is kept for re-aggregations
# ("revenue__avg") and "bucket" is the query builder's time column.
FIELD_NAME = r"^[a-z][a-z0-9_]{0,39}$"
RESERVED = {"bucket"}
# Column names of the source table as the database spells them (they are always quoted).
COLUMN_NAME = r"^[^\x00-\x1f\x7f\"]{1,128}$"
LABEL = r"^[^\x00-\x1f\x7f]{1,120}$"

Aggregation = Literal["sum", "avg", "count", "count_distinct", "min", "max"]
NumberFormat = Literal["currency", "percent", "integer", "decimal"]
assert set(Aggregation.__args__) == set(AGGREGATIONS) and set(NumberFormat.__args__) == set(FORMATS)
ORDERED = ("date", "datetime", "integer", "decimal")  # what min and max make sense of
NUMBERS = ("integer", "decimal")  # what sum and avg make sense of


def aggregations_for(kind: str | None) -> tuple[str, ...]:
    """The aggregations a measure may apply to a column of type `kind` (the validator's rule)."""
    return tuple(aggregation for aggregation in AGGREGATIONS
                 if (aggregation not in ("sum", "avg") or kind in NUMBERS)
                 and (aggregation not in ("min", "max") or kind in ORDERED))


class DefinitionError(ValueError):
    """The definition is not usable; the message says what to change."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnDef(_Strict):
    name: str = Field(pattern=COLUMN_NAME)
    type: Kind


class DimensionDef(_Strict):
    name: str = Field(pattern=FIELD_NAME)
    label: str = Field(pattern=LABEL)
    column: str = Field(pattern=COLUMN_NAME)


class MeasureDef(_Strict):
    """`aggregation` of `column`, or `numerator` / `denominator` (two other measures)."""

    name: str = Field(pattern=FIELD_NAME)
    label: str = Field(pattern=LABEL)
    column: str | None = Field(default=None, pattern=COLUMN_NAME)
    aggregation: Aggregation = "sum"
    numerator: str | None = None
    denominator: str | None = None
    format: NumberFormat = "decimal"
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    higher_is_better: bool = True

    @model_validator(mode="after")
    def _one_kind(self) -> MeasureDef:
        ratio = self.numerator is not None or self.denominator is not None
        if ratio and (self.numerator is None or self.denominator is None):
            raise ValueError(f"measure {self.name!r}: a ratio needs both a numerator and a denominator")
        if ratio == (self.column is not None):
            raise ValueError(f"measure {self.name!r}: give either a column to aggregate or a ratio "
                             "of two measures, not both")
        return self


class DatasetDefinition(_Strict):
    columns: list[ColumnDef] = Field(min_length=1, max_length=MAX_COLUMNS)
    time_column: str | None = None
    dimensions: list[DimensionDef] = Field(default_factory=list, max_length=MAX_FIELDS)
    measures: list[MeasureDef] = Field(min_length=1, max_length=MAX_FIELDS)

    @field_validator("columns")
    @classmethod
    def _unique_columns(cls, columns: list[ColumnDef]) -> list[ColumnDef]:
        seen: set[str] = set()
        for column in columns:
            if column.name.lower() in seen:
                raise ValueError(f"column {column.name!r} is listed twice")
            seen.add(column.name.lower())
        return columns

    @model_validator(mode="after")
    def _fields_fit_columns(self) -> DatasetDefinition:
        types = self.column_types()
        if self.time_column is not None and types.get(self.time_column) not in ("date", "datetime"):
            raise ValueError(f"the time column {self.time_column!r} must be a date or datetime column")
        names: set[str] = set()
        for field in [*self.dimensions, *self.measures]:
            if field.name in names or field.name in RESERVED or "__" in field.name:
                raise ValueError(f"the field name {field.name!r} is used twice or reserved")
            names.add(field.name)
        for dimension in self.dimensions:
            if dimension.column not in types:
                raise ValueError(f"dimension {dimension.name!r}: there is no column {dimension.column!r}")
        plain = {measure.name for measure in self.measures if measure.column is not None}
        for measure in self.measures:
            if measure.column is None:
                for part in (measure.numerator, measure.denominator):
                    if part not in plain:
                        raise ValueError(f"measure {measure.name!r}: {part!r} is not a measure of a column")
                continue
            kind = types.get(measure.column)
            if kind is None:
                raise ValueError(f"measure {measure.name!r}: there is no column {measure.column!r}")
            if measure.aggregation in aggregations_for(kind):
                continue
            if measure.aggregation in ("sum", "avg"):
                raise ValueError(f"measure {measure.name!r}: {measure.aggregation} needs a number column, "
                                 f"and {measure.column!r} holds {kind}")
            if measure.aggregation in ("min", "max"):
                raise ValueError(f"measure {measure.name!r}: {measure.aggregation} needs a number or "
                                 f"date column, and {measure.column!r} holds {kind}")
        return self

    def column_types(self) -> dict[str, str]:
        return {column.name: column.type for column in self.columns}

    def table(self, name: str, schema: str | None = None) -> sa.Table:
        """The source as a SQLAlchemy table of exactly the declared columns (nothing reflected)."""
        return sa.Table(name, sa.MetaData(), *(sa.Column(column.name, SQL_TYPES[column.type]())
                                               for column in self.columns), schema=schema)

    def semantic(self, name: str, label: str, source: sa.FromClause) -> Dataset:
        """This definition as the semantic layer's `Dataset` over `source` (a table or subquery
        with the declared columns). Number measures may be re-aggregated, as the demo's are."""
        if self.time_column is None:
            raise DefinitionError(f"{label} has no time column yet: choose one before using it in a widget.")
        types = self.column_types()
        measures = {
            m.name: Measure(m.name, m.label, m.column, m.aggregation, m.numerator, m.denominator, m.format,
                            m.currency, m.higher_is_better,
                            NUMERIC if m.column is not None and types[m.column] in NUMBERS
                            else ())
            for m in self.measures}
        dimensions = {d.name: Dimension(d.name, d.label, d.column, types[d.column]) for d in self.dimensions}
        return Dataset(name, label, source, self.time_column, measures, dimensions, id_column=None)


def parse_definition(raw: dict) -> DatasetDefinition:
    """Validate `raw`; raises `DefinitionError` with every problem in one message."""
    try:
        return DatasetDefinition.model_validate(raw)
    except ValueError as error:
        errors = getattr(error, "errors", None)
        if callable(errors):
            problems = [f"{'.'.join(str(p) for p in e['loc']) or 'dataset'}: {e['msg']}" for e in errors()]
            raise DefinitionError("; ".join(problems)) from None
        raise DefinitionError(str(error)) from None
