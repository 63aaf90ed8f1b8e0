"""What a connected table, view or SELECT gives a dataset: its columns and their kinds, its first
rows, and its row count. No storage and no permissions here (see data/connection_store.py).

A table's columns come with the types the database declares; a SELECT's, and any a table does not
declare (SQLite views' expressions), are read from the values of its first rows. Columns that
cannot be grouped or compared (binary, JSON, arrays, intervals, times of day) are not usable.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from data.connections import ConnectionProblem, columns_of
from data.readonly_sql import run_select

PREVIEW_ROWS = 100  # rows a SELECT's preview shows, and its column kinds are read from
PREVIEW_TIMEOUT_S = 30.0
COUNT_TIMEOUT_S = 5.0  # a row count that takes longer is left unknown
# Python types of columns the query builder cannot group or compare; such columns are left out.
UNSUPPORTED_TYPES = (bytes, dict, list, dt.timedelta, dt.time)
UNSUPPORTED_VALUES = (*UNSUPPORTED_TYPES, bytearray, memoryview, tuple)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?")


class UnusableColumns(ConnectionProblem, ValueError):
    """The result's columns cannot make a dataset (two of one name); the message says why."""


@dataclasses.dataclass(frozen=True)
class Preview:
    """A SELECT's first rows, its column names, and the kind of each column read from those rows
    (None for a column a dataset cannot use)."""

    columns: list[str]
    rows: list[tuple]
    kinds: dict[str, str | None]

    def usable(self) -> list[tuple[str, str]]:
        """(name, kind) of each column a dataset can use."""
        return [(name, kind) for name, kind in self.kinds.items() if kind is not None]


def value_kind(values: Sequence[Any], backend: str) -> str | None:
    """The kind of a column from some of its values; None when they cannot be grouped or compared."""
    kinds = set()
    for value in values:
        if value is None:
            continue
        if isinstance(value, UNSUPPORTED_VALUES):
            return None
        if isinstance(value, bool):
            kinds.add("boolean")
        elif isinstance(value, int):
            kinds.add("integer")
        elif isinstance(value, float | Decimal):
            kinds.add("decimal")
        elif isinstance(value, dt.datetime):
            kinds.add("datetime")
        elif isinstance(value, dt.date):
            kinds.add("date")
        elif backend == "sqlite" and isinstance(value, str) and _ISO_DATE.fullmatch(value):
            kinds.add("date")  # SQLite keeps dates as ISO text, and SQLAlchemy reads them so
        elif backend == "sqlite" and isinstance(value, str) and _ISO_DATETIME.fullmatch(value):
            kinds.add("datetime")
        else:
            kinds.add("text")
    if kinds <= {"integer", "decimal"} and kinds:
        return "decimal" if "decimal" in kinds else "integer"
    return kinds.pop() if len(kinds) == 1 else "text"


def sample_select(url: sa.URL, sql: str) -> Preview:
    """Run `sql` for its first rows, and read each column's kind from them."""
    columns, rows = run_select(url, sql, PREVIEW_ROWS, PREVIEW_TIMEOUT_S)
    seen: set[str] = set()
    for name in columns:
        if name.lower() in seen:
            raise UnusableColumns(f"The query returns two columns called {name!r}: give each column a "
                                  "name of its own (... AS name).")
        seen.add(name.lower())
    backend = url.get_backend_name()
    return Preview(columns, rows, {name: value_kind([row[i] for row in rows], backend)
                                   for i, name in enumerate(columns)})


def _compiled(url: sa.URL, statement: sa.Select) -> str:
    """`statement` as SQL text in the source's dialect, for `run_select` to check and run."""
    return str(statement.compile(dialect=url.get_dialect()()))


def table_columns_of(url: sa.URL, table: tuple[str, str]) -> list[tuple[str, str]]:
    """The (name, kind) of each usable column of `table` ((schema, name)). Kinds the source does
    not declare (SQLite views' expressions) are read from the first rows."""
    found = columns_of(url, table)
    unknown = [column.name for column in found if isinstance(column.type, sa.types.NullType)]
    sampled: dict[str, str | None] = {}
    if unknown:
        relation = sa.table(table[1], *(sa.column(name) for name in unknown), schema=table[0])
        sampled = sample_select(url, _compiled(url, sa.select(*relation.columns))).kinds
    described = []
    for column in found:
        try:
            unsupported = column.type.python_type in UNSUPPORTED_TYPES
        except NotImplementedError:  # a type SQLAlchemy knows no Python type for: kept, as text
            unsupported = False
        kind = sampled.get(column.name, column.kind)
        if not unsupported and kind is not None:
            described.append((column.name, kind))
    return described


def row_count(url: sa.URL, *, table: tuple[str, str] | None = None, sql: str | None = None) -> int | None:
    """The rows of `table` or of the validated SELECT `sql`, when the source can count them within
    `COUNT_TIMEOUT_S`; otherwise None."""
    if table is not None:
        counting = _compiled(url, sa.select(sa.func.count().label("row_count"))
                             .select_from(sa.table(table[1], schema=table[0])))
    else:
        counting = f"SELECT COUNT(*) AS row_count FROM (\n{sql}\n) AS pulseboard_counted"  # noqa: S608
    try:
        return int(run_select(url, counting, 1, COUNT_TIMEOUT_S)[1][0][0])
    except ConnectionProblem:
        return None
