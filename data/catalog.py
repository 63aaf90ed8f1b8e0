"""Who is reading, which datasets they may use, and where each one's rows live.

`data.datasets.get_dataset(name)` knows the built-in datasets by itself. Any other name is a
user's dataset (data/dataset_store.py), and it resolves only inside a scope that names the
reader, `reading_as(database, account, settings)`:

- Flask opens one for every request, as the signed-in user (auth/setup.py);
- an export or a background job opens its own, as the account its ticket names (a worker has
  no signed-in user);
- the public page opens one as the dashboard's owner: publishing a link is the owner's act.

Outside any scope only the built-ins resolve, so code that forgets to open one fails closed. A
reader who may not read a dataset gets `NoDatasetAccess`, whose message never says whether it
exists. Within a scope each name is checked and built once, so a dashboard of twenty widgets
over one dataset asks the database once.

Rows of uploads live in the app's database; rows of connected datasets in their source, reached
through one pooled, read-only engine per connection (with a statement timeout), made when first
needed and replaced when an admin changes the connection.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import datasets
from data.connection_store import checked_url
from data.connections import ConnectionProblem, UnsafeURL, reported, source_engine
from data.dashboard_access import Actor
from data.dataset_definition import DatasetDefinition, DefinitionError, parse_definition
from data.dataset_store import access, readable_datasets
from data.datasets import Dataset, NoDatasetAccess, UnknownField
from data.db import Database
from data.models import DatasetRecord, SourceConnection
from data.query import SOURCE_TIMEOUT_S
from data.secrets_box import CredentialsUnreadable, decrypt_url
from data.upload_import import SQL_TYPES
from settings import Settings

PREVIEW_ROWS = 100


class Reader:
    """The resolver `get_dataset` calls for users' datasets, for one reader."""

    def __init__(self, database: Database, account: Actor | None, settings: Settings,
                 load_account: Callable[[], Actor | None] | None = None):
        """With `load_account`, the account is loaded when first needed (a request's signed-in
        user is loaded only if the request reads a user's dataset)."""
        self.database, self._account, self.settings = database, account, settings
        self._load_account = load_account
        self._found: dict[str, Dataset | UnknownField] = {}

    @property
    def account(self) -> Actor | None:
        if self._load_account is not None:
            self._account, self._load_account = self._load_account(), None
        return self._account

    def __call__(self, name: str) -> Dataset:
        found = self._found.get(name)
        if found is None:
            try:
                found = self._resolve(name)
            except UnknownField as error:
                found = error
            self._found[name] = found
        if isinstance(found, UnknownField):
            raise found
        return found

    def record(self, session: Session, name: str) -> DatasetRecord:
        """The record of a dataset this reader may read; `NoDatasetAccess` otherwise."""
        record = session.scalar(select(DatasetRecord).where(DatasetRecord.name == name))
        if record is None:
            raise NoDatasetAccess(name)
        if access(session, self.account, record) is None:
            raise NoDatasetAccess(name, exists=True)
        return record

    def _resolve(self, name: str) -> Dataset:
        with self.database.session() as session:
            return semantic_of(session, self.record(session, name), self.settings)


@contextlib.contextmanager
def reading_as(database: Database, account: Actor | None, settings: Settings) -> Iterator[Reader]:
    """Resolve users' datasets as `account` inside (see the module's docstring)."""
    reader = Reader(database, account, settings)
    token = datasets.resolver.set(reader)
    try:
        yield reader
    finally:
        datasets.resolver.reset(token)


def begin_reading(database: Database, load_account: Callable[[], Actor | None], settings: Settings) -> None:
    """Open a scope for the rest of this context (a request: it ends with the request), reading
    as the account `load_account` returns when a user's dataset is first asked for."""
    datasets.resolver.set(Reader(database, None, settings, load_account))


def end_reading() -> None:
    datasets.resolver.set(None)


def carrying_reader(function: Callable) -> Callable:
    """`function`, made to read as the current reader on whatever thread calls it."""
    resolver = datasets.resolver.get()

    def run(*args, **kwargs):
        token = datasets.resolver.set(resolver)
        try:
            return function(*args, **kwargs)
        finally:
            datasets.resolver.reset(token)

    return run


def current_reader() -> Reader | None:
    reader = datasets.resolver.get()
    return reader if isinstance(reader, Reader) else None


# -- a record as the semantic layer's Dataset ----------------------------------------------------

