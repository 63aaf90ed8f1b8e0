"""Connections as stored, and datasets made from them, on real databases (SQLite and DuckDB files,
the machine's PostgreSQL and MariaDB/MySQL): admins only, credentials encrypted and never shown
or logged, files outside the allowed folder refused, and unsafe SELECTs refused with nothing stored."""

from __future__ import annotations

import dataclasses
import json
import logging
import traceback
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from context import EXTENSION
from data import connection_store
from data.connection_store import ConnectionStoreError, connect_dataset, create_connection, source_url
from data.connections import SourceError, UnsafeURL
from data.dataset_store import DatasetError
from data.models import DatasetRecord, SourceConnection
from data.readonly_sql import UnsafeSQL, run_select
from tests.conftest import service_url
from tests.helpers import account_of
from tests.integration.test_connections import ROWS, _create_orders, _drop_orders

PASSWORD = "Sw0rdfish-7%/q"  # characters that URL-quoting changes, to catch the quoted form too
ORDERS_COLUMNS = [("id", "integer"), ("day", "date"), ("ordered_at", "datetime"), ("amount", "decimal"),
                  ("paid", "boolean"), ("region", "text")]


@dataclasses.dataclass(frozen=True)
class Orders:
    url: str  # as an admin would type it
    schema: str
    table: str


@pytest.fixture
def settings(app):
    return app.server.extensions[EXTENSION].settings


@pytest.fixture
def admin(database):
    return account_of(database, "admin")


def _orders_in(raw: str, request, drop: bool = False) -> tuple[str, str]:
    suffix = uuid.uuid4().hex[:8]
    table, view = f"orders_{suffix}", f"orders_by_region_{suffix}"
    if drop:
        request.addfinalizer(lambda: _drop_orders(raw, table, view))
    _create_orders(raw, table, view)
    return table, view


def file_orders(settings, request, backend: str) -> Orders:
    """An orders table in a SQLite or DuckDB file of the allowed folder, typed as a relative URL."""
    folder = settings.allowed_sqlite_folder
    folder.mkdir(parents=True, exist_ok=True)
    file_name = f"shop.{'db' if backend == 'sqlite' else 'duckdb'}"
    table, _view = _orders_in(f"{backend}:///{folder / file_name}", request)
    return Orders(f"{backend}:///{file_name}", "main", table)


def postgres_orders(request) -> Orders:
    raw = request.getfixturevalue("postgres_url")
    table, _view = _orders_in(raw, request)
    url = sa.make_url(raw).set(password=PASSWORD)
    return Orders(url.render_as_string(hide_password=False), url.query["options"].partition("=")[2], table)


def mysql_orders(request) -> Orders:
    raw = service_url("TEST_MYSQL_URL", "MySQL or MariaDB")
    table, _view = _orders_in(raw, request, drop=True)
    return Orders(raw, sa.make_url(raw).database, table)


def _connect(database, admin, settings, orders: Orders, name: str = "shop") -> int:
    with database.session() as session:
        return create_connection(session, admin, name, orders.url, settings).id


def _record(database, name: str) -> DatasetRecord:
    with database.session() as session:
        return session.scalar(select(DatasetRecord).where(DatasetRecord.name == name))


def _dataset_count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(DatasetRecord))


def test_an_admin_adds_lists_and_deletes_a_connection(database, admin, settings, request):
    orders = file_orders(settings, request, "sqlite")
    with database.session() as session:
        created = create_connection(session, admin, "Shop file", orders.url, settings)
    assert (created.name, created.backend, created.datasets) == ("Shop file", "sqlite", ())
    assert created.display_url == f"sqlite:///{settings.allowed_sqlite_folder.resolve() / 'shop.db'}"
    with database.session() as session:
        listed = connection_store.list_connections(session, admin)
        with pytest.raises(ConnectionStoreError, match="already a connection called 'Shop file'"):
            create_connection(session, admin, "shop FILE", orders.url, settings)
    assert [connection.name for connection in listed] == ["Shop file"]
    with database.session() as session:
        assert connection_store.delete_connection(session, admin, created.id) == "Shop file"
    with database.session() as session:
        assert connection_store.list_connections(session, admin) == []


