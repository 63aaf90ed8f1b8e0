"""SQL connections an admin adds: URL checks, engines, errors with the password scrubbed, and
what a source holds (its tables, views and columns).

Four backends are supported, each through one driver: PostgreSQL (psycopg), MySQL and MariaDB
(PyMySQL), SQLite files and DuckDB files. See docs/data.md, "SQL connections", for what is refused
and why. Every error raised here is a `ConnectionProblem` whose message is safe to show: it never
contains the password.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, quote_plus

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

# What an admin may write before "://", and the driver each one means.
SCHEMES = {
    "postgresql": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql", "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mariadb+pymysql", "mariadb+pymysql": "mariadb+pymysql",
    "sqlite": "sqlite", "sqlite+pysqlite": "sqlite",
    "duckdb": "duckdb",
}
FILE_BACKENDS = ("sqlite", "duckdb")
CONNECT_TIMEOUT_S = 5
# A DuckDB file is opened read-only with no access to other files, URLs or extensions, and the
# configuration locked so that no statement can turn any of it back on.
DUCKDB_CONFIG = {"enable_external_access": False, "autoinstall_known_extensions": False,
                 "autoload_known_extensions": False, "allow_community_extensions": False,
                 "lock_configuration": True}


class ConnectionProblem(Exception):
    """A connection or a query on it failed or was refused; the message is safe to show."""


class UnsafeURL(ConnectionProblem, ValueError):
    """The URL names an unsupported backend or driver, a refused option, or a file not allowed."""


class SourceError(ConnectionProblem):
    """The database could not be reached, or refused or failed a statement (scrubbed message)."""


class QueryTimeout(SourceError):
    """A statement ran longer than its timeout and was stopped."""


class Relation(NamedTuple):
    schema: str
    name: str
    kind: str  # "table" or "view"


class SourceColumn(NamedTuple):
    name: str
    type: sa.types.TypeEngine
    kind: str  # date, datetime, integer, decimal, boolean or text


# -- URL checks ----------------------------------------------------------------------------------

def _one_of(*values: str) -> Callable[[str], bool]:
    return lambda value: value in values


_LABEL = re.compile(r"[A-Za-z0-9 _.-]{1,64}")
# The only server option a URL may carry: which schemas to look in (scratch schemas use it too).
_SEARCH_PATH = re.compile(r"-c\s*search_path\s*=\s*[A-Za-z_][A-Za-z0-9_$]*(\s*,\s*[A-Za-z_][A-Za-z0-9_$]*)*")

# Query options each backend accepts; every other one is refused. Drivers pass URL options on
# to the client library, where many read local files (sslkey, passfile, service, read_default_file,
# ssl_ca), load code or data (local_infile, init_command, client_flag), change the server session
# (options) or reach another database (host, unix_socket, ATTACH through DuckDB settings).
QUERY_OPTIONS: Mapping[str, Mapping[str, Callable[[str], bool]]] = {
    "postgresql": {
        "sslmode": _one_of("disable", "allow", "prefer", "require", "verify-ca", "verify-full"),
        "sslrootcert": _one_of("system"),
        "target_session_attrs": _one_of("any", "read-write", "read-only", "primary", "standby",
                                        "prefer-standby"),
        "application_name": _LABEL.fullmatch,
        "options": _SEARCH_PATH.fullmatch,
    },
    "mysql": {"charset": re.compile(r"[a-z0-9_]{1,32}").fullmatch},
    "mariadb": {"charset": re.compile(r"[a-z0-9_]{1,32}").fullmatch},
    "sqlite": {},
    "duckdb": {},
}


def _parse(url: str | sa.URL) -> sa.URL:
    if isinstance(url, sa.URL):
        return url
    try:
        return sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError):
        # SQLAlchemy's message quotes the whole URL, password and all.
        raise UnsafeURL("This is not a database URL (for example "
                        "postgresql+psycopg://user:password@host:5432/database).") from None


def _check_options(backend: str, query: Mapping[str, str | tuple[str, ...]]) -> None:
    allowed = QUERY_OPTIONS[backend]
    for name, value in query.items():
        # Only the option's name is ever echoed: a value may be a password.
        if name not in allowed:
            listed = ", ".join(sorted(allowed)) or "none"
            raise UnsafeURL(f"The URL option {name!r} is not allowed for {backend} "
                            f"(allowed: {listed}).")
        if not isinstance(value, str) or not allowed[name](value):
            raise UnsafeURL(f"The value of the URL option {name!r} is not allowed.")


def _database_file(url: sa.URL, folder: Path, allow_any_path: bool) -> Path:
    """The resolved path of a SQLite or DuckDB file, checked against the allowed folder."""
    backend = url.get_backend_name()
    if url.username or url.password or url.host or url.port:
        raise UnsafeURL(f"A {backend} URL names a file only, as {backend}:///path/to/file.")
    name = url.database or ""
    if name in ("", ":memory:"):
        raise UnsafeURL("An in-memory database starts empty: name a database file.")
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*:", name):
        # file: URIs (mode=, vfs=, modules=), MotherDuck's md:, s3:// and other remote paths.
        raise UnsafeURL("URI-style and remote database names are not allowed: give a file path.")
    path = Path(name)
    if not path.is_absolute():
        path = folder / path
    try:
        resolved = path.resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        raise UnsafeURL(f"There is no database file at {path}.") from None
    if not resolved.is_file():
        raise UnsafeURL(f"{path} is not a database file.")
    if not allow_any_path and not resolved.is_relative_to(folder.resolve()):
        raise UnsafeURL(f"Database files must be inside {folder} (symbolic links are followed).")
    return resolved


def validate_url(url: str | sa.URL, allowed_sqlite_folder: Path, allow_any_path: bool = False) -> sa.URL:
    """Return `url` checked and normalised: explicit driver, and an absolute, resolved path for
    SQLite and DuckDB files (a relative one is taken inside `allowed_sqlite_folder`).

    Raises `UnsafeURL` for another backend or driver, an option not in `QUERY_OPTIONS`, a network
    database without a host, an in-memory or URI-style file name, or a file that is missing or
    outside the folder (unless `allow_any_path`).
    """
    parsed = _parse(url)
    scheme = SCHEMES.get(parsed.drivername)
    if scheme is None:
        raise UnsafeURL("Supported databases are PostgreSQL, MySQL/MariaDB, SQLite and DuckDB; the "
                        f"URL must begin with one of: {', '.join(f'{s}://' for s in SCHEMES)}.")
    parsed = parsed.set(drivername=scheme)
    backend = parsed.get_backend_name()
    _check_options(backend, parsed.query)
    if backend in FILE_BACKENDS:
        folder = Path(allowed_sqlite_folder)
        return parsed.set(database=str(_database_file(parsed, folder, allow_any_path)))
    if not parsed.host or not parsed.database:
        # Without a host the client library falls back to a local socket, as the server's own user.
        raise UnsafeURL(f"A {backend} URL needs a host and a database: {scheme}://user:password@host/db.")
    return parsed


def redacted(url: str | sa.URL) -> str:
    """`url` for display, its password shown as ***."""
    try:
        return _parse(url).render_as_string(hide_password=True)
    except UnsafeURL:
        return "(not a database URL)"


# -- engines and errors --------------------------------------------------------------------------

def source_engine(url: sa.URL, read_timeout_s: float | None = None, pooled: bool = False) -> sa.Engine:
    """An engine for a URL that `validate_url` returned: short connect timeout, and read-only
    where the file backends allow (DuckDB opened read-only, SQLite `query_only`). No pool, unless
    `pooled` (widget queries): then server databases keep a few connections, each made read-only
    with a statement timeout of `read_timeout_s` when it opens (`_guard_session`)."""
    backend = url.get_backend_name()
    if SCHEMES.get(url.drivername) != url.drivername:
        raise UnsafeURL("Only URLs checked by validate_url can be connected.")
    connect_args: dict = {}
    if backend == "postgresql":
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_S}
        if "application_name" not in url.query:
            connect_args["application_name"] = "pulseboard"
    elif backend in ("mysql", "mariadb"):
        connect_args = {"connect_timeout": CONNECT_TIMEOUT_S, "local_infile": False}
        if read_timeout_s is not None:
            # A backstop behind the server's statement timeout, should the server not answer.
            connect_args["read_timeout"] = int(read_timeout_s) + 10
    elif backend == "sqlite":
        connect_args = {"timeout": CONNECT_TIMEOUT_S}
    elif backend == "duckdb":
        connect_args = {"read_only": True, "config": dict(DUCKDB_CONFIG)}
    if pooled and backend not in FILE_BACKENDS:
        engine = sa.create_engine(url, pool_size=2, max_overflow=4, pool_pre_ping=True, pool_recycle=1800,
                                  pool_timeout=10, connect_args=connect_args)
        sa.event.listen(engine, "connect", _guard_session(backend, read_timeout_s or 30))
        return engine
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    if backend == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _query_only(dbapi_connection, _record):
            dbapi_connection.execute("PRAGMA query_only = ON")

    return engine


def _guard_session(backend: str, timeout_s: float) -> Callable:
    """A `connect` listener making each new session read-only, with a statement timeout."""
    if backend == "postgresql":
        statements = ["SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
                      f"SET statement_timeout = {int(timeout_s * 1000)}"]
    else:
        statements = ["SET SESSION TRANSACTION READ ONLY"]

    def guard(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        try:
            timeout = []
            if backend in ("mysql", "mariadb"):
                cursor.execute("SELECT VERSION()")
                mariadb = "mariadb" in str(cursor.fetchone()[0]).lower()
                timeout = [f"SET SESSION max_statement_time = {timeout_s:.3f}" if mariadb
                           else f"SET SESSION max_execution_time = {int(timeout_s * 1000)}"]
            for statement in statements + timeout:
                cursor.execute(statement)
        finally:
            cursor.close()
        dbapi_connection.commit()

    return guard


def scrub(text: str, url: sa.URL) -> str:
    """`text` with the URL's password (raw or URL-quoted) replaced by ***."""
    password = url.password
    if password:
        for form in sorted({password, quote(password, safe=""), quote_plus(password)}, key=len,
                           reverse=True):
            text = text.replace(form, "***")
    return text


