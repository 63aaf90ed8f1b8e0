"""The Overview's numbers on a real SQLite copy: `load_overview` equals pandas over every raw row,
and each `tick_overview`, patched onto what was drawn, gives exactly what a fresh load would."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from data.cache import ResultCache
from data.db import make_engine
from data.feed import DemoFeed
from data.migrate import upgrade
from data.models import OrderLine
from data.overview import load_overview, tick_overview
from data.overview_filters import OverviewFilters
from data.periods import PERIODS, resolve_period
from data.seed import seed_demo
from tests.conftest import DEMO_END, DEMO_ROWS
from tests.integration.pandas_reference import (
    STEPS,
    assert_same,
    bucket_grid,
    measures_by,
    measures_of,
    planned_revenue,
    ratio,
    read_forecast,
    read_lines,
    rows_in,
    truncate,
)

CARDS = ("revenue", "orders", "aov", "margin_pct", "attainment_pct", "customers")
DIMENSIONS = ("region", "category", "segment")
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def engine(database) -> sa.Engine:
    return database.engine


@pytest.fixture
def postgres_engine(postgres_url) -> sa.Engine:
    """The demo database seeded into a fresh PostgreSQL schema."""
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    seed_demo(engine, rows=DEMO_ROWS, end=DEMO_END)
    yield engine
    engine.dispose()


@pytest.fixture
def cache(tmp_path):
    results = ResultCache(tmp_path / "cache")
    yield results
    results.close()


def iso(moment: dt.datetime) -> str:
    """A bucket's label as the Overview writes it."""
    return moment.isoformat(timespec="seconds")


def feed_at(engine: sa.Engine, moment: dt.datetime, orders: int, seed: int) -> None:
    """Insert `orders` demo orders stamped `moment` through the real feed."""
    assert DemoFeed(engine, seed=seed, clock=lambda: moment).tick(orders=orders) > 0


def fresh_load(engine: sa.Engine, folder: Path, filters: OverviewFilters, now: dt.datetime) -> dict:
    """load_overview with a cache of its own, as a page opened at `now` would see it."""
    results = ResultCache(folder / f"fresh-{uuid.uuid4().hex}")
    try:
        return load_overview(engine, results, filters, now)
    finally:
        results.close()


def reference(engine: sa.Engine, filters: OverviewFilters, now: dt.datetime) -> dict:
    """The Overview's numbers, computed by pandas from every raw order line and forecast cell."""
    period = resolve_period(filters.period, now, filters.start, filters.end)
    lines, forecast = read_lines(engine), read_forecast(engine)
    where = {name: list(getattr(filters, name)) for name in DIMENSIONS if getattr(filters, name)}

    def plan(start: dt.datetime, end: dt.datetime) -> float | None:
        """The prorated plan; the forecast has no segments, so none under a segment filter."""
        if filters.segment:
            return None
        return planned_revenue(forecast, start, end, {k: v for k, v in where.items() if k != "segment"})

    span_end = period.end or now
    in_period = rows_in(lines, period.start, period.end, where)
    current = measures_of(in_period)
    previous = measures_of(rows_in(lines, period.previous_start, period.previous_end, where))
    current["attainment_pct"] = ratio(current["revenue"], plan(period.start, span_end))
    previous["attainment_pct"] = ratio(previous["revenue"], plan(period.previous_start, period.previous_end))
    kpis = []
    for name in CARDS:
        value, before = current[name], previous[name]
        change = None if value is None or before is None or not before else (value - before) / abs(before)
        kpis.append({"name": name, "value": value, "previous": before, "change": change,
                     "good": None if not change else change > 0})

    latest = min(now, period.end - dt.timedelta(microseconds=1)) if period.end else now
    grid = bucket_grid(period.start, latest, period.grain)
    buckets = truncate(in_period["order_date"], period.grain)
    per_bucket = measures_by(in_period, [buckets])
    nothing = measures_of(in_period.iloc[0:0])
    spark = {name: [] for name in CARDS}
    for bucket in grid:
        values = per_bucket.get((bucket,), nothing)
        for name in CARDS:
            if name != "attainment_pct":
                spark[name].append(values[name])
        # A bucket's plan covers its part of the period: from the period's start, up to now.
        bucket_plan = plan(max(bucket, period.start), min(bucket + STEPS[period.grain], span_end))
        spark["attainment_pct"].append(ratio(values["revenue"], bucket_plan))

    by_region = {(key[0].to_pydatetime(), key[1]): float(value) for key, value in
                 in_period.groupby([buckets, "region"])["revenue"].sum().items()}
    regions = {region: [by_region.get((bucket, region), 0.0) for bucket in grid]
               for region in sorted(in_period["region"].unique())}

    last_minute = now.replace(second=0, microsecond=0)
    minutes = [last_minute - dt.timedelta(minutes=59 - index) for index in range(60)]
    recent = rows_in(lines, minutes[0], None, where)
    per_minute = {key.to_pydatetime(): float(value) for key, value in
                  recent.groupby(truncate(recent["order_date"], "minute"))["revenue"].sum().items()}

    mix = {category: float(value) for category, value in
           in_period.groupby("category")["revenue"].sum().sort_index().items()}
    return {
        "period": {"key": period.key, "label": PERIODS[period.key], "grain": period.grain,
                   "start": iso(period.start), "end": iso(period.end) if period.end else None},
        "kpis": kpis,
        "spark": {name: {"x": [iso(bucket) for bucket in grid], "y": spark[name]} for name in CARDS},
        "regions": {"x": [iso(bucket) for bucket in grid], "traces": regions},
        "stream": {"x": [iso(minute) for minute in minutes],
                   "y": [per_minute.get(minute, 0.0) for minute in minutes]},
        "mix": mix,
    }