@pytest.mark.parametrize("role", ["analyst", "viewer"])
def test_only_admins_add_or_list_connections(database, settings, request, role):
    orders = file_orders(settings, request, "sqlite")
    someone = account_of(database, role)
    with database.session() as session, pytest.raises(ConnectionStoreError, match="Only admins"):
        create_connection(session, someone, "shop", orders.url, settings)
    with database.session() as session, pytest.raises(ConnectionStoreError, match="Only admins"):
        connection_store.list_connections(session, someone)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SourceConnection)) == 0


@pytest.mark.postgres
def test_credentials_are_encrypted_at_rest_and_never_shown_or_logged(database, admin, settings, request,
                                                                     caplog):
    caplog.set_level(logging.DEBUG)
    orders = postgres_orders(request)
    connection_id = _connect(database, admin, settings, orders, "warehouse")
    with database.session() as session:
        record = session.get(SourceConnection, connection_id)
        token, display = record.url_token, record.display_url
        listed = connection_store.list_connections(session, admin)
        decrypted = source_url(session, connection_id, settings.secret_key)
    assert PASSWORD not in token and "Sw0rdfish" not in token
    assert display.startswith("postgresql+psycopg://postgres:***@127.0.0.1")
    assert decrypted.password == PASSWORD  # for the server's own use
    info = connect_dataset(database, admin, settings, connection_id, "pg_orders", "Orders",
                           table=(orders.schema, orders.table))
    shown = repr(listed) + repr(info) + caplog.text
    assert "Sw0rdfish" not in shown and "Sw0rdfish-7%25" not in shown
    assert "warehouse" in caplog.text  # it was logged, without the password


def test_a_wrong_password_is_reported_without_it(database, admin, settings, caplog):
    caplog.set_level(logging.DEBUG)
    raw = sa.make_url(service_url("TEST_MYSQL_URL", "MySQL or MariaDB")).set(password=PASSWORD)
    typed = raw.render_as_string(hide_password=False)
    with database.session() as session, pytest.raises(SourceError, match="Access denied") as refused:
        create_connection(session, admin, "wrong", typed, settings)
    shown = "".join(traceback.format_exception(refused.value)) + caplog.text
    assert "Sw0rdfish" not in shown and "Sw0rdfish" not in connection_store.safe_message(refused.value, typed)


def test_a_changed_secret_key_is_a_clear_error(database, admin, settings, request):
    connection_id = _connect(database, admin, settings, file_orders(settings, request, "sqlite"))
    with database.session() as session, pytest.raises(ConnectionStoreError, match="SECRET_KEY has changed"):
        source_url(session, connection_id, "another-secret-key-" * 3)


def test_a_sqlite_file_outside_the_allowed_folder_is_refused_unless_any_path_is_allowed(
        database, admin, settings, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    _create_orders(f"sqlite:///{elsewhere / 'outside.db'}", "orders", "orders_view")
    url = f"sqlite:///{elsewhere / 'outside.db'}"
    with database.session() as session, pytest.raises(UnsafeURL, match="must be inside"):
        create_connection(session, admin, "outside", url, settings)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SourceConnection)) == 0
    anywhere = dataclasses.replace(settings, allow_any_sqlite_path=True)
    with database.session() as session:
        assert create_connection(session, admin, "outside", url, anywhere).backend == "sqlite"


def _assert_orders_dataset(database, info, orders: Orders, connection_id: int) -> None:
    definition = info.definition
    assert [(column.name, column.type) for column in definition.columns] == ORDERS_COLUMNS
    assert definition.time_column == "day"
    assert [dimension.column for dimension in definition.dimensions] == ["paid", "region"]
    assert [(measure.name, measure.aggregation) for measure in definition.measures] == [
        ("id", "sum"), ("amount", "sum"), ("rows", "count")]
    assert (info.source, info.row_count, info.connection_id) == ("table", len(ROWS), connection_id)
    record = _record(database, info.name)
    assert json.loads(record.relation) == [orders.schema, orders.table] and record.sql is None


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres), "mysql",
                                     "duckdb", "sqlite"])