def semantic_of(session: Session, record: DatasetRecord, settings: Settings,
                definition: DatasetDefinition | None = None) -> Dataset:
    """`record` (or `definition`, a draft of it) as a `Dataset` over its source; `UnknownField`
    with the reason when it cannot be queried (no time column yet, its connection is gone)."""
    definition = definition or parse_definition(json.loads(record.definition))
    source, engine = _source(session, record, definition, settings)
    try:
        dataset = definition.semantic(record.name, record.label, source)
    except DefinitionError as error:
        raise UnknownField(str(error)) from None
    # The key changes with the definition and the source as well as with the rows (revision),
    # so no cached answer outlives a change of what a measure means.
    digest = hashlib.sha256("\0".join((definition.model_dump_json(), record.relation or "", record.sql or "",
                                       str(record.connection_id))).encode()).hexdigest()[:12]
    return dataclasses.replace(dataset, engine=engine, revision=record.revision, key=f"u{record.id}-{digest}")


def _source(session: Session, record: DatasetRecord, definition: DatasetDefinition,
            settings: Settings) -> tuple[sa.FromClause, sa.Engine | None]:
    if record.source == "upload":
        return definition.table(record.relation), None
    engine = connection_engine(session, record.connection_id, settings)
    if record.source == "table":
        *schema, table = json.loads(record.relation)
        return definition.table(table, schema=".".join(schema) or None), engine
    columns = [sa.column(column.name, SQL_TYPES[column.type]()) for column in definition.columns]
    # The SELECT was validated when it was saved; colons are escaped so that text inside it is
    # never taken for a bound parameter.
    return sa.text(record.sql.replace(":", r"\:")).columns(*columns).subquery("source"), engine


# -- pooled engines for connected databases ------------------------------------------------------

_engines: dict[tuple, sa.Engine] = {}
_engines_lock = threading.Lock()


def connection_engine(session: Session, connection_id: int | None, settings: Settings) -> sa.Engine:
    """The pooled, read-only engine of a stored connection (one per connection and process). Its
    URL is checked again against today's settings: a SQLite or DuckDB file outside the allowed
    folder stops being read once `ALLOW_ANY_SQLITE_PATH` is turned off."""
    connection = session.get(SourceConnection, connection_id) if connection_id is not None else None
    if connection is None:
        raise UnknownField("The database connection of this dataset was deleted.")
    key = (connection.id, connection.url_token, settings.allowed_sqlite_folder,
           settings.allow_any_sqlite_path)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            try:
                url = checked_url(decrypt_url(connection.url_token, settings.secret_key), settings)
            except CredentialsUnreadable:
                raise UnknownField(f"The credentials of the connection {connection.name!r} cannot be read "
                                   "with this SECRET_KEY; an admin must enter them again.") from None
            except UnsafeURL as error:
                raise UnknownField(f"The connection {connection.name!r} is refused: {error}") from None
            for stale in [item for item in _engines if item[0] == connection.id]:
                _engines.pop(stale).dispose()
            engine = _engines[key] = source_engine(url, SOURCE_TIMEOUT_S, pooled=True)
    return engine


def _forget_engines() -> None:
    # A forked child must not share its parent's pooled sockets; it makes its own.
    _engines.clear()


os.register_at_fork(after_in_child=_forget_engines)


def dispose_engines() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


# -- what pickers and the /data pages show ---------------------------------------------------------

def dataset_options(database: Database, account: Actor | None) -> list[dict]:
    """The datasets `account` may build widgets on, for a picker: the built-in ones, then theirs
    and those shared with them that have a time column."""
    with database.session() as session:
        own = [info for info in readable_datasets(session, account) if info.definition.time_column]
    return ([{"label": dataset.label, "value": dataset.name} for dataset in datasets.BUILT_IN.values()]
            + [{"label": info.label, "value": info.name} for info in own])


# -- what the /data pages show ---------------------------------------------------------------------

def _settings(database: Database) -> Settings:
    """The settings of the reader of this request (the /data pages run inside one)."""
    reader = current_reader()
    if reader is None or reader.database is not database:
        raise UnknownField("Datasets are read inside a request or a job that names its reader.")
    return reader.settings


def source_dataset(database: Database, account: Actor | None, name: str,
                   definition: DatasetDefinition) -> Dataset:
    """`definition`, a draft of dataset `name`, as a `Dataset` over that dataset's source, for
    someone who may read it (to preview a change before it is saved)."""
    reader = Reader(database, account, _settings(database))
    with database.session() as session:
        return semantic_of(session, reader.record(session, name), reader.settings, definition)


def preview_rows(database: Database, account: Actor | None, name: str,
                 limit: int = PREVIEW_ROWS) -> pd.DataFrame:
    """The first `limit` rows of dataset `name`'s source, its declared columns only."""
    reader = Reader(database, account, _settings(database))
    with database.session() as session:
        record = reader.record(session, name)
        definition = parse_definition(json.loads(record.definition))
        source, engine = _source(session, record, definition, reader.settings)
    query = select(*(source.c[column.name] for column in definition.columns)).limit(max(1, min(limit, 1000)))
    engine = engine or database.engine
    try:
        with reported(engine.url, f"Reading the rows of {record.label}"), engine.connect() as connection:
            result = connection.execute(query)
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    except ConnectionProblem as error:
        raise UnknownField(str(error)) from None