def _timed_out(error: BaseException) -> bool:
    """Whether a driver error is a statement timeout (or our own interrupt of one)."""
    original = getattr(error, "orig", None) or error
    if getattr(original, "sqlstate", None) == "57014":  # PostgreSQL: query_canceled
        return True
    code = original.args[0] if original.args else None
    if type(original).__module__.startswith("pymysql") and code in (3024, 1969):
        return True  # MySQL max_execution_time, MariaDB max_statement_time
    return type(original).__name__ == "InterruptException" or str(original) == "interrupted"


@contextmanager
def reported(url: sa.URL, doing: str, timeout_s: float | None = None) -> Iterator[None]:
    """Turn any failure inside into a `SourceError` (or `QueryTimeout`) saying what failed, with
    the password scrubbed and the original exception not chained."""
    try:
        yield
    except ConnectionProblem:
        raise
    except Exception as error:
        # Deliberately broad: driver and SQLAlchemy messages may quote the DSN, and nothing
        # that carries a password may reach a log, a traceback or the browser.
        if timeout_s is not None and _timed_out(error):
            raise QueryTimeout(f"{doing} was stopped after {timeout_s:g} s, its time limit.") from None
        original = getattr(error, "orig", None) or error
        detail = " ".join(str(original).split())[:400] or type(original).__name__
        raise SourceError(f"{doing} failed: {scrub(detail, url)}") from None


