"""Live aggregates on a real SQLite copy: a cached base plus an exact delta equals pandas over every
raw row, for open and moving windows, with filters, distinct counts that repeat, and rebases."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from data import live
from data.cache import ResultCache
from data.datasets import SALES
from data.feed import DemoFeed
from data.live import Anchor, Window, bucket_series, data_version, live_measures
from data.models import OrderLine
from data.query import GRAINS, Filter
from tests.conftest import DEMO_END, DEMO_ROWS
from tests.integration.pandas_reference import (
    SALES_MEASURES,
    assert_same,
    measures_by,
    measures_of,
    read_lines,
    rows_in,
    truncate,
)

FILTERS = (Filter("region", "in", ["EMEA", "North America"]),
           Filter("segment", "in", ["Consumer", "Small Business"]))
WHERE = {"region": ["EMEA", "North America"], "segment": ["Consumer", "Small Business"]}


@pytest.fixture
def engine(database) -> sa.Engine:
    return database.engine


@pytest.fixture
def cache(tmp_path):
    results = ResultCache(tmp_path / "cache")
    yield results
    results.close()


def feed_at(engine: sa.Engine, moment: dt.datetime, orders: int, seed: int) -> None:
    """Insert `orders` demo orders stamped `moment` through the real feed."""
    assert DemoFeed(engine, seed=seed, clock=lambda: moment).tick(orders=orders) > 0


def copy_lines(engine: sa.Engine, line_ids: list[int], moment: dt.datetime) -> None:
    """Insert copies of existing lines (same order, customer and product) stamped `moment`."""
    table = OrderLine.__table__
    columns = [column for column in table.c if column.name != "id"]
    chosen = sa.select(*[sa.literal(moment, sa.DateTime).label("order_date") if column.name == "order_date"
                         else column for column in columns]).where(table.c.id.in_(line_ids))
    with engine.begin() as connection:
        connection.execute(table.insert().from_select([column.name for column in columns], chosen))


def expected(engine: sa.Engine, window: Window, where: dict | None = None,
             upto_id: int | None = None) -> dict:
    """Every sales measure over the window's raw rows, computed by pandas."""
    return measures_of(rows_in(read_lines(engine), window.start, window.end, where, upto_id))


def measure(engine, cache, window: Window, anchor: Anchor | None, filters=()) -> tuple[dict, Anchor]:
    """live_measures of every sales measure at the current data version."""
    return live_measures(engine, cache, SALES, SALES_MEASURES, window, filters,
                         data_version(engine, SALES), anchor)


def test_an_open_window_is_exact_after_new_orders_arrive_through_the_anchored_delta(engine, cache):
    window = Window(dt.datetime(2026, 11, 14))
    before, anchor = measure(engine, cache, window, None)
    assert anchor == Anchor(DEMO_ROWS, None)
    assert_same(before, expected(engine, window))
    feed_at(engine, DEMO_END + dt.timedelta(minutes=3), orders=6, seed=11)
    feed_at(engine, DEMO_END + dt.timedelta(minutes=4, seconds=30), orders=4, seed=12)
    after, reused = measure(engine, cache, window, anchor)
    assert reused == anchor  # the base was kept: the new orders came from the delta
    assert after["orders"] == before["orders"] + 10
    assert_same(after, expected(engine, window))


def test_a_window_whose_end_moved_forward_takes_in_older_rows_exactly(engine, cache):
    start, first_end = dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 20, 9, 17, 42)
    before, anchor = measure(engine, cache, Window(start, first_end), None)
    assert anchor == Anchor(DEMO_ROWS, dt.datetime(2026, 10, 20, 9, 17))
    assert_same(before, expected(engine, Window(start, first_end)))
    feed_at(engine, DEMO_END + dt.timedelta(minutes=2), orders=5, seed=3)  # new, but outside the window
    later = Window(start, dt.datetime(2026, 10, 23, 18, 5, 3))
    lines = read_lines(engine)
    swept = rows_in(lines, anchor.base_end, later.end)
    base = rows_in(lines, start, anchor.base_end)
    assert len(swept) > 0
    assert set(swept["customer_id"]) & set(base["customer_id"]), "swept-in rows should repeat customers"
    after, reused = measure(engine, cache, later, anchor)
    assert reused == anchor
    assert_same(after, expected(engine, later))


