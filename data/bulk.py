"""Fast bulk loading of column arrays: COPY on PostgreSQL, executemany on the raw driver elsewhere."""

from __future__ import annotations

import io
import uuid
from collections.abc import Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table


def _as_python_rows(columns: Mapping[str, np.ndarray | Sequence]) -> list[tuple]:
    lists = []
    for values in columns.values():
        if isinstance(values, np.ndarray):
            if np.issubdtype(values.dtype, np.datetime64):
                values = datetime_text(values)
            lists.append(values.tolist())
        else:
            lists.append(list(values))
    return list(zip(*lists, strict=True))


def datetime_text(values: np.ndarray) -> np.ndarray:
    """ISO text in the form SQLAlchemy's SQLite dialect writes, so comparisons sort correctly;
    None where a value is missing (NaT), never the text "NaT"."""
    if values.dtype == np.dtype("datetime64[D]"):
        text = np.datetime_as_string(values, unit="D")
    else:
        text = np.char.replace(np.datetime_as_string(values.astype("datetime64[us]"), unit="us"), "T", " ")
    missing = np.isnat(values)
    if not missing.any():
        return text
    text = text.astype(object)
    text[missing] = None
    return text


def bulk_insert(connection: Connection, table: Table, columns: Mapping[str, np.ndarray | Sequence],
                chunk_rows: int = 200_000) -> int:
    """Insert the given column arrays into `table` inside the caller's transaction.

    Returns the number of rows written. Column names must be columns of `table`.
    """
    unknown = set(columns) - set(table.columns.keys())
    if unknown:
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        raise ValueError("all columns must have the same length")
    (total,) = lengths
    if total == 0:
        return 0
    names = list(columns)
    for start in range(0, total, chunk_rows):
        chunk = {name: values[start:start + chunk_rows] for name, values in columns.items()}
        if connection.dialect.name == "postgresql":
            _copy_postgres(connection, table.name, names, chunk)
        else:
            _executemany(connection, table, names, chunk)
    return total


def _executemany(connection: Connection, table: Table, names: list[str], chunk) -> None:
    placeholders = ", ".join("?" if connection.dialect.paramstyle == "qmark" else "%s" for _ in names)
    quoted = ", ".join(connection.dialect.identifier_preparer.quote(name) for name in names)
    statement = f"INSERT INTO {table.name} ({quoted}) VALUES ({placeholders})"
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(statement, _as_python_rows(chunk))
    finally:
        cursor.close()


def _copy_postgres(connection: Connection, table_name: str, names: list[str], chunk) -> None:
    frame = pd.DataFrame({name: _for_copy(values) for name, values in chunk.items()})
    buffer = io.StringIO()
    # COPY reads an unquoted field equal to the NULL string as NULL. A fixed marker such as \N
    # would turn a text cell holding exactly that into NULL; a new random one never matches data.
    null = f"pbnull{uuid.uuid4().hex}"
    frame.to_csv(buffer, index=False, header=False, na_rep=null)
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor.copy(f"COPY {table_name} ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '{null}')") as copy:
            copy.write(buffer.getvalue())
    finally:
        cursor.close()


def _for_copy(values):
    if isinstance(values, np.ndarray) and values.dtype == np.bool_:
        return np.where(values, "t", "f")
    return values


@contextmanager
def indexes_dropped(connection: Connection, table: Table):
    """Drop `table`'s indexes for a bulk load and build them again afterwards (much faster)."""
    for index in table.indexes:
        index.drop(connection)
    try:
        yield
    finally:
        for index in table.indexes:
            index.create(connection)


def reset_sequences(connection: Connection, tables: Sequence[Table]) -> None:
    """Move PostgreSQL id sequences past rows inserted with explicit ids."""
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        )