@contextmanager
def connected(url: sa.URL, doing: str, timeout_s: float | None = None) -> Iterator[sa.Connection]:
    """A connection to the source, its errors `reported`; closed (never committed) afterwards."""
    with reported(url, doing, timeout_s):
        engine = source_engine(url, timeout_s)
        try:
            with engine.connect() as connection:
                yield connection
        finally:
            engine.dispose()


# -- what a source holds -------------------------------------------------------------------------

_VERSION_SQL = {"postgresql": "SHOW server_version", "mysql": "SELECT VERSION()",
                "mariadb": "SELECT VERSION()", "sqlite": "SELECT sqlite_version()",
                "duckdb": "SELECT version()"}
# Each backend's product name, as messages and pages show it.
PRODUCTS = {"postgresql": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB", "sqlite": "SQLite",
            "duckdb": "DuckDB"}


def test_connection(url: sa.URL) -> str:
    """Connect and return the server's product and version, e.g. "PostgreSQL 15.19".

    Raises `SourceError` (password scrubbed) when the database cannot be reached or refuses.
    """
    backend = url.get_backend_name()
    with connected(url, "Connecting") as connection:
        version = str(connection.exec_driver_sql(_VERSION_SQL[backend]).scalar())
    product = "MariaDB" if "mariadb" in version.lower() else PRODUCTS[backend]
    return f"{product} {version}"


# information_schema lists only what the connecting user may see; PostgreSQL keeps its
# materialized views out of it, so they are added.
_RELATIONS_SQL = {
    "postgresql": "SELECT table_schema, table_name, table_type FROM information_schema.tables "
                  "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                  "UNION ALL SELECT schemaname, matviewname, 'VIEW' FROM pg_matviews",
    "mysql": "SELECT table_schema, table_name, table_type FROM information_schema.tables "
             "WHERE table_schema = DATABASE()",
    "duckdb": "SELECT table_schema, table_name, table_type FROM information_schema.tables "
              "WHERE table_catalog = current_database() "
              "AND table_schema NOT IN ('information_schema', 'pg_catalog')",
    "sqlite": "SELECT 'main', name, type FROM sqlite_master "
              "WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
}