def test_late_rows_inside_a_moving_window_and_rows_beyond_it_are_counted_once(engine, cache):
    start = dt.datetime(2026, 10, 1)
    _, anchor = measure(engine, cache, Window(start, dt.datetime(2026, 10, 20, 9, 17, 42)), None)
    lines = read_lines(engine)
    early = rows_in(lines, start, dt.datetime(2026, 10, 10))
    # Copies of lines already counted arrive late, dated inside the base's span: same orders
    # and customers, so only the sums may move.
    copy_lines(engine, [int(line_id) for line_id in early["id"][:8]], dt.datetime(2026, 10, 12, 8, 0))
    later = Window(start, dt.datetime(2026, 10, 25))
    after, reused = measure(engine, cache, later, anchor)
    assert reused == anchor
    assert_same(after, expected(engine, later))


def test_filters_on_region_and_segment_stay_exact_through_the_delta(engine, cache):
    open_window, moving = Window(dt.datetime(2026, 11, 1)), Window(dt.datetime(2026, 9, 1),
                                                                    dt.datetime(2026, 10, 2, 13, 45))
    open_before, open_anchor = measure(engine, cache, open_window, None, FILTERS)
    moving_before, moving_anchor = measure(engine, cache, moving, None, FILTERS)
    assert_same(open_before, expected(engine, open_window, WHERE))
    assert_same(moving_before, expected(engine, moving, WHERE))
    feed_at(engine, DEMO_END + dt.timedelta(minutes=1), orders=25, seed=5)
    new_lines = rows_in(read_lines(engine), DEMO_END)
    assert set(new_lines["region"]) - set(WHERE["region"]), "some new orders should be filtered out"
    assert len(rows_in(new_lines, where=WHERE)) > 0, "some new orders should pass the filters"
    moved = Window(moving.start, dt.datetime(2026, 10, 9, 2, 30))
    open_after, _ = measure(engine, cache, open_window, open_anchor, FILTERS)
    moved_after, _ = measure(engine, cache, moved, moving_anchor, FILTERS)
    assert_same(open_after, expected(engine, open_window, WHERE))
    assert_same(moved_after, expected(engine, moved, WHERE))


def test_distinct_counts_stay_exact_when_the_delta_repeats_orders_and_customers_of_the_base(engine, cache):
    window = Window(dt.datetime(2026, 11, 1))
    before, anchor = measure(engine, cache, window, None)
    lines = read_lines(engine)
    in_base = rows_in(lines, window.start)
    outside = rows_in(lines, end=window.start)
    newcomer = outside[~outside["customer_id"].isin(in_base["customer_id"])].iloc[0]
    # Lines of orders the base already counted, a newcomer's line twice (one order, one customer),
    # and new orders from the feed, some by customers the base already has.
    copy_lines(engine, [int(line_id) for line_id in in_base["id"][:12]], DEMO_END + dt.timedelta(minutes=1))
    copy_lines(engine, [int(newcomer["id"])] * 2, DEMO_END + dt.timedelta(minutes=2))
    copy_lines(engine, [int(newcomer["id"])], DEMO_END + dt.timedelta(minutes=3))
    feed_at(engine, DEMO_END + dt.timedelta(minutes=4), orders=40, seed=21)
    delta = read_lines(engine).query("id > @DEMO_ROWS")
    fed = delta[delta["order_date"] == DEMO_END + dt.timedelta(minutes=4)]
    assert set(fed["customer_id"]) & set(in_base["customer_id"]), "the feed should repeat a base customer"
    after, reused = measure(engine, cache, window, anchor)
    assert reused == anchor
    assert after["orders"] == before["orders"] + 1 + fed["order_id"].nunique()
    assert after["customers"] == before["customers"] + 1 + len(
        set(fed["customer_id"]) - set(in_base["customer_id"]) - {newcomer["customer_id"]})
    assert_same(after, expected(engine, window))