def drawn(overview: dict) -> dict:
    """What a page draws from load_overview, in the shape of `reference`."""
    return {
        "period": overview["period"],
        "kpis": [{key: card[key] for key in ("name", "value", "previous", "change", "good")}
                 for card in overview["kpis"]],
        "spark": {card["name"]: card["spark"] for card in overview["kpis"]},
        "regions": overview["regions"],
        "stream": overview["stream"],
        "mix": overview["mix"],
    }


def apply_tail(values: list, tail: dict, key: str = "y") -> list:
    """Patch drawn values with a tail: replace from `index`, append the rest, drop `drop_front`."""
    patched = list(values[:tail["index"]]) + list(tail[key])
    return patched[tail.get("drop_front", 0):]


def apply_tick(page: dict, tick: dict) -> dict:
    """What the page shows after patching `tick` onto it."""
    patched = dict(page)
    patched["kpis"] = [{key: card[key] for key in ("name", "value", "previous", "change", "good")}
                       for card in tick["kpis"]]
    patched["spark"] = {name: {"x": apply_tail(series["x"], tick["spark"][name], "x"),
                               "y": apply_tail(series["y"], tick["spark"][name])}
                        for name, series in page["spark"].items()}
    traces = page["regions"]["traces"]
    assert set(tick["regions"]) == set(traces)
    first = next(iter(tick["regions"].values()))
    patched["regions"] = {"x": apply_tail(page["regions"]["x"], first, "x"),
                          "traces": {name: apply_tail(values, tick["regions"][name])
                                     for name, values in traces.items()}}
    patched["stream"] = {"x": apply_tail(page["stream"]["x"], tick["stream"], "x"),
                         "y": apply_tail(page["stream"]["y"], tick["stream"])}
    patched["mix"] = dict(zip(page["mix"], tick["mix"], strict=True))
    return patched


def assert_matches(page: dict, expected: dict) -> None:
    """Assert what is drawn equals the reference, part by part (labels exactly, numbers closely)."""
    assert page["period"] == expected["period"]
    assert_same(page["kpis"], expected["kpis"], "kpis")
    for name in CARDS:
        assert page["spark"][name]["x"] == expected["spark"][name]["x"], name
        assert_same(page["spark"][name]["y"], expected["spark"][name]["y"], f"spark {name}")
    assert page["regions"]["x"] == expected["regions"]["x"]
    assert_same(page["regions"]["traces"], expected["regions"]["traces"], "regions")
    assert page["stream"]["x"] == expected["stream"]["x"]
    assert_same(page["stream"]["y"], expected["stream"]["y"], "stream")
    assert_same(page["mix"], expected["mix"], "mix")


