"""The demo live feed on real SQLite files: ticks, the writer thread, and `python -m data.feed`."""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.db import Database
from data.feed import DemoFeed
from data.migrate import upgrade
from data.models import Customer, ForecastMonth, Order, OrderLine, Product
from tests.conftest import DEMO_END, wait_until

ROOT = Path(__file__).resolve().parents[2]
NOW = DEMO_END + dt.timedelta(minutes=30)
THIS_MONTH = NOW.date().replace(day=1)
INTERVAL = 0.05


def holds_throughout(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` for `seconds`; return False as soon as it fails."""
    deadline = time.monotonic() + seconds
    pause = threading.Event()
    while time.monotonic() < deadline:
        if not condition():
            return False
        pause.wait(0.02)
    return condition()


def count(engine: sa.Engine, model) -> int:
    """Rows in `model`'s table."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def max_id(engine: sa.Engine, model) -> int:
    """Highest id in `model`'s table (0 when empty)."""
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.coalesce(sa.func.max(model.id), 0))).scalar_one()


def forecast_cells(engine: sa.Engine, month: dt.date) -> dict[tuple[str, str], tuple]:
    """(region, category) -> (id, forecast_revenue, actual_revenue) for one month."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(ForecastMonth.region, ForecastMonth.category, ForecastMonth.id,
                      ForecastMonth.forecast_revenue, ForecastMonth.actual_revenue)
            .where(ForecastMonth.month == month)).all()
    return {(row.region, row.category): (row.id, row.forecast_revenue, row.actual_revenue) for row in rows}


def new_lines_revenue_by_cell(engine: sa.Engine, after_id: int) -> dict[tuple[str, str], float]:
    """Revenue of the lines with id above `after_id`, per (region, category)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(OrderLine.region, OrderLine.category, sa.func.sum(OrderLine.revenue))
            .where(OrderLine.id > after_id).group_by(OrderLine.region, OrderLine.category)).all()
    return {(region, category): revenue for region, category, revenue in rows}


@pytest.fixture
def seeded_copy(template_db, tmp_path) -> str:
    """A private copy of the seeded template (5,000 lines ending DEMO_END); returns its URL."""
    path = tmp_path / "feed.db"
    shutil.copy(template_db, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(seeded_copy):
    database = Database(seeded_copy)
    yield database.engine
    database.dispose()


def test_tick_inserts_orders_and_lines_at_the_clock_time_with_ids_above_the_previous_max(engine):
    last_order, last_line = max_id(engine, Order), max_id(engine, OrderLine)
    orders_before, lines_before = count(engine, Order), count(engine, OrderLine)

    added = DemoFeed(engine, seed=11, clock=lambda: NOW).tick(orders=3)

    assert added >= 3
    assert count(engine, Order) == orders_before + 3
    assert count(engine, OrderLine) == lines_before + added
    with engine.connect() as connection:
        orders = connection.execute(sa.select(Order).where(Order.id > last_order)).all()
        lines = connection.execute(sa.select(OrderLine).where(OrderLine.id > last_line)).all()
        customers = {row.id: row for row in connection.execute(sa.select(Customer)).all()}
        products = {row.id: row for row in connection.execute(sa.select(Product)).all()}
    assert len(orders) == 3 and len(lines) == added
    assert {order.order_date for order in orders} == {NOW}
    assert {line.order_date for line in lines} == {NOW}
    assert all(order.promotion is None for order in orders)
    order_customer = {order.id: order.customer_id for order in orders}
    assert {line.order_id for line in lines} == set(order_customer)
    for line in lines:
        customer, product = customers[line.customer_id], products[line.product_id]
        assert line.customer_id == order_customer[line.order_id]
        assert (line.customer, line.region, line.country, line.segment) == (
            customer.name, customer.region, customer.country, customer.segment)
        assert (line.product, line.category, line.sub_category, line.unit_price) == (
            product.name, product.category, product.sub_category, product.unit_price)
        assert line.quantity >= 1 and line.is_return is False
        assert line.revenue == pytest.approx(line.quantity * line.unit_price * (1 - line.discount), abs=0.006)
        assert line.gross_profit == pytest.approx(line.revenue - line.cost, abs=0.006)


def test_tick_adds_exactly_the_new_revenue_to_this_months_forecast_actuals(engine):
    last_line = max_id(engine, OrderLine)
    before = forecast_cells(engine, THIS_MONTH)
    assert len(before) == 16, "the seeded forecast covers every region × category this month"
    forecast_rows = count(engine, ForecastMonth)

    DemoFeed(engine, seed=12, clock=lambda: NOW).tick(orders=6)

    added = new_lines_revenue_by_cell(engine, last_line)
    after = forecast_cells(engine, THIS_MONTH)
    assert added and count(engine, ForecastMonth) == forecast_rows
    for cell, (row_id, planned, actual) in after.items():
        assert (row_id, planned) == before[cell][:2]
        assert actual - before[cell][2] == pytest.approx(added.get(cell, 0.0), abs=1e-6), cell


def test_a_failed_forecast_update_rolls_back_the_new_orders_and_lines(engine):
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TRIGGER forecast_frozen BEFORE UPDATE ON forecast "
                                   "BEGIN SELECT RAISE(ABORT, 'forecast is frozen'); END")
    orders_before, lines_before = count(engine, Order), count(engine, OrderLine)
    before = forecast_cells(engine, THIS_MONTH)

    with pytest.raises(sa.exc.DBAPIError, match="forecast is frozen"):
        DemoFeed(engine, seed=13, clock=lambda: NOW).tick(orders=3)

    assert (count(engine, Order), count(engine, OrderLine)) == (orders_before, lines_before)
    assert forecast_cells(engine, THIS_MONTH) == before


def test_tick_in_a_month_without_forecast_creates_rows_with_a_null_forecast(engine):
    later = dt.datetime(2027, 6, 1, 9, 0)  # past the seeded three-month horizon
    month = later.date().replace(day=1)
    assert forecast_cells(engine, month) == {}
    last_line, last_forecast = max_id(engine, OrderLine), max_id(engine, ForecastMonth)

    DemoFeed(engine, seed=14, clock=lambda: later).tick(orders=4)

    added = new_lines_revenue_by_cell(engine, last_line)
    created = forecast_cells(engine, month)
    assert added and set(created) == set(added)
    for cell, (row_id, planned, actual) in created.items():
        assert row_id > last_forecast
        assert planned is None
        assert actual == pytest.approx(added[cell], abs=0.005)


def test_started_feed_writes_lines_then_stop_ends_its_thread_and_its_writing(engine, caplog):
    caplog.set_level(logging.ERROR, logger="data.feed")
    lines_before = count(engine, OrderLine)
    feed = DemoFeed(engine, interval=INTERVAL, seed=15, orders_per_second=40).start()
    try:
        (thread,) = [thread for thread in threading.enumerate() if thread.name == "demo-feed"]
        wait_until(lambda: count(engine, OrderLine) > lines_before, 10, "the feed to write lines")
    finally:
        stopping = time.monotonic()
        feed.stop(timeout=5)
        stop_seconds = time.monotonic() - stopping

    assert stop_seconds < 3
    assert not thread.is_alive()
    assert "demo-feed" not in {thread.name for thread in threading.enumerate()}
    lines_at_stop = count(engine, OrderLine)
    assert holds_throughout(lambda: count(engine, OrderLine) == lines_at_stop, seconds=6 * INTERVAL)
    assert caplog.records == [], "a feed tick failed"


def test_tick_on_an_empty_migrated_database_returns_zero_and_writes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    upgrade(url)
    database = Database(url)
    try:
        feed = DemoFeed(database.engine, seed=16, clock=lambda: NOW)
        assert feed.tick(orders=3) == 0
        assert feed.tick() == 0
        for model in (Order, OrderLine, ForecastMonth):
            assert count(database.engine, model) == 0
    finally:
        database.dispose()


def test_python_m_data_feed_writes_lines_and_exits_0_on_sigterm(seeded_copy, engine, tmp_path):
    lines_before = count(engine, OrderLine)
    environment = {**os.environ, "PULSEBOARD_INSTANCE": str(tmp_path / "instance"),
                   "DATABASE_URL": seeded_copy, "FEED_INTERVAL_SECONDS": "0.2",
                   "FEED_SPEEDUP": "1000000", "PULSEBOARD_ENV": "test"}
    process = subprocess.Popen([sys.executable, "-m", "data.feed"], cwd=ROOT, env=environment,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: process.poll() is not None or count(engine, OrderLine) > lines_before,
                   timeout=60)
        assert process.poll() is None, "the feed process died early"
        assert count(engine, OrderLine) > lines_before, "the feed process wrote no lines"
        process.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        _, log = process.communicate(timeout=10)
        exit_seconds = time.monotonic() - signalled
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, log
    assert exit_seconds < 10
    assert "demo feed stopped" in log
    assert "tick failed" not in log


def test_the_default_rate_follows_the_business_not_a_fixed_speed(database):
    """At 5,000 demo lines the business takes a few orders a day: the feed stays near that."""
    feed = DemoFeed(database.engine, seed=21, speedup=10)
    assert feed.orders_per_tick == pytest.approx(1 / 60)  # floored at one order a minute
    fast = DemoFeed(database.engine, seed=21, speedup=1_000_000)
    assert 1 / 60 < fast.orders_per_tick < 1_000  # proportional to the week's real orders