def test_a_delta_beyond_the_rebase_limit_takes_a_new_base_and_stays_exact(engine, cache, monkeypatch):
    monkeypatch.setattr(live, "REBASE_AFTER_ROWS", 50)
    open_window, start = Window(dt.datetime(2026, 11, 1)), dt.datetime(2026, 9, 1)
    moving = Window(start, dt.datetime(2026, 10, 2, 13, 45))
    _, open_anchor = measure(engine, cache, open_window, None, FILTERS)
    _, moving_anchor = measure(engine, cache, moving, None)
    # 1,200 more lines: the rounded base id moves from 5,000 to 6,000.
    copy_lines(engine, list(range(1, 1201)), DEMO_END + dt.timedelta(minutes=1))
    feed_at(engine, DEMO_END + dt.timedelta(minutes=2), orders=10, seed=8)
    version = data_version(engine, SALES)
    assert version > 6_000
    open_after, open_rebased = measure(engine, cache, open_window, open_anchor, FILTERS)
    moved = Window(start, dt.datetime(2026, 10, 9, 2, 30, 30))
    moved_after, moved_rebased = measure(engine, cache, moved, moving_anchor)
    assert open_rebased == Anchor(6_000, None)
    assert moved_rebased == Anchor(6_000, dt.datetime(2026, 10, 9, 2, 30))
    assert_same(open_after, expected(engine, open_window, WHERE))
    assert_same(moved_after, expected(engine, moved))
    # Within the limit the new anchor is kept, and the delta on top of it is exact too.
    feed_at(engine, DEMO_END + dt.timedelta(minutes=3), orders=3, seed=9)
    again, kept = measure(engine, cache, open_window, open_rebased, FILTERS)
    assert kept == open_rebased
    assert_same(again, expected(engine, open_window, WHERE))


def test_viewers_with_and_without_an_anchor_share_the_base_and_agree(engine, cache):
    window = Window(dt.datetime(2026, 10, 22))
    _, anchor = measure(engine, cache, window, None)
    feed_at(engine, DEMO_END + dt.timedelta(minutes=1), orders=7, seed=4)
    anchored, _ = measure(engine, cache, window, anchor)
    fresh, fresh_anchor = measure(engine, cache, window, None)
    assert fresh_anchor == anchor
    assert anchored == fresh
    assert_same(fresh, expected(engine, window))


def test_an_anchor_survives_a_json_round_trip():
    for anchor in (Anchor(5_000, None), Anchor(12_000, dt.datetime(2026, 10, 20, 9, 17))):
        assert Anchor.from_json(anchor.to_json()) == anchor


@pytest.mark.parametrize("garbage", [
    None, {}, [], "anchor", 42, {"base_id": "x", "base_end": None}, {"base_id": None, "base_end": None},
    {"base_id": 1}, {"base_end": None}, {"base_id": 1, "base_end": "not a date"},
    {"base_id": 1, "base_end": 17}, {"base_id": [1], "base_end": None},
    {"base_id": "1; DROP", "base_end": None},
])
def test_an_anchor_from_garbage_is_none(garbage):
    assert Anchor.from_json(garbage) is None


@pytest.mark.parametrize("grain", GRAINS)
def test_bucket_series_per_grain_and_region_equals_pandas_groupby(engine, grain):
    window = Window(dt.datetime(2026, 6, 15, 7, 30), dt.datetime(2026, 11, 18, 16))
    before = data_version(engine, SALES)
    feed_at(engine, dt.datetime(2026, 11, 17, 10, 5), orders=5, seed=2)  # late, inside the window
    version = data_version(engine, SALES)
    lines = read_lines(engine)
    for upto_id in (before, version):
        rows = rows_in(lines, window.start, window.end, WHERE, upto_id)
        points = bucket_series(engine, SALES, SALES_MEASURES, grain, window, FILTERS, upto_id, by="region")
        actual = {(point.pop("bucket"), point.pop("by")): point for point in points}
        assert_same(actual, measures_by(rows, [truncate(rows["order_date"], grain), "region"]),
                    f"{grain} by region upto {upto_id}")
        plain = {(point.pop("bucket"),): point for point in bucket_series(
            engine, SALES, SALES_MEASURES, grain, window, FILTERS, upto_id)}
        assert_same(plain, measures_by(rows, [truncate(rows["order_date"], grain)]),
                    f"{grain} upto {upto_id}")