LOAD_CASES = {
    "30d": OverviewFilters(),
    "30d-emea-apac": OverviewFilters(region=("APAC", "EMEA")),
    "30d-north-america-bikes-clothing": OverviewFilters(region=("North America",),
                                                        category=("Bikes", "Clothing")),
    "30d-corporate": OverviewFilters(segment=("Corporate",)),
    "today": OverviewFilters(period="today"),
    "today-north-america": OverviewFilters(period="today", region=("North America",)),
    "7d-components": OverviewFilters(period="7d", category=("Components",)),
    "qtd": OverviewFilters(period="qtd"),
    "ytd": OverviewFilters(period="ytd"),
    "ytd-consumer-accessories": OverviewFilters(period="ytd", segment=("Consumer",),
                                                category=("Accessories",)),
    "custom-october": OverviewFilters(period="custom", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31)),
    "custom-weeks-latam": OverviewFilters(period="custom", start=dt.date(2026, 3, 4),
                                          end=dt.date(2026, 9, 30), region=("LATAM",)),
    "custom-running-past-now": OverviewFilters(period="custom", start=dt.date(2026, 11, 10),
                                               end=dt.date(2026, 11, 30), category=("Accessories",)),
}


@pytest.mark.parametrize("filters", LOAD_CASES.values(), ids=LOAD_CASES.keys())
def test_load_overview_equals_pandas_for_every_kpi_sparkline_stream_region_and_category(
        engine, cache, filters):
    overview = load_overview(engine, cache, filters, DEMO_END)
    expected = reference(engine, filters, DEMO_END)
    assert [card["name"] for card in overview["kpis"]] == list(CARDS)
    assert_matches(drawn(overview), expected)
    assert overview["updated_at"] == iso(DEMO_END)
    attainment = overview["kpis"][CARDS.index("attainment_pct")]
    assert (attainment["value"] is None) == bool(filters.segment)
    assert sum(overview["kpis"][0]["spark"]["y"]) == pytest.approx(overview["kpis"][0]["value"], rel=1e-9)


def test_a_loaded_overview_keeps_empty_sum_buckets_at_zero_and_empty_ratio_buckets_empty(engine, cache):
    overview = load_overview(engine, cache, OverviewFilters(period="today"), DEMO_END)
    spark = {card["name"]: card["spark"]["y"] for card in overview["kpis"]}
    midnight = spark["revenue"][0]  # no orders between midnight and 1 am in the demo's today
    assert midnight == 0 and spark["orders"][0] == 0 and spark["customers"][0] == 0
    assert spark["aov"][0] is None and spark["margin_pct"][0] is None
    assert spark["attainment_pct"][0] == 0
    assert overview["stream"]["y"] == [0.0] * 60  # the demo's last order is at 13:57