def test_a_table_becomes_a_dataset_with_its_columns(database, admin, settings, request, backend):
    orders = {"postgresql": lambda: postgres_orders(request), "mysql": lambda: mysql_orders(request),
              "duckdb": lambda: file_orders(settings, request, "duckdb"),
              "sqlite": lambda: file_orders(settings, request, "sqlite")}[backend]()
    connection_id = _connect(database, admin, settings, orders)
    info = connect_dataset(database, admin, settings, connection_id, "shop_orders", "Shop orders",
                           table=(orders.schema, orders.table))
    _assert_orders_dataset(database, info, orders, connection_id)
    with database.session() as session, \
            pytest.raises(ConnectionStoreError, match="used by the datasets shop_orders"):
        connection_store.delete_connection(session, admin, connection_id)


@pytest.mark.postgres
def test_a_postgres_select_becomes_a_dataset_of_its_result_columns(database, admin, settings, request):
    orders = postgres_orders(request)
    connection_id = _connect(database, admin, settings, orders)
    sql = f"-- paid orders\nSELECT region, ordered_at, amount * 2 AS doubled FROM {orders.table} WHERE paid;"
    info = connect_dataset(database, admin, settings, connection_id, "paid_orders", "Paid orders", sql=sql)
    assert [(column.name, column.type) for column in info.definition.columns] == [
        ("region", "text"), ("ordered_at", "datetime"), ("doubled", "decimal")]
    assert info.definition.time_column == "ordered_at"
    assert (info.source, info.row_count) == ("sql", 2)
    record = _record(database, "paid_orders")
    assert record.relation is None and record.connection_id == connection_id
    assert record.sql == f"SELECT region, ordered_at, amount * 2 AS doubled FROM {orders.table} WHERE paid"
    # The stored SELECT gives exactly the definition's columns.
    url = sa.make_url(orders.url)
    columns, _rows = run_select(connection_store.checked_url(url, settings), record.sql, 1, 10)
    assert columns == [column.name for column in info.definition.columns]


def test_the_time_column_may_be_chosen_and_must_be_a_date(database, admin, settings, request):
    orders = file_orders(settings, request, "duckdb")
    connection_id = _connect(database, admin, settings, orders)
    info = connect_dataset(database, admin, settings, connection_id, "by_time", "By time",
                           table=("main", orders.table), time_column="ordered_at")
    assert info.definition.time_column == "ordered_at"
    for column, message in (("region", "must be a date or datetime column"), ("nope", "no column 'nope'")):
        with pytest.raises(DatasetError, match=message):
            connect_dataset(database, admin, settings, connection_id, "by_region", "By region",
                            table=("main", orders.table), time_column=column)
    with pytest.raises(SourceError, match=r"no table or view main\.missing"):
        connect_dataset(database, admin, settings, connection_id, "missing", "Missing",
                        table=("main", "missing"))
    assert _record(database, "by_region") is None and _record(database, "missing") is None


def test_only_admins_make_datasets_from_connections(database, admin, settings, request):
    orders = file_orders(settings, request, "sqlite")
    connection_id = _connect(database, admin, settings, orders)
    with pytest.raises(ConnectionStoreError, match="Only admins"):
        connect_dataset(database, account_of(database, "analyst"), settings, connection_id, "mine", "Mine",
                        table=("main", orders.table))
    assert _record(database, "mine") is None


@pytest.mark.postgres
@pytest.mark.parametrize(("sql", "message"), [
    ("DELETE FROM {table}", "Only SELECT queries"),
    ("SELECT pg_read_file('/etc/passwd') AS secret", "pg_read_file"),
    ("WITH gone AS (DELETE FROM {table} RETURNING *) SELECT * FROM gone", "DELETE"),
    ("SELECT 1 AS one; DROP TABLE {table}", "exactly one SELECT"),
])
def test_an_unsafe_select_is_refused_with_its_reason_and_nothing_is_stored(
        database, admin, settings, request, sql, message):
    orders = postgres_orders(request)
    connection_id = _connect(database, admin, settings, orders)
    before = _dataset_count(database)
    with pytest.raises(UnsafeSQL, match=message):
        connect_dataset(database, admin, settings, connection_id, "unsafe", "Unsafe",
                        sql=sql.format(table=orders.table))
    assert _dataset_count(database) == before
    checked = connection_store.checked_url(orders.url, settings)
    assert run_select(checked, f"SELECT COUNT(*) AS n FROM {orders.table}", 1, 10)[1][0][0] == len(ROWS)
