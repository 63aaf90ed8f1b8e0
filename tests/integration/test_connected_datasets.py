"""Round trips through connected databases: a table (or a SELECT) in PostgreSQL, MariaDB, a
DuckDB file and a SQLite file becomes a dataset, and widgets over it show what pandas computes
from the same rows, aggregated in the source through a read-only session with a time limit."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from context import EXTENSION
from data import catalog
from data.catalog import reading_as
from data.connection_store import connect_dataset, create_connection
from data.dashboard_spec import parse_document
from data.datasets import get_dataset
from data.models import SourceConnection
from data.secrets_box import encrypt_url
from pipeline import widget_view
from tests.conftest import free_port, service_url
from tests.helpers import account_of

BACKENDS = ["sqlite", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres), "mysql"]
REGIONS = ["EMEA", "APAC", "Americas", "Zürich"]
ALL_TIME = {"relative": "all_time"}


def _rows(count: int = 900, seed: int = 3) -> list[dict]:
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1)
    return [{"id": i, "ordered_at": start + dt.timedelta(minutes=rng.randrange(60 * 24 * 500)),
             "region": REGIONS[rng.randrange(len(REGIONS))],
             "amount": Decimal(rng.randrange(100, 100_000)) / 100, "qty": rng.randrange(1, 12),
             "paid": rng.random() < 0.5} for i in range(count)]


@dataclasses.dataclass
class Source:
    backend: str
    url: str
    table: tuple[str, str]
    frame: pd.DataFrame


@pytest.fixture(params=BACKENDS)
def source(request, tmp_path) -> Source:
    backend, folder = request.param, tmp_path / "databases"
    folder.mkdir()
    name = f"orders_{uuid.uuid4().hex[:8]}"
    raw = {"sqlite": f"sqlite:///{folder / 'shop.db'}", "duckdb": f"duckdb:///{folder / 'shop.duckdb'}"}.get(
        backend)
    if backend == "postgresql":
        raw = request.getfixturevalue("postgres_url")
    elif backend == "mysql":
        raw = service_url("TEST_MYSQL_URL", "MySQL or MariaDB")
    rows = _rows()
    writer = sa.create_engine(raw, poolclass=NullPool)
    table = sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("ordered_at", sa.DateTime), sa.Column("region", sa.String(20)),
                     sa.Column("amount", sa.Numeric(12, 2)), sa.Column("qty", sa.Integer),
                     sa.Column("paid", sa.Boolean))
    try:
        table.create(writer)
        with writer.begin() as connection:
            connection.execute(table.insert(), rows)
            schema = connection.dialect.default_schema_name or "main"
            if backend == "postgresql":
                schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
    finally:
        writer.dispose()  # DuckDB opens a file read-only only when no writer holds it
    if backend == "mysql":
        request.addfinalizer(lambda: _drop(raw, name))
    frame = pd.DataFrame(rows).assign(amount=lambda f: f["amount"].astype(float))
    return Source(backend, raw, (schema, name), frame)


def _drop(raw: str, name: str) -> None:
    engine = sa.create_engine(raw, poolclass=NullPool)
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    engine.dispose()


@pytest.fixture
def connected(app, database, source, tmp_path):
    """The source connected by the admin, with a dataset over its table and one over a SELECT."""
    settings = dataclasses.replace(app.server.extensions[EXTENSION].settings,
                                   sqlite_folder=tmp_path / "databases")
    admin = account_of(database, "admin")
    with database.session() as session:
        connection_id = create_connection(session, admin, "Shop", source.url, settings).id
    connect_dataset(database, admin, settings, connection_id, "orders", "Orders", table=source.table)
    quoted = ".".join(f'"{part}"' if source.backend != "mysql" else f"`{part}`" for part in source.table)
    connect_dataset(database, admin, settings, connection_id, "big_orders", "Big orders",
                    sql=f"SELECT ordered_at, region, amount, qty FROM {quoted} WHERE qty >= 5")
    with app.server.app_context(), reading_as(database, admin, settings):
        yield settings
    catalog.dispose_engines()


def _document(dataset: str) -> dict:
    return {"title": "Orders", "widgets": [
        {"id": "regions", "type": "bar", "dataset": dataset, "measures": ["amount"], "dimensions": ["region"],
         "time_range": ALL_TIME},
        {"id": "monthly", "type": "line", "dataset": dataset, "measures": ["qty"], "time_grain": "month",
         "time_range": ALL_TIME},
        {"id": "count", "type": "kpi", "dataset": dataset, "measures": ["rows"], "time_range": ALL_TIME},
    ], "layout": [{"i": "regions", "x": 0, "y": 0, "w": 6, "h": 4},
                  {"i": "monthly", "x": 6, "y": 0, "w": 6, "h": 4},
                  {"i": "count", "x": 0, "y": 4, "w": 3, "h": 3}]}


def _check_widgets(dataset: str, frame: pd.DataFrame) -> None:
    spec = parse_document(_document(dataset))
    views = {widget.id: widget_view(widget, spec, []) for widget in spec.widgets}
    assert not [view.error for view in views.values() if view.error]
    regions = views["regions"].data.frame.set_index("region")["amount"].astype(float).round(2)
    assert regions.to_dict() == frame.groupby("region")["amount"].sum().round(2).to_dict()
    months = frame.assign(month=frame["ordered_at"].dt.to_period("M").dt.to_timestamp())
    monthly = views["monthly"].data.frame.set_index("bucket")["qty"].astype(int)
    assert monthly.to_dict() == months.groupby("month")["qty"].sum().to_dict()
    assert views["count"].data.value == len(frame)


def test_widgets_over_a_connected_table_equal_pandas(connected, source):
    _check_widgets("orders", source.frame)


def test_widgets_over_a_select_equal_pandas(connected, source):
    _check_widgets("big_orders", source.frame[source.frame["qty"] >= 5])


def test_widget_queries_run_in_a_read_only_session(connected, source):
    dataset = get_dataset("orders")
    engine = dataset.engine
    if source.backend not in ("sqlite", "duckdb"):
        assert engine.pool.size() == 2  # pooled: a dashboard refresh reuses its connections
    with pytest.raises(sa.exc.DBAPIError), engine.connect() as connection:
        connection.exec_driver_sql(f"DELETE FROM {source.table[1]}")
        connection.commit()
    if source.backend == "postgresql":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"
    assert _count(source) == len(source.frame)


def _count(source: Source) -> int:
    engine = sa.create_engine(source.url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql(f"SELECT COUNT(*) FROM {source.table[1]}").scalar()
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["postgresql"], indirect=True)
def test_a_source_that_does_not_answer_gives_a_message_without_its_password(app, database, connected, source):
    password = "S3cret-" + uuid.uuid4().hex
    gone = sa.make_url(source.url).set(password=password, host="127.0.0.1", port=free_port())
    with database.session() as session:
        record = session.scalar(sa.select(SourceConnection))
        record.url_token = encrypt_url(gone, connected.secret_key)
    with reading_as(database, account_of(database, "admin"), connected):
        spec = parse_document(_document("orders"))
        view = widget_view(spec.widget("regions"), spec, [])
    assert view.error and "Orders" in view.error and "failed" in view.error
    assert password not in view.error


@pytest.mark.parametrize("source", ["duckdb"], indirect=True)
def test_a_file_outside_the_allowed_folder_is_no_longer_read_once_the_setting_changes(
        database, connected, source, tmp_path):
    stricter = dataclasses.replace(connected, sqlite_folder=tmp_path / "elsewhere")
    with reading_as(database, account_of(database, "admin"), stricter):
        spec = parse_document(_document("orders"), check_fields=False)
        view = widget_view(spec.widget("regions"), spec, [])
    assert "The connection 'Shop' is refused" in view.error
    allowed = dataclasses.replace(stricter, allow_any_sqlite_path=True)
    with reading_as(database, account_of(database, "admin"), allowed):
        assert widget_view(spec.widget("regions"), spec, []).error is None
