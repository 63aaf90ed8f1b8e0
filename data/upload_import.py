"""Importing an upload into a table of the app database, in one transaction: whatever fails, at
whichever row, the database is left as it was (no table created, the old rows kept).

The file is read in chunks; each column of a chunk is converted with every value checked, then
written with the project's bulk loader (COPY on PostgreSQL, the driver's executemany on SQLite).
Memory is that of one chunk, whatever the size of the file.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict

from data.bulk import bulk_insert, datetime_text
from data.connections import kind_of
from data.upload_limits import UploadError, UploadLimits
from data.upload_plan import ImportPlan, sql_names
from data.upload_source import Layout, open_source, read_chunks
from data.upload_types import Converted, Kind, convert_checked

Mode = Literal["create", "replace", "append"]
Progress = Callable[[int, int | None], None]
SQL_TYPES: dict[str, type[sa.types.TypeEngine]] = {
    "date": sa.Date, "datetime": sa.DateTime, "integer": sa.BigInteger, "decimal": sa.Double,
    "boolean": sa.Boolean, "text": sa.Text}
_TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,47}")


class ImportedColumn(BaseModel):
    """A column as imported: its display name, its SQL name in the table, and its kind."""

    model_config = ConfigDict(frozen=True)

    name: str
    column: str
    kind: Kind


class ImportResult(BaseModel):
    """What `import_upload` wrote: rows, where, how long it took, and the column names."""

    model_config = ConfigDict(frozen=True)

    rows: int
    table_name: str
    seconds: float
    columns: tuple[ImportedColumn, ...]
    time_column: str | None  # the SQL name of the time column


def import_upload(engine: sa.Engine, path: Path, file_name: str, plan: ImportPlan, table_name: str,
                  mode: Mode = "create", progress: Progress | None = None, chunk_rows: int = 50_000,
                  limits: UploadLimits | None = None, layout: Layout | None = None) -> ImportResult:
    """Import the file at `path` (named `file_name` by the user) into `table_name` as `plan`
    says, in one transaction. `mode` is "create" (the table must not exist), "replace" (its rows
    and columns are replaced; the old ones stay if anything fails) or "append" (its columns must
    match). `progress(rows_done, rows_expected)` is called after each chunk; rows_expected is
    None when not known.

    Raises `UploadError` for a file, value or table that cannot be imported, and ValueError for
    a `table_name` that is not a plain lower-case SQL name (the caller chooses it, not the user).
    `layout` is the file's `open_source` when the caller has just made it for the preview, in
    the same process; otherwise the file is checked again (it may have changed since).
    """
    started = time.perf_counter()
    _check_table_name(engine, table_name)
    layout = layout or open_source(path, file_name, plan.sheet, limits)
    plan.check_header(layout.header)
    included = [(position, column) for position, column in enumerate(plan.columns) if column.include]
    names = sql_names([column.name for _, column in included])
    columns = tuple(ImportedColumn(name=column.name, column=name, kind=column.type.kind)
                    for name, (_, column) in zip(names, included, strict=True))
    table = sa.Table(table_name, sa.MetaData(),
                     *(sa.Column(column.column, SQL_TYPES[column.kind]()) for column in columns))
    report = progress or (lambda done, expected: None)
    rows = 0
    with engine.begin() as connection:
        _begin_transaction(connection)
        target = _target(connection, table, mode, columns)
        report(0, layout.row_count)
        for chunk in read_chunks(path, layout, chunk_rows):
            stored = {name: _stored(convert_checked(chunk.columns[position], column.type, chunk.rows,
                                                    column.source), column.type.kind)
                      for name, (position, column) in zip(names, included, strict=True)}
            rows += bulk_insert(connection, target, stored)
            report(rows, layout.row_count)
        if not rows:
            raise UploadError(f"The file has a header (row {layout.header_row}) but no rows of data.",
                              row=layout.header_row)
        if target is not table:
            _swap(connection, target, table)
    time_column = next((column.column for column in columns if column.name == plan.time_column), None)
    return ImportResult(rows=rows, table_name=table_name, seconds=time.perf_counter() - started,
                        columns=columns, time_column=time_column)


def _check_table_name(engine: sa.Engine, table_name: str) -> None:
    preparer = engine.dialect.identifier_preparer
    if not _TABLE_NAME.fullmatch(table_name) or preparer.quote(table_name) != table_name:
        raise ValueError(f"{table_name!r} is not a plain lower-case SQL name of at most 48 characters")


def _begin_transaction(connection: sa.Connection) -> None:
    """Python's SQLite driver begins a transaction only before a statement that changes rows, so a
    CREATE TABLE would be committed on its own; begin one first, so that it rolls back too."""
    if connection.dialect.name == "sqlite" and not connection.connection.driver_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _target(connection: sa.Connection, table: sa.Table, mode: Mode,
            columns: tuple[ImportedColumn, ...]) -> sa.Table:
    """The table to write into: `table` itself, or for a replace, a new table to swap in."""
    exists = sa.inspect(connection).has_table(table.name)
    if mode == "append":
        if not exists:
            raise UploadError(f'There is no table "{table.name}" to append to.')
        _check_same_columns(connection, table.name, columns)
        return table
    if mode == "create" and exists:
        raise UploadError(f'A table "{table.name}" already exists: replace it, or append to it.')
    if mode not in ("create", "replace"):
        raise ValueError(f"mode must be create, replace or append, not {mode!r}")
    target = table
    if exists:  # replace: fill a new table, and swap it in at the end of the same transaction
        target = sa.Table(f"{table.name}_new_{secrets.token_hex(4)}", sa.MetaData(),
                          *(sa.Column(column.name, column.type) for column in table.columns))
    target.create(connection)
    return target


def _swap(connection: sa.Connection, staging: sa.Table, table: sa.Table) -> None:
    table.drop(connection)
    quote = connection.dialect.identifier_preparer.quote
    connection.exec_driver_sql(f"ALTER TABLE {quote(staging.name)} RENAME TO {quote(table.name)}")


def _check_same_columns(connection: sa.Connection, table_name: str,
                        columns: tuple[ImportedColumn, ...]) -> None:
    existing = {column["name"]: _kind_of(column["type"])
                for column in sa.inspect(connection).get_columns(table_name)}
    planned = {column.column: column for column in columns}
    differences = []
    for name, column in planned.items():
        if name not in existing:
            differences.append(f'"{column.name}" is not a column of the table')
        elif existing[name] != column.kind:
            differences.append(f'"{column.name}" is {existing[name]} in the table but {column.kind} '
                               "in this file")
    differences += [f'the table\'s column "{name}" is not in this file' for name in existing
                    if name not in planned]
    if differences:
        raise UploadError("This file's columns do not match the table's: " + "; ".join(differences) + ".")


def _kind_of(sql_type: sa.types.TypeEngine) -> str:
    """The upload kind a reflected column type stores (its SQL type name when none does)."""
    kind = kind_of(sql_type)
    # kind_of calls any other type text; say what it is, so that appending text to it is refused
    return kind if kind != "text" or isinstance(sql_type, sa.String) else str(sql_type).lower()


def _stored(converted: Converted, kind: str) -> np.ndarray:
    """Values as the bulk loader writes them: Python objects, None where empty, and dates as ISO
    text in the form SQLAlchemy stores them on SQLite (which PostgreSQL's COPY reads as well)."""
    values = converted.values
    if kind in ("date", "datetime"):
        values = datetime_text(values)
    stored = values.astype(object)
    stored[converted.missing] = None
    return stored