def tick_and_compare(engine: sa.Engine, cache: ResultCache, folder: Path, filters: OverviewFilters,
                     steps: list[tuple[dt.timedelta, int]]) -> None:
    """Load at DEMO_END, then per step insert orders, tick, patch, and compare with a fresh load."""
    loaded = load_overview(engine, cache, filters, DEMO_END)
    page, state = drawn(loaded), loaded["state"]
    for seed, (offset, orders) in enumerate(steps):
        now = DEMO_END + offset
        as_of = dt.datetime.fromisoformat(state["as_of"])
        feed_at(engine, now, orders, seed=100 + seed)
        tick = tick_overview(engine, cache, filters, state, now)
        assert tick is not None and "reload" not in tick, tick
        fresh = fresh_load(engine, folder, filters, now)
        # Only what changed comes back: tails from the bucket of the last update on.
        assert set(tick) == {"kpis", "spark", "regions", "stream", "mix", "updated_at", "state"}
        grid = fresh["kpis"][0]["spark"]["x"]
        index = len(page["spark"]["revenue"]["x"]) - 1
        for tail in [*tick["spark"].values(), *tick["regions"].values()]:
            assert (tail["index"], tail["size"], tail["x"]) == (index, index + 1, grid[index:])
        rolled = (now.replace(second=0) - as_of.replace(second=0)) // dt.timedelta(minutes=1)
        stream = tick["stream"]
        if rolled < 60:  # the last minute shown and the new ones; as many dropped from the front
            assert (stream["index"], stream["drop_front"]) == (59, rolled)
            assert stream["x"] == fresh["stream"]["x"][-rolled - 1:]
        else:  # nothing shown is still in the last hour: all of it is replaced
            assert (stream["index"], stream["drop_front"], stream["x"]) == (0, 0, fresh["stream"]["x"])
        assert stream["size"] == 60
        page = apply_tick(page, tick)
        assert_matches(page, drawn(fresh) | {"period": page["period"]})
        assert_matches(page, reference(engine, filters, now) | {"period": page["period"]})
        assert tick["updated_at"] == iso(now)
        assert {key: tick["state"][key] for key in ("version", "as_of", "period", "start", "regions",
                                                     "categories")} == \
            {key: fresh["state"][key] for key in ("version", "as_of", "period", "start", "regions",
                                                   "categories")}
        state = tick["state"]
    assert tick_overview(engine, cache, filters, state, DEMO_END + steps[-1][0] + 5 * SECOND) is None


TICK_CASES = {
    "30d": (OverviewFilters(), [(30 * SECOND, 4), (90 * SECOND, 3), (dt.timedelta(hours=2), 2)]),
    "30d-filtered": (OverviewFilters(region=("EMEA", "North America"),
                                     segment=("Consumer", "Small Business")),
                     [(30 * SECOND, 6), (90 * SECOND, 6)]),
    "today-two-regions": (OverviewFilters(period="today", region=("EMEA", "North America")),
                          [(30 * SECOND, 5), (90 * SECOND, 4), (dt.timedelta(minutes=31), 3)]),
    "ytd-bikes-components": (OverviewFilters(period="ytd", category=("Bikes", "Components")),
                             [(30 * SECOND, 8), (90 * SECOND, 8)]),
    "custom-running-past-now": (LOAD_CASES["custom-running-past-now"], [(30 * SECOND, 8), (90 * SECOND, 8)]),
}


@pytest.mark.parametrize(("filters", "steps"), TICK_CASES.values(), ids=TICK_CASES.keys())
def test_tick_tails_patched_onto_the_page_give_exactly_a_fresh_load(engine, cache, tmp_path, filters, steps):
    tick_and_compare(engine, cache, tmp_path, filters, steps)


def test_a_tick_with_no_new_rows_returns_nothing(engine, cache):
    loaded = load_overview(engine, cache, OverviewFilters(), DEMO_END)
    assert tick_overview(engine, cache, OverviewFilters(), loaded["state"], DEMO_END) is None
    assert tick_overview(engine, cache, OverviewFilters(), loaded["state"], DEMO_END + 50 * SECOND) is None


@pytest.mark.parametrize("garbage", [
    None, {}, "state", [], {"version": "x", "as_of": "2026-11-20T15:30:00", "period": "30d",
                            "start": "2026-10-22T00:00:00"},
    {"version": 5000, "as_of": "yesterday", "period": "30d", "start": "2026-10-22T00:00:00"},
    {"version": 5000, "as_of": None, "period": "30d", "start": "2026-10-22T00:00:00"},
    {"version": 5000, "as_of": "2026-11-20T15:30:00", "period": "30d"},
])
def test_a_garbage_state_asks_for_a_reload(engine, cache, garbage):
    assert tick_overview(engine, cache, OverviewFilters(), garbage, DEMO_END) == {"reload": True}


