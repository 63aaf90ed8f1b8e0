"""SQL connections on real databases (a SQLite file, a DuckDB file, the machine's PostgreSQL and
MariaDB/MySQL): what they hold, SELECTs with a row limit, and proof that writes are refused by the
database itself, slow queries are stopped, and passwords never show."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import traceback
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from data import connections, readonly_sql
from data.connections import QueryTimeout, Relation, SourceError, validate_url
from data.readonly_sql import UnsafeSQL, readonly_connection, run_select, validate_select
from tests.conftest import service_url

ROWS = [
    {"id": 1, "day": dt.date(2025, 1, 6), "ordered_at": dt.datetime(2025, 1, 6, 9, 30),
     "amount": Decimal("12.50"), "paid": True, "region": "EMEA"},
    {"id": 2, "day": dt.date(2025, 1, 7), "ordered_at": dt.datetime(2025, 1, 7, 18, 5),
     "amount": Decimal("7.25"), "paid": False, "region": "APAC"},
    {"id": 3, "day": dt.date(2025, 2, 1), "ordered_at": dt.datetime(2025, 2, 1, 0, 0),
     "amount": Decimal("100.00"), "paid": True, "region": "EMEA"},
]
BACKENDS = ["sqlite", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres), "mysql"]
PRODUCTS = {"sqlite": ("SQLite",), "duckdb": ("DuckDB",), "postgresql": ("PostgreSQL",),
            "mysql": ("MySQL", "MariaDB")}
# Each runs far longer than the 1 s timeout the tests give it.
SLOW_QUERIES = {
    "postgresql": "SELECT pg_sleep(60)",
    "mysql": "SELECT COUNT(*) FROM information_schema.columns a, information_schema.columns b, "
             "information_schema.columns c",
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n",
    "duckdb": "SELECT SUM(a.range * b.range) FROM range(1000000) a, range(1000000) b",
}
# Why the database itself refuses a write, by backend.
READ_ONLY_REFUSALS = {"sqlite": "not authorized", "duckdb": "attached in read-only mode",
                      "postgresql": "in a read-only transaction", "mysql": "in a READ ONLY transaction"}
WRITES = ["INSERT INTO {table} (id) VALUES (99)", "UPDATE {table} SET amount = 0", "DELETE FROM {table}",
          "DROP TABLE {table}", "CREATE TABLE {table}_copy (a INTEGER)"]


@dataclasses.dataclass(frozen=True)
class Source:
    backend: str  # "mysql" stands for MySQL and MariaDB
    url: sa.URL  # as validate_url returned it
    schema: str
    table: str
    view: str


def _create_orders(raw_url: str, table: str, view: str) -> None:
    writer = sa.create_engine(raw_url, poolclass=NullPool)
    metadata = sa.MetaData()
    orders = sa.Table(table, metadata, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("day", sa.Date), sa.Column("ordered_at", sa.DateTime),
                      sa.Column("amount", sa.Numeric(10, 2)), sa.Column("paid", sa.Boolean),
                      sa.Column("region", sa.String(20)))
    try:
        metadata.create_all(writer, checkfirst=False)
        with writer.begin() as connection:
            connection.execute(orders.insert(), ROWS)
            connection.exec_driver_sql(f"CREATE VIEW {view} AS SELECT region, SUM(amount) AS total "
                                       f"FROM {table} GROUP BY region")
    finally:
        writer.dispose()  # DuckDB opens a file read-only only when no writer holds it


def _drop_orders(raw_url: str, table: str, view: str) -> None:
    writer = sa.create_engine(raw_url, poolclass=NullPool)
    try:
        with writer.begin() as connection:
            connection.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}_copy")
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    finally:
        writer.dispose()


def _make_source(backend: str, request, tmp_path) -> Source:
    folder = tmp_path / "sources"
    folder.mkdir(exist_ok=True)
    suffix = uuid.uuid4().hex[:8]
    table, view = f"orders_{suffix}", f"orders_by_region_{suffix}"
    if backend == "sqlite":
        raw = f"sqlite:///{folder / 'shop.db'}"
    elif backend == "duckdb":
        raw = f"duckdb:///{folder / 'shop.duckdb'}"
    elif backend == "postgresql":
        raw = request.getfixturevalue("postgres_url")
    else:
        raw = service_url("TEST_MYSQL_URL", "MySQL or MariaDB")
        request.addfinalizer(lambda: _drop_orders(raw, table, view))
    _create_orders(raw, table, view)
    url = validate_url(raw, folder, False)
    schema = {"sqlite": "main", "duckdb": "main", "mysql": url.database}.get(backend)
    if backend == "postgresql":
        schema = url.query["options"].partition("=")[2]
    return Source(backend, url, schema, table, view)


@pytest.fixture(params=BACKENDS)
def source(request, tmp_path) -> Source:
    return _make_source(request.param, request, tmp_path)


def _row_count(source: Source) -> int:
    return run_select(source.url, f"SELECT COUNT(*) AS n FROM {source.table}", 1, 10)[1][0][0]


def test_connection_names_the_server_and_its_version(source):
    version = connections.test_connection(source.url)
    assert version.split()[0] in PRODUCTS[source.backend]
    assert any(character.isdigit() for character in version)


def test_tables_and_views_are_listed_with_their_kind(source):
    relations = connections.list_relations(source.url)
    assert Relation(source.schema, source.table, "table") in relations
    assert Relation(source.schema, source.view, "view") in relations


def test_columns_come_with_types_and_generic_kinds(source):
    columns = connections.columns_of(source.url, (source.schema, source.table))
    assert [(column.name, column.kind) for column in columns] == [
        ("id", "integer"), ("day", "date"), ("ordered_at", "datetime"), ("amount", "decimal"),
        ("paid", "boolean"), ("region", "text")]
    assert all(isinstance(column.type, sa.types.TypeEngine) for column in columns)


def test_a_missing_table_is_a_clear_error(source):
    with pytest.raises(SourceError, match=r"no table or view .*no_such_table"):
        connections.columns_of(source.url, (source.schema, "no_such_table"))


def test_a_select_returns_its_columns_and_at_most_limit_rows(source):
    sql = f"SELECT region, amount FROM {source.table} WHERE region LIKE 'E%' -- EMEA only\n;"
    columns, rows = run_select(source.url, sql, 100, 10)
    assert columns == ["region", "amount"]
    assert sorted((region, float(amount)) for region, amount in rows) == [("EMEA", 12.5), ("EMEA", 100.0)]
    assert len(run_select(source.url, f"SELECT * FROM {source.table}", 2, 10)[1]) == 2


@pytest.mark.parametrize("write", WRITES)
def test_writes_are_refused_by_validation_and_by_the_database_itself(source, write):
    sql = write.format(table=source.table)
    with pytest.raises(UnsafeSQL):
        validate_select(sql, source.url.get_backend_name())
    with pytest.raises(SourceError, match=READ_ONLY_REFUSALS[source.backend]), \
            readonly_connection(source.url, 10) as connection:
        connection.exec_driver_sql(sql)  # forced past validation
    assert _row_count(source) == len(ROWS)
    names = {relation.name for relation in connections.list_relations(source.url)}
    assert source.table in names and f"{source.table}_copy" not in names


def test_a_second_statement_smuggled_past_validation_is_refused(source, monkeypatch):
    monkeypatch.setattr(readonly_sql, "validate_select", lambda sql, dialect=None: sql)
    smuggled = (f"SELECT 1 AS one) AS a; COMMIT; DELETE FROM {source.table}; "
                "SELECT * FROM (SELECT 1 AS one")
    with pytest.raises(SourceError):
        run_select(source.url, smuggled, 10, 10)
    assert _row_count(source) == len(ROWS)


def test_a_slow_query_is_stopped_by_the_timeout(source):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="stopped after 1 s, its time limit"):
        run_select(source.url, SLOW_QUERIES[source.backend], 10, 1)
    assert time.monotonic() - started < 30
    assert _row_count(source) == len(ROWS)  # and the connection is usable again


@pytest.mark.postgres
def test_a_writable_cte_is_refused_by_validation_and_by_the_read_only_transaction(request, tmp_path):
    source = _make_source("postgresql", request, tmp_path)
    sql = f"WITH gone AS (DELETE FROM {source.table} RETURNING *) SELECT COUNT(*) FROM gone"
    with pytest.raises(UnsafeSQL, match="DELETE"):
        run_select(source.url, sql, 10, 10)
    with pytest.raises(SourceError, match="read-only transaction"), \
            readonly_connection(source.url, 10) as connection:
        connection.exec_driver_sql(sql)
    assert _row_count(source) == len(ROWS)


def test_sqlite_attach_and_pragmas_are_refused_by_the_connection_itself(request, tmp_path):
    source = _make_source("sqlite", request, tmp_path)
    elsewhere = tmp_path / "created.db"
    for sql in (f"ATTACH DATABASE '{elsewhere}' AS other", "PRAGMA query_only = OFF",
                "SELECT load_extension('/tmp/missing.so')"):
        with pytest.raises(SourceError, match="not authorized"), \
                readonly_connection(source.url, 10) as connection:
            connection.exec_driver_sql(sql)
    assert not elsewhere.exists()


def test_duckdb_reads_no_other_file_even_past_validation(request, tmp_path):
    source = _make_source("duckdb", request, tmp_path)
    secret = tmp_path / "secret.csv"
    secret.write_text("token\nabc\n")
    for sql in (f"SELECT * FROM read_csv('{secret}')", f"SELECT * FROM '{secret}'",
                f"ATTACH '{tmp_path / 'other.duckdb'}' AS other", "SET enable_external_access = true"):
        with pytest.raises(SourceError, match=r"disabled by configuration|configuration has been locked"), \
                readonly_connection(source.url, 10) as connection:
            connection.exec_driver_sql(sql)
    assert not (tmp_path / "other.duckdb").exists()


def _assert_password_hidden(error: BaseException, caplog, password: str) -> None:
    shown = "".join(traceback.format_exception(error)) + caplog.text
    assert password not in shown


def test_a_wrong_password_is_reported_without_it(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    base = sa.make_url(service_url("TEST_MYSQL_URL", "MySQL or MariaDB"))
    password = "Wr0ng-" + uuid.uuid4().hex
    url = validate_url(base.set(username="pulseboard_nobody", password=password), tmp_path, False)
    with pytest.raises(SourceError, match=r"Connecting failed: .*Access denied") as failed:
        connections.test_connection(url)
    _assert_password_hidden(failed.value, caplog, password)


def test_an_unreachable_server_is_reported_without_the_password(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    password = "S3cret-" + uuid.uuid4().hex
    url = validate_url(f"postgresql://alice:{password}@127.0.0.1:9/db", tmp_path, False)
    started = time.monotonic()
    with pytest.raises(SourceError, match="Connecting failed") as failed:
        connections.test_connection(url)
    assert time.monotonic() - started < 30
    _assert_password_hidden(failed.value, caplog, password)