def list_relations(url: sa.URL) -> list[Relation]:
    """The tables and views the connection's user can read, sorted by schema and name."""
    backend = url.get_backend_name()
    sql = _RELATIONS_SQL["mysql" if backend == "mariadb" else backend]
    with connected(url, "Listing tables") as connection:
        rows = connection.exec_driver_sql(sql).all()
    return sorted(Relation(str(schema), str(name), "view" if "VIEW" in str(kind).upper() else "table")
                  for schema, name, kind in rows)


# What reflection returns, dialect by dialect, are subclasses of these (PostgreSQL's TIMESTAMP is a
# DateTime, SQLite's DOUBLE a Float; since SQLAlchemy 2.1 a Float is no Numeric). First match wins.
KIND_TYPES: tuple[tuple[str, type[sa.types.TypeEngine]], ...] = (
    ("boolean", sa.Boolean), ("datetime", sa.DateTime), ("date", sa.Date), ("integer", sa.Integer),
    ("decimal", sa.Float), ("decimal", sa.Numeric), ("text", sa.String))


def kind_of(column_type: sa.types.TypeEngine, unknown: str = "text") -> str:
    """The generic kind of a column type: date, datetime, integer, decimal, boolean or text; and
    `unknown` for a type that is none of these (binary, JSON, arrays, intervals...)."""
    if isinstance(column_type, sa.Integer) and getattr(column_type, "display_width", None) == 1:
        return "boolean"  # MySQL's BOOLEAN is TINYINT(1), and reflects as that
    return next((kind for kind, generic in KIND_TYPES if isinstance(column_type, generic)), unknown)


_DUCKDB_TYPES = {
    "BOOLEAN": sa.Boolean, "TINYINT": sa.SmallInteger, "SMALLINT": sa.SmallInteger,
    "UTINYINT": sa.SmallInteger, "USMALLINT": sa.Integer, "INTEGER": sa.Integer, "UINTEGER": sa.BigInteger,
    "BIGINT": sa.BigInteger, "UBIGINT": sa.Numeric, "HUGEINT": sa.Numeric, "UHUGEINT": sa.Numeric,
    "FLOAT": sa.Float, "REAL": sa.Float, "DOUBLE": sa.Double, "DECIMAL": sa.Numeric, "NUMERIC": sa.Numeric,
    "VARCHAR": sa.String, "DATE": sa.Date, "TIME": sa.Time, "TIMESTAMP": sa.DateTime,
    "TIMESTAMP_S": sa.DateTime, "TIMESTAMP_MS": sa.DateTime, "TIMESTAMP_NS": sa.DateTime,
    "TIMESTAMP WITH TIME ZONE": lambda: sa.DateTime(timezone=True), "BLOB": sa.LargeBinary,
    "INTERVAL": sa.Interval, "UUID": sa.Uuid,
}


def _duckdb_type(data_type: str) -> sa.types.TypeEngine:
    """A SQLAlchemy type for a DuckDB type name (duckdb-engine's reflection needs pg_catalog
    tables that DuckDB lacks)."""
    base, _, size = data_type.upper().partition("(")
    if base == "DECIMAL" and size:
        precision, _, scale = size.rstrip(")").partition(",")
        return sa.Numeric(int(precision), int(scale or 0))
    return _DUCKDB_TYPES.get(base.strip(), sa.types.NullType)()


def columns_of(url: sa.URL, relation: tuple[str, ...]) -> list[SourceColumn]:
    """The columns of `relation` ((schema, name) or a `Relation`), with types and generic kinds.

    Raises `SourceError` when there is no such table or view (or none this user can read).
    """
    schema, name = relation[0], relation[1]
    backend = url.get_backend_name()
    with connected(url, f"Reading the columns of {schema}.{name}") as connection:
        if backend == "duckdb":
            found = [(column, _duckdb_type(data_type)) for column, data_type in connection.execute(
                sa.text("SELECT column_name, data_type FROM information_schema.columns WHERE "
                        "table_catalog = current_database() AND table_schema = :schema AND "
                        "table_name = :name ORDER BY ordinal_position"), {"schema": schema, "name": name})]
        else:
            try:
                found = [(column["name"], column["type"])
                         for column in sa.inspect(connection).get_columns(name, schema=schema)]
            except sa.exc.NoSuchTableError:
                found = []
    if not found:
        raise SourceError(f"There is no table or view {schema}.{name} that this connection can read.")
    return [SourceColumn(column, column_type, kind_of(column_type)) for column, column_type in found]