def test_a_state_from_another_period_or_from_the_future_asks_for_a_reload(engine, cache):
    state = load_overview(engine, cache, OverviewFilters(), DEMO_END)["state"]
    feed_at(engine, DEMO_END + 30 * SECOND, 2, seed=1)
    later = DEMO_END + 40 * SECOND
    for other in (OverviewFilters(period="7d"), OverviewFilters(period="ytd"),
                  OverviewFilters(period="custom", start=dt.date(2026, 10, 22), end=dt.date(2026, 11, 20))):
        assert tick_overview(engine, cache, other, state, later) == {"reload": True}
    assert tick_overview(engine, cache, OverviewFilters(), state, DEMO_END - SECOND) == {"reload": True}
    tick = tick_overview(engine, cache, OverviewFilters(), state, later)
    assert tick["state"]["version"] > state["version"]


@pytest.mark.parametrize("period", ["today", "7d", "30d"])
def test_a_tick_the_next_day_asks_for_a_reload(engine, cache, period):
    filters = OverviewFilters(period=period)
    state = load_overview(engine, cache, filters, DEMO_END)["state"]
    tomorrow = dt.datetime(2026, 11, 21, 0, 0, 30)
    feed_at(engine, tomorrow, 2, seed=2)
    assert tick_overview(engine, cache, filters, state, tomorrow) == {"reload": True}


def test_a_tick_that_brings_a_region_not_yet_drawn_asks_for_a_reload(engine, cache):
    filters = OverviewFilters(period="today")
    state = load_overview(engine, cache, filters, DEMO_END)["state"]
    assert state["regions"] == ["EMEA", "North America"]
    feed_at(engine, DEMO_END + 30 * SECOND, 12, seed=3)
    new = rows_in(read_lines(engine), DEMO_END)
    assert set(new["region"]) - {"EMEA", "North America"}
    assert tick_overview(engine, cache, filters, state, DEMO_END + 30 * SECOND) == {"reload": True}


def test_attainment_is_prorated_over_the_first_day_of_a_month(engine, cache):
    # A period that starts at midnight on the 1st: the month's plan must be found and prorated.
    now = dt.datetime(2026, 11, 1, 12, 0)
    with engine.begin() as connection:  # the clock is set back: nothing has been sold after it yet
        connection.execute(sa.delete(OrderLine).where(OrderLine.order_date >= now))
    for period in ("today", "7d", "qtd"):
        filters = OverviewFilters(period=period, region=("EMEA",))
        overview = load_overview(engine, cache, filters, now)
        expected = reference(engine, filters, now)
        assert_matches(drawn(overview), expected)
        assert overview["kpis"][CARDS.index("attainment_pct")]["value"] is not None


@pytest.mark.postgres
def test_on_postgresql_load_and_ticks_equal_pandas_and_a_fresh_load(postgres_engine, cache, tmp_path):
    for filters in (OverviewFilters(period="ytd", region=("EMEA", "LATAM")),
                    OverviewFilters(period="today", segment=("Consumer",)), LOAD_CASES["custom-weeks-latam"]):
        assert_matches(drawn(load_overview(postgres_engine, cache, filters, DEMO_END)),
                       reference(postgres_engine, filters, DEMO_END))
    tick_and_compare(postgres_engine, cache, tmp_path, OverviewFilters(),
                     [(30 * SECOND, 5), (90 * SECOND, 5), (dt.timedelta(minutes=75), 3)])


def test_attainment_is_none_not_nan_in_a_month_the_forecast_does_not_cover(engine, cache):
    # The demo plans three months ahead; a feed running past that writes cells with no forecast.
    now = dt.datetime(2027, 3, 1, 10, 0)
    feed_at(engine, now - dt.timedelta(minutes=5), 6, seed=7)
    filters = OverviewFilters(period="today")
    overview = load_overview(engine, cache, filters, now)
    assert_matches(drawn(overview), reference(engine, filters, now))
    attainment = overview["kpis"][CARDS.index("attainment_pct")]
    assert attainment["value"] is None and attainment["change"] is None
