"""Seeding the demo business into real migrated databases: SQLite files, and PostgreSQL when configured."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

import data.seed
from data import demo
from data.db import make_engine
from data.migrate import upgrade
from data.models import Customer, ForecastMonth, Order, OrderLine, Product
from data.seed import seed_demo

END = dt.datetime(2026, 11, 20, 15, 30)
ROWS = 3_000
SEED = 42
MODELS = {"customers": Customer, "products": Product, "orders": Order, "order_lines": OrderLine,
          "forecast": ForecastMonth}


@pytest.fixture(scope="module")
def business() -> demo.DemoBusiness:
    return demo.generate(ROWS, END, SEED)


@pytest.fixture
def sqlite_engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'seed.db'}"
    upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_engine(postgres_url):
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def table_counts(engine: sa.Engine) -> dict[str, int]:
    """Row count of every demo table."""
    with engine.connect() as connection:
        return {name: connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
                for name, model in MODELS.items()}


def generated_counts(business: demo.DemoBusiness) -> dict[str, int]:
    """Row count of every demo table as the generator made it."""
    return {name: len(getattr(business, name)["id"]) for name in MODELS}


def assert_order_line_indexes_exist(engine: sa.Engine) -> None:
    """Every index declared on OrderLine exists in the database, on the same columns."""
    present = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes("order_lines")}
    declared = {ix.name: [column.name for column in ix.columns] for ix in OrderLine.__table__.indexes}
    assert len(declared) >= 9
    for name, columns in declared.items():
        assert present.get(name) == columns, f"index {name} is missing or wrong after seeding"


def test_seed_loads_every_table_with_the_generators_row_counts(sqlite_engine, business):
    result = seed_demo(sqlite_engine, rows=ROWS, end=END, seed=SEED)
    assert result.seeded is True and result.lines == ROWS
    assert table_counts(sqlite_engine) == generated_counts(business)


def test_seeding_an_already_seeded_database_changes_nothing(sqlite_engine, business):
    seed_demo(sqlite_engine, rows=ROWS, end=END, seed=SEED)
    again = seed_demo(sqlite_engine, rows=ROWS * 2, end=END, seed=SEED + 1)
    assert again.seeded is False
    assert again.lines == ROWS
    assert table_counts(sqlite_engine) == generated_counts(business)


def test_every_index_declared_on_order_lines_exists_after_seeding(sqlite_engine):
    seed_demo(sqlite_engine, rows=ROWS, end=END, seed=SEED)
    assert_order_line_indexes_exist(sqlite_engine)


def test_a_failure_mid_load_leaves_every_table_empty_and_a_later_seed_works(sqlite_engine, monkeypatch,
                                                                            business):
    real_bulk_insert = data.seed.bulk_insert

    def failing_on_forecast(connection, table, columns, **options):
        if table.name == "forecast":
            raise RuntimeError("disk full while loading the forecast")
        return real_bulk_insert(connection, table, columns, **options)

    monkeypatch.setattr(data.seed, "bulk_insert", failing_on_forecast)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_demo(sqlite_engine, rows=ROWS, end=END, seed=SEED)
    assert table_counts(sqlite_engine) == dict.fromkeys(MODELS, 0)
    indexes = {index["name"] for index in sa.inspect(sqlite_engine).get_indexes("order_lines")}
    assert indexes == {index.name for index in OrderLine.__table__.indexes}

    monkeypatch.setattr(data.seed, "bulk_insert", real_bulk_insert)
    assert seed_demo(sqlite_engine, rows=ROWS, end=END, seed=SEED).seeded is True
    assert table_counts(sqlite_engine) == generated_counts(business)


@pytest.mark.postgres
def test_postgres_seed_matches_the_generator_in_counts_totals_and_indexes(postgres_engine, business):
    assert seed_demo(postgres_engine, rows=ROWS, end=END, seed=SEED).seeded is True
    assert table_counts(postgres_engine) == generated_counts(business)
    lines = business.order_lines
    with postgres_engine.connect() as connection:
        revenue, count, orders, last = connection.execute(sa.select(
            sa.func.sum(OrderLine.revenue), sa.func.count(), sa.func.count(sa.distinct(OrderLine.order_id)),
            sa.func.max(OrderLine.order_date))).one()
    assert revenue == pytest.approx(lines["revenue"].sum(), abs=0.01)
    assert count == ROWS
    assert orders == len(np.unique(lines["order_id"])) == len(business.orders["id"])
    assert last == lines["order_date"].max().astype(dt.datetime)
    assert_order_line_indexes_exist(postgres_engine)
    assert seed_demo(postgres_engine, rows=ROWS, end=END, seed=SEED).seeded is False


@pytest.mark.postgres
def test_postgres_seed_round_trips_booleans_and_nulls(postgres_engine, business):
    seed_demo(postgres_engine, rows=ROWS, end=END, seed=SEED)
    with postgres_engine.connect() as connection:
        returns = connection.execute(
            sa.select(sa.func.count()).where(OrderLine.is_return.is_(True))).scalar_one()
        flags = set(connection.execute(sa.select(OrderLine.is_return).distinct()).scalars())
        no_promotion = connection.execute(
            sa.select(sa.func.count()).where(Order.promotion.is_(None))).scalar_one()
        no_forecast = connection.execute(
            sa.select(sa.func.count()).where(ForecastMonth.forecast_revenue.is_(None))).scalar_one()
        promotions = set(connection.execute(sa.select(Order.promotion).distinct()).scalars())
    assert returns == int(business.order_lines["is_return"].sum()) > 0
    assert flags == {True, False}
    assert no_promotion == sum(value is None for value in business.orders["promotion"]) > 0
    assert no_forecast == sum(value is None for value in business.forecast["forecast_revenue"])
    assert promotions == {None, *(value for value in business.orders["promotion"] if value is not None)}


@pytest.mark.postgres
def test_postgres_rows_inserted_after_seeding_get_fresh_ids(postgres_engine, business):
    seed_demo(postgres_engine, rows=ROWS, end=END, seed=SEED)
    now = END + dt.timedelta(minutes=5)
    with Session(postgres_engine) as session, session.begin():
        order = Order(order_date=now, customer_id=1, channel="Online", promotion=None)
        session.add(order)
        session.flush()
        line = OrderLine(order_id=order.id, order_date=now, customer_id=1, product_id=1, region="EMEA",
                         country="Germany", segment="Consumer", category="Bikes", sub_category="Road Bikes",
                         product="p", customer="c", quantity=1, unit_price=10.0, discount=0.0,
                         revenue=10.0, cost=6.0, gross_profit=4.0, is_return=False)
        month = ForecastMonth(month=dt.date(2031, 1, 1), region="EMEA", category="Bikes",
                              forecast_revenue=None, actual_revenue=10.0)
        session.add_all([line, month])
        session.flush()
        assert order.id == len(business.orders["id"]) + 1
        assert line.id == ROWS + 1
        assert month.id == len(business.forecast["id"]) + 1
