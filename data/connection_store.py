"""Databases admins connected, as stored, and datasets made from their tables, views and SELECTs.

Only admins manage connections. A connection's URL is checked (`validate_url`, with the SQLite
folder settings), tried, and stored encrypted (`encrypt_url`) next to its redacted form, which is
all that is ever shown. The password never leaves this module in a return value, a message or a
log line: what callers get is the redacted URL, or a `sa.URL` from `source_url` for the server's
own use. Every error meant for people is a `ConnectionStoreError`, a `DatasetError` or a
`ConnectionProblem` (see `SHOWN_ERRORS`), and none carries the password. What a table or a
SELECT gives a dataset (columns, kinds, rows) is read by data/source_columns.py.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.connections import (
    FILE_BACKENDS,
    ConnectionProblem,
    Relation,
    list_relations,
    redacted,
    scrub,
    test_connection,
    validate_url,
)
from data.dashboard_access import Actor
from data.dataset_store import DatasetError, DatasetInfo, check_name, create_dataset, definition_of_columns
from data.models import DatasetRecord, SourceConnection
from data.readonly_sql import validate_select
from data.secrets_box import CredentialsUnreadable, decrypt_url, encrypt_url
from data.source_columns import Preview, row_count, sample_select, table_columns_of
from settings import Settings

log = logging.getLogger(__name__)
TIME_KINDS = ("date", "datetime")


class ConnectionStoreError(ValueError):
    """A connection operation was refused; the message is safe to show."""


SHOWN_ERRORS = (ConnectionStoreError, DatasetError, ConnectionProblem)


def safe_message(error: BaseException, typed_url: str | None = None) -> str:
    """The message of one of `SHOWN_ERRORS`, with the password of the URL as typed scrubbed too:
    a second guard, for a message that quotes what the admin typed."""
    text = str(error)
    if typed_url:
        with contextlib.suppress(sa.exc.ArgumentError, ValueError):
            text = scrub(text, sa.make_url(typed_url.strip()))
    return text


@dataclasses.dataclass(frozen=True)
class ConnectionInfo:
    """A connection as lists show it: never its password."""

    id: int
    name: str
    backend: str
    display_url: str
    created_at: dt.datetime
    datasets: tuple[str, ...]  # names of the datasets reading from it


def require_admin(account: Actor | None) -> None:
    if account is None or not account.active or not account.is_admin:
        raise ConnectionStoreError("Only admins can manage database connections.")


# -- connections ---------------------------------------------------------------------------------

def checked_url(url: str | sa.URL, settings: Settings) -> sa.URL:
    """`url` checked against the settings and normalised (`validate_url`); raises `UnsafeURL`."""
    return validate_url(url.strip() if isinstance(url, str) else url, settings.allowed_sqlite_folder,
                        settings.allow_any_sqlite_path)


def check_url(url: str | sa.URL, settings: Settings) -> tuple[sa.URL, str]:
    """`url` checked against the settings and tried: (the normalised URL, the server's version).

    Raises `UnsafeURL` or `SourceError` (password scrubbed)."""
    checked = checked_url(url, settings)
    return checked, test_connection(checked)


def _using(session: Session, connection_id: int) -> tuple[str, ...]:
    return tuple(session.scalars(select(DatasetRecord.name)
                                 .where(DatasetRecord.connection_id == connection_id)
                                 .order_by(DatasetRecord.name)))


def _name_taken(session: Session, name: str) -> str | None:
    """The name of the connection called `name` in any case, if there is one."""
    return session.scalar(select(SourceConnection.name)
                          .where(func.lower(SourceConnection.name) == name.lower()))


def _info(session: Session, record: SourceConnection) -> ConnectionInfo:
    return ConnectionInfo(record.id, record.name, record.backend, record.display_url, record.created_at,
                          _using(session, record.id))


def create_connection(session: Session, account: Actor, name: str, url: str | sa.URL,
                      settings: Settings) -> ConnectionInfo:
    """Check, try and store a connection (admins only), its URL encrypted.

    Raises `ConnectionStoreError` (not an admin, bad or taken name), `UnsafeURL` or `SourceError`."""
    require_admin(account)
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise ConnectionStoreError("Give the connection a name of at most 120 characters.")
    taken = _name_taken(session, name)
    if taken is not None:
        raise ConnectionStoreError(f"There is already a connection called {taken!r}.")
    checked, _version = check_url(url, settings)
    record = SourceConnection(name=name, backend=checked.get_backend_name(), owner_id=account.id,
                              url_token=encrypt_url(checked, settings.secret_key),
                              display_url=redacted(checked))
    session.add(record)
    session.flush()
    log.info("Connection %r (%s) added by user %s", name, record.display_url, account.id)
    return _info(session, record)


def list_connections(session: Session, account: Actor) -> list[ConnectionInfo]:
    """Every connection, by name (admins only)."""
    require_admin(account)
    return [_info(session, record)
            for record in session.scalars(select(SourceConnection).order_by(SourceConnection.name))]


def _record(session: Session, connection_id: Any) -> SourceConnection:
    try:
        record = session.get(SourceConnection, int(connection_id))
    except (TypeError, ValueError):
        record = None
    if record is None:
        raise ConnectionStoreError("There is no such connection.")
    return record


def delete_connection(session: Session, account: Actor, connection_id: int) -> str:
    """Delete a connection no dataset uses; returns its name. Refused while datasets use it."""
    require_admin(account)
    record = _record(session, connection_id)
    using = _using(session, record.id)
    if using:
        raise ConnectionStoreError(f"The connection {record.name!r} is used by the datasets "
                                   f"{', '.join(using)}: delete them first.")
    session.delete(record)
    log.info("Connection %r deleted by user %s", record.name, account.id)
    return record.name


def source_url(session: Session, connection_id: int, secret_key: str) -> sa.URL:
    """The connection's URL, password included, for the server's own use only.

    Raises `ConnectionStoreError` for no such connection, or one saved under another secret key."""
    record = _record(session, connection_id)
    try:
        return decrypt_url(record.url_token, secret_key)
    except CredentialsUnreadable as error:
        raise ConnectionStoreError(f"Connection {record.name!r}: {error}") from None


def find_connection(session: Session, url: sa.URL, secret_key: str) -> ConnectionInfo | None:
    """The stored connection whose URL (password included) is `url` (as `validate_url` returned
    it), if there is one; connections saved under another secret key are passed over."""
    wanted = url.render_as_string(hide_password=False)
    for record in session.scalars(select(SourceConnection).where(
            SourceConnection.backend == url.get_backend_name()).order_by(SourceConnection.id)):
        try:
            stored = decrypt_url(record.url_token, secret_key)
        except CredentialsUnreadable:
            continue
        if stored.render_as_string(hide_password=False) == wanted:
            return _info(session, record)
    return None


def free_connection_name(session: Session, url: sa.URL) -> str:
    """A name for a new connection to `url` that no connection has: the host and database, or the
    file's name."""
    if url.get_backend_name() in FILE_BACKENDS:
        base = (url.database or "database").replace("\\", "/").rsplit("/", 1)[-1]
    else:
        base = f"{url.host}/{url.database}"
    base, candidate, number = base[:110], base[:110], 2
    while _name_taken(session, candidate) is not None:
        candidate, number = f"{base} ({number})", number + 1
    return candidate


# -- what a connection holds, for admins ---------------------------------------------------------

def _source(database, account: Actor, settings: Settings, connection_id: Any) -> sa.URL:
    """The connection's URL, checked again against today's settings (the SQLite folder may have
    changed since it was saved)."""
    require_admin(account)
    with database.session() as session:
        url = source_url(session, connection_id, settings.secret_key)
    return checked_url(url, settings)


def relations(database, account: Actor, settings: Settings, connection_id: Any) -> list[Relation]:
    """The tables and views the connection's user can read."""
    return list_relations(_source(database, account, settings, connection_id))


def find_relation(found: Sequence[Relation], text: str) -> Relation:
    """The table or view `text` names among `found`: NAME, or SCHEMA.NAME where several schemas
    hold one of that name. Raises `ConnectionStoreError`."""
    matches = [relation for relation in found if relation.name == text]
    if not matches and "." in text:
        schema, _, name = text.partition(".")
        matches = [relation for relation in found if (relation.schema, relation.name) == (schema, name)]
    if len(matches) > 1:
        listed = ", ".join(f"{relation.schema}.{relation.name}" for relation in matches)
        raise ConnectionStoreError(f"Several schemas have a table or view {text!r} ({listed}): "
                                   "write SCHEMA.NAME.")
    if not matches:
        raise ConnectionStoreError(f"There is no table or view {text!r} that this connection can read.")
    return matches[0]


def _relation(table: Sequence[str] | None) -> tuple[str, str]:
    if not table or len(table) != 2 or not all(isinstance(part, str) and part for part in table):
        raise ConnectionStoreError("Pick a table or view: a schema and a name.")
    return table[0], table[1]


def table_columns(database, account: Actor, settings: Settings, connection_id: Any,
                  table: Sequence[str]) -> list[tuple[str, str]]:
    """The (name, kind) of each usable column of a table or view of the connection."""
    return table_columns_of(_source(database, account, settings, connection_id), _relation(table))


def preview_select(database, account: Actor, settings: Settings, connection_id: Any, sql: str) -> Preview:
    """A SELECT's first rows (`source_columns.PREVIEW_ROWS`) and its columns' kinds, run read-only
    with a timeout. Raises `UnsafeSQL` before touching the database, `SourceError` or `QueryTimeout`."""
    # run_select validates the SELECT (in the source's dialect) before it connects.
    return sample_select(_source(database, account, settings, connection_id), sql or "")


def connect_dataset(database, account: Actor, settings: Settings, connection_id: Any, name: str,
                    label: str, *, table: tuple[str, ...] | None = None, sql: str | None = None,
                    time_column: str | None = None) -> DatasetInfo:
    """Record a dataset (owned by `account`, an admin) over a table or view of the connection
    (`table`, as (schema, name)) or over a read-only SELECT (`sql`), with a first definition:
    text and boolean columns as dimensions, numbers summed, a row count, and `time_column` or
    the first date or datetime column as the time column.

    Raises `ConnectionStoreError`, `DatasetError`, `UnsafeSQL` (nothing is run), `SourceError`
    or `QueryTimeout`; nothing is stored unless all goes well."""
    if (table is None) == (sql is None):
        raise ConnectionStoreError("Give either a table or view, or a SELECT; not both.")
    require_admin(account)
    with database.session() as session:
        check_name(session, name)
    url = _source(database, account, settings, connection_id)
    relation, checked = None, None
    if table is not None:
        relation = _relation(table)
        columns = table_columns_of(url, relation)
        what = f"The table {'.'.join(relation)}"
    else:
        checked = validate_select(sql, url.get_backend_name())
        columns = sample_select(url, checked).usable()
        what = "The query's result"
    if not columns:
        raise ConnectionStoreError(f"{what} has no column a dataset can use.")
    kinds = dict(columns)
    if time_column:
        if time_column not in kinds:
            raise DatasetError(f"There is no column {time_column!r} in {what[0].lower()}{what[1:]}.")
        if kinds[time_column] not in TIME_KINDS:
            raise DatasetError(f"The time column {time_column!r} must be a date or datetime column "
                               f"(it holds {kinds[time_column]}).")
    else:
        time_column = next((column for column, kind in columns if kind in TIME_KINDS), None)
    definition = definition_of_columns([(column, kind, column) for column, kind in columns], time_column,
                                       what)
    rows = row_count(url, table=relation, sql=checked)
    with database.session() as session:
        info = create_dataset(session, account, name, label, "table" if relation else "sql", definition,
                              relation=json.dumps(list(relation)) if relation else None,
                              connection_id=int(connection_id), sql=checked, row_count=rows)
    log.info("Dataset %r made from connection %s by user %s", name, connection_id, account.id)
    return info
