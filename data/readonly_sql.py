"""Read-only SELECTs an admin writes against a connection: validated by a SQL parser, then run
as a subquery with a row limit, inside a read-only transaction with a statement timeout.

Two independent guards, so that a statement that slips past one is stopped by the other:

1. `validate_select` parses the text with sqlglot (in the connection's dialect) and accepts
   exactly one SELECT (or WITH ... SELECT, or a UNION of them). It refuses any other statement,
   any write or DDL nested in it (PostgreSQL's writable CTEs), SELECT ... INTO, locking clauses,
   MySQL's executable comments, functions that reach files, other connections or server state
   (`DENIED_FUNCTIONS`), and tables named like files or URLs (DuckDB reads those).
2. `readonly_connection` makes the database itself refuse writes: PostgreSQL SET TRANSACTION
   READ ONLY (and the session's default) + SET LOCAL statement_timeout; MySQL/MariaDB SET SESSION
   TRANSACTION READ ONLY + START TRANSACTION READ ONLY + max_execution_time (MySQL) or
   max_statement_time (MariaDB); SQLite PRAGMA query_only, an
   authorizer that allows only reads, and a progress-handler timeout; DuckDB a read-only file
   with external access off and an interrupt on a timer. The statement is sent with a bound
   parameter, so PostgreSQL's extended protocol refuses a second statement smuggled into it.
   Nothing is ever committed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from data.connections import ConnectionProblem, connected

SQLGLOT_DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql", "sqlite": "sqlite",
                    "duckdb": "duckdb"}
MAX_SQL_CHARS = 100_000
MAX_ROWS = 100_000
MAX_TIMEOUT_S = 600

# Statements that must not appear anywhere in the tree, at the top or nested.
_FORBIDDEN_NODES = tuple(getattr(exp, name) for name in (
    "DML", "DDL", "Command", "Copy", "Pragma", "Set", "Attach", "Detach", "Install", "Use",
    "Transaction", "Commit", "Rollback", "LoadData", "Alter", "Drop", "TruncateTable", "Grant",
    "Revoke", "Analyze", "Kill", "Export", "Execute", "Refresh", "Cache", "Uncache", "Declare",
    "Put", "Get", "Describe", "Show",
) if hasattr(exp, name))

# Functions that read or write server files, open other connections, run SQL held in a string,
# or change server state. The read-only transaction already stops writes to tables; these are
# what it does not stop. The database account should still have no more rights than it needs.
DENIED_FUNCTIONS = frozenset({
    # PostgreSQL
    "pg_stat_file", "pg_logdir_ls", "set_config", "pg_reload_conf", "pg_rotate_logfile",
    "pg_terminate_backend", "pg_cancel_backend", "pg_promote", "pg_switch_wal", "pg_create_restore_point",
    "pg_backup_start", "pg_backup_stop", "pg_start_backup", "pg_stop_backup", "pg_logical_emit_message",
    "pg_notify", "nextval", "setval", "query_to_xml", "query_to_xmlschema", "query_to_xml_and_xmlschema",
    "cursor_to_xml", "cursor_to_xmlschema", "lowrite", "pg_import_system_collations",
    # MySQL and MariaDB
    "load_file", "sys_exec", "sys_eval",
    # SQLite
    "load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
    # DuckDB (its connections also have external access switched off)
    "glob", "sniff_csv", "st_read", "sqlite_scan", "sqlite_attach", "query", "query_table", "getenv",
    "load_aws_credentials",
})
DENIED_PREFIXES = ("pg_read_", "pg_ls_", "pg_file_", "pg_stat_reset", "pg_advisory", "lo_", "dblink",
                   "read_", "parquet_", "iceberg_", "delta_", "postgres_", "mysql_")


class UnsafeSQL(ConnectionProblem, ValueError):
    """The text is not exactly one read-only SELECT; the message says why and is safe to show."""


def _function_name(node: exp.Func) -> str:
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _check_node(node: exp.Expression) -> None:
    if isinstance(node, _FORBIDDEN_NODES):
        raise UnsafeSQL(f"Only reading is allowed: the query contains {node.key.upper()}.")
    if isinstance(node, exp.Into):
        raise UnsafeSQL("SELECT ... INTO writes its result somewhere; it is not allowed.")
    if isinstance(node, exp.Lock):
        raise UnsafeSQL("Locking clauses (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed.")
    if isinstance(node, exp.Func):
        name = _function_name(node)
        if name in DENIED_FUNCTIONS or name.startswith(DENIED_PREFIXES):
            raise UnsafeSQL(f"The function {name}() is not allowed: it reaches files, other "
                            "connections or server state.")
    if isinstance(node, exp.Table) and any(mark in node.name for mark in "./\\:"):
        raise UnsafeSQL(f"The table name {node.name!r} looks like a file or a URL; "
                        "reading files is not allowed.")


def validate_select(sql: str, dialect: str | None = None) -> str:
    """Return the one SELECT in `sql`, without comments or semicolons around it, ready to wrap.

    `dialect` is a SQLAlchemy backend name ("postgresql", "mysql", ...); without it the text is
    read as generic SQL. Raises `UnsafeSQL` for anything but exactly one read-only SELECT.
    """
    if len(sql) > MAX_SQL_CHARS:
        raise UnsafeSQL(f"The query is longer than {MAX_SQL_CHARS:,} characters.")
    if dialect is not None and dialect not in SQLGLOT_DIALECTS:
        raise UnsafeSQL(f"Queries on {dialect} are not supported.")
    read = SQLGLOT_DIALECTS.get(dialect or "")
    try:
        tokens = Dialect.get_or_raise(read).tokenize(sql)
        # Empty statements parse as None, or as a Semicolon node when a comment is all they hold.
        statements = [statement for statement in sqlglot.parse(sql, read=read)
                      if statement is not None and not isinstance(statement, exp.Semicolon)]
    except SqlglotError as error:
        first_line = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UnsafeSQL(f"The query could not be read as SQL: {first_line}") from None
    if len(statements) != 1:
        raise UnsafeSQL(f"Write exactly one SELECT statement (found {len(statements)}).")
    statement = statements[0]
    if not isinstance(statement, exp.Query):
        kind = statement.name.upper() if isinstance(statement, exp.Command) else statement.key.upper()
        raise UnsafeSQL(f"Only SELECT queries can be run; this is {kind or 'not a SELECT'}.")
    for node in statement.walk():
        _check_node(node)
    for token in tokens:
        if any(comment.lstrip().startswith(("!", "M!")) for comment in token.comments):
            # MySQL and MariaDB run the text of /*! ... */ comments; the parser does not see it.
            raise UnsafeSQL("Executable comments (/*! ... */) are not allowed.")
    while tokens and tokens[-1].token_type == TokenType.SEMICOLON:
        tokens.pop()
    return sql[tokens[0].start:tokens[-1].end + 1]


# -- read-only sessions --------------------------------------------------------------------------

@contextmanager
def _postgresql_guard(connection: sa.Connection, timeout_s: float) -> Iterator[None]:
    connection.exec_driver_sql("SET TRANSACTION READ ONLY")
    # And every later transaction of this session, should a COMMIT ever get through.
    connection.exec_driver_sql("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
    yield


@contextmanager
def _mysql_guard(connection: sa.Connection, timeout_s: float) -> Iterator[None]:
    if getattr(connection.dialect, "is_mariadb", False):
        connection.exec_driver_sql(f"SET SESSION max_statement_time = {timeout_s:.3f}")
    else:
        connection.exec_driver_sql(f"SET SESSION max_execution_time = {int(timeout_s * 1000)}")
    # DDL commits the open transaction and runs outside it, so START TRANSACTION READ ONLY
    # alone lets DROP TABLE through (seen on MariaDB 10.11); the session's mode stops it.
    connection.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
    connection.exec_driver_sql("START TRANSACTION READ ONLY")
    yield


_SQLITE_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
                   sqlite3.SQLITE_RECURSIVE, sqlite3.SQLITE_TRANSACTION}


def _sqlite_authorizer(action: int, argument: str | None, function: str | None, *_: Any) -> int:
    """Allow reads only: no writes, ATTACH, PRAGMA or denied functions, whatever the parser saw."""
    if action not in _SQLITE_ALLOWED:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (function or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@contextmanager
def _sqlite_guard(connection: sa.Connection, timeout_s: float) -> Iterator[None]:
    raw = connection.connection.dbapi_connection  # query_only is already on (source_engine)
    deadline = time.monotonic() + timeout_s
    raw.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    raw.set_authorizer(_sqlite_authorizer)
    try:
        yield
    finally:
        raw.set_authorizer(None)
        raw.set_progress_handler(None, 0)


@contextmanager
def _duckdb_guard(connection: sa.Connection, timeout_s: float) -> Iterator[None]:
    # DuckDB has no statement timeout; the file is already read-only (source_engine).
    timer = threading.Timer(timeout_s, connection.connection.dbapi_connection.interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()


_GUARDS: dict[str, Callable[[sa.Connection, float], Any]] = {
    "postgresql": _postgresql_guard, "mysql": _mysql_guard, "mariadb": _mysql_guard,
    "sqlite": _sqlite_guard, "duckdb": _duckdb_guard}


@contextmanager
def readonly_connection(url: sa.URL, timeout_s: float, doing: str = "The query") -> Iterator[sa.Connection]:
    """A connection to a validated URL where the database refuses writes and stops statements
    after `timeout_s`; errors become `SourceError`/`QueryTimeout`. Rolled back, never committed."""
    if not 0 < timeout_s <= MAX_TIMEOUT_S:
        raise UnsafeSQL(f"The timeout must be between 0 and {MAX_TIMEOUT_S} seconds.")
    with connected(url, doing, timeout_s) as connection, _GUARDS[url.get_backend_name()](connection,
                                                                                         timeout_s):
        yield connection


def _limited(sql: str, paramstyle: str, limit: int) -> tuple[str, Any]:
    """`sql` as a subquery with a bound row limit, in the driver's parameter style."""
    if paramstyle in ("pyformat", "format"):
        sql = sql.replace("%", "%%")
    placeholder, parameters = {
        "pyformat": ("%(row_limit)s", {"row_limit": limit}), "format": ("%s", (limit,)),
        "qmark": ("?", (limit,)), "numeric_dollar": ("$1", (limit,)),
        "named": (":row_limit", {"row_limit": limit}), "numeric": (":1", (limit,)),
    }[paramstyle]
    # The newlines keep a trailing -- comment from swallowing the closing parenthesis.
    # `sql` is validate_select's output, run as written by an admin: it cannot be a bound parameter.
    return f"SELECT * FROM (\n{sql}\n) AS pulseboard_selected LIMIT {placeholder}", parameters  # noqa: S608


def run_select(url: sa.URL, sql: str, limit: int, timeout_s: float) -> tuple[list[str], list[tuple]]:
    """Validate `sql` and run it read-only with at most `limit` rows and a `timeout_s` timeout.

    Returns (column names, rows). Raises `UnsafeSQL` before touching the database, or
    `SourceError`/`QueryTimeout` (password scrubbed) when the database refuses or stops it.
    """
    if not 0 < limit <= MAX_ROWS:
        raise UnsafeSQL(f"The row limit must be between 1 and {MAX_ROWS:,}.")
    checked = validate_select(sql, url.get_backend_name())
    with readonly_connection(url, timeout_s) as connection:
        statement, parameters = _limited(checked, connection.dialect.paramstyle, limit)
        result = connection.exec_driver_sql(statement, parameters)
        columns = list(result.keys())
        rows = [tuple(row) for row in result.fetchmany(limit)]
    return columns, rows
