"""The Overview's callbacks called as plain functions, signed in, on a real seeded database."""

from __future__ import annotations

import datetime as dt

import pytest
from dash import no_update

from callbacks.overview import (
    LOAD_OUTPUTS,
    TICK_OUTPUTS,
    filters_to_url,
    heavy_panels,
    load,
    refresh_rate,
    tick,
)
from charts.formatting import format_value
from context import cache as results
from data.feed import DemoFeed
from data.overview import KPIS, load_overview
from data.overview_filters import OverviewFilters, filters_to_json
from data.overview_panels import top_n
from data.periods import resolve_period
from pages.overview import layout
from tests.conftest import DEMO_END

NOW = DEMO_END + dt.timedelta(minutes=5)  # where the `clock` fixture starts



def _by_output(outputs, values) -> dict:
    return {f"{output.component_id}.{output.component_property}": value
            for output, value in zip(outputs, values, strict=True)}


def _default_filters() -> dict:
    return filters_to_json(OverviewFilters())


def _tick(number: int, loaded: dict, reloads: int = 0):
    """Call the tick callback with the stores the first load left on the page."""
    return tick(number, _default_filters(), loaded["ov-state.data"], loaded["ov-meta.data"], reloads)


def _apply(figure_values: list, payload_tail: dict, appended_x: list) -> list:
    """What assets/js/overview.js does to one trace's y: replace held positions, append the rest."""
    values = list(figure_values)
    for offset, y in enumerate(payload_tail["y"]):
        position = payload_tail["i"] + offset
        if position < payload_tail["n"]:
            values[position] = y
        else:
            values.append(y)
    return values[payload_tail.get("d", 0):]


def test_a_tick_payload_applied_in_the_browser_matches_a_fresh_load(acting_as, clock, database):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        later = NOW + dt.timedelta(minutes=2, seconds=5)  # the stream's minute rolls over twice
        DemoFeed(database.engine, seed=9, clock=lambda: later).tick(orders=4)
        clock(later)
        payload = _by_output(TICK_OUTPUTS, _tick(1, loaded))["ov-tick-data.data"]
        fresh = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
    stream = _apply(list(loaded["ov-stream.figure"].data[0].y), payload["q"], payload["q"]["x"])
    assert stream == pytest.approx(list(fresh["ov-stream.figure"].data[0].y), abs=0.006)
    assert len(stream) == 60 and payload["q"]["d"] == 2
    revenue = _apply(list(loaded["ks-revenue.figure"].data[0].y),
                     {"i": payload["i"], "n": payload["n"], "y": payload["s"][0]}, payload["x"])
    assert revenue == pytest.approx(list(fresh["ks-revenue.figure"].data[0].y), abs=0.006)
    assert [card[0] for card in payload["k"]] == [fresh[f"kv-{name}.children"] for name in KPIS]
    assert payload["m"] == pytest.approx(list(fresh["ov-mix.figure"].data[0].values), abs=0.006)


def test_first_load_shows_every_kpi_as_the_data_layer_computes_it(acting_as, clock, database):
    with acting_as("viewer"):
        result = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        cache = results()
        expected = load_overview(database.engine, cache, OverviewFilters(), NOW)
    for card in expected["kpis"]:
        assert result[f"kv-{card['name']}.children"] == format_value(card["value"], card["format"])
    assert result["kv-revenue.children"].startswith("$")
    stream = result["ov-stream.figure"]
    assert len(stream.data[0].x) == 60 and sum(stream.data[0].y) == pytest.approx(
        sum(expected["stream"]["y"]))
    assert {trace.name for trace in result["ov-regions.figure"].data} == set(expected["regions"]["traces"])
    assert list(result["ov-mix.figure"].data[0].labels) == list(expected["mix"])
    assert result["ov-state.data"]["version"] == expected["state"]["version"]
    assert result["ov-updated.children"] == f"Updated {NOW:%H:%M:%S} UTC"


def test_a_tick_after_new_orders_patches_figures_and_updates_cards(acting_as, clock, database):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        revenue_before = loaded["kv-revenue.children"]
        DemoFeed(database.engine, seed=7, clock=lambda: NOW + dt.timedelta(seconds=30)).tick(orders=5)
        clock(NOW + dt.timedelta(seconds=35))
        result = _by_output(TICK_OUTPUTS, _tick(1, loaded))
    payload = result["ov-tick-data.data"]
    assert payload["k"][0][0] != revenue_before  # the revenue card's new text
    assert len(payload["s"]) == len(KPIS) and len(payload["r"]) == len(loaded["ov-meta.data"]["regions"])
    assert not any(output.component_property == "figure" for output in TICK_OUTPUTS)  # never a figure
    assert result["ov-state.data"]["version"] > loaded["ov-state.data"]["version"]
    assert result["ov-stale.children"] == ""


def test_a_tick_with_nothing_new_changes_nothing_but_the_time(acting_as, clock):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        clock(NOW + dt.timedelta(seconds=5))
        result = _by_output(TICK_OUTPUTS, _tick(4, loaded))
    changed = {key for key, value in result.items() if value is not no_update}
    assert changed == {"ov-updated.children", "ov-stale.children"}


def test_a_failed_tick_keeps_the_page_and_says_it_is_stale_until_the_next_good_one(
        acting_as, clock, database, tmp_path):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        db_file = database.engine.url.database
        database.engine.dispose()
        hidden = tmp_path / "moved-away.db"
        (tmp_path / "pulseboard.db").rename(hidden)  # the database disappears mid-session
        try:
            failed = _by_output(TICK_OUTPUTS, _tick(2, loaded))
        finally:
            database.engine.dispose()
            for leftover in tmp_path.glob("pulseboard.db*"):
                leftover.unlink()
            hidden.rename(db_file)
        DemoFeed(database.engine, seed=3, clock=lambda: NOW + dt.timedelta(seconds=40)).tick(orders=2)
        recovered = _by_output(TICK_OUTPUTS, _tick(3, loaded))
    assert "Data may be stale" in str(failed["ov-stale.children"])
    untouched = {key for key, value in failed.items() if value is no_update}
    assert {"ov-tick-data.data", "ov-state.data"} <= untouched  # nothing on screen changes
    assert recovered["ov-stale.children"] == ""
    assert recovered["ov-tick-data.data"]["k"]


def test_a_new_day_redraws_instead_of_patching(acting_as, clock, database):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        next_day = dt.datetime.combine(NOW.date() + dt.timedelta(days=1), dt.time(0, 1))
        DemoFeed(database.engine, seed=5, clock=lambda: next_day).tick(orders=1)
        clock(next_day)
        result = _by_output(TICK_OUTPUTS, _tick(5, loaded, reloads=7))
    assert result["ov-reload.data"] == 8
    assert result["ov-tick-data.data"] is no_update


def test_forged_state_asks_for_a_redraw_rather_than_failing(acting_as, clock):
    with acting_as("viewer"):
        loaded = _by_output(LOAD_OUTPUTS, load(_default_filters(), "light", 0))
        result = _by_output(TICK_OUTPUTS, tick(1, _default_filters(), {"version": "x; DROP", "as_of": 3},
                                               loaded["ov-meta.data"], 0))
    assert result["ov-reload.data"] == 1
    assert result["ov-stale.children"] == ""


def test_filters_are_read_from_the_url_and_unknown_values_dropped(acting_as, clock):
    with acting_as("analyst"):
        page = layout(period="7d", region="EMEA,Atlantis", segment="Corporate' OR 1=1--")
    store = next(component for component in page if getattr(component, "id", None) == "ov-filters")
    assert store.data["period"] == "7d"
    assert store.data["region"] == ("EMEA",)
    assert store.data["segment"] == ()


def test_changing_a_filter_writes_a_canonical_url(acting_as, clock):
    with acting_as("analyst"):
        search, dates_style = filters_to_url("7d", None, None, ["LATAM", "EMEA"], [], [],
                                             _default_filters())
        same, _ = filters_to_url("30d", None, None, [], [], [], _default_filters())
        waiting, shown = filters_to_url("custom", "2026-11-01", None, [], [], [], _default_filters())
    assert search == "?period=7d&region=EMEA,LATAM"
    assert dates_style == {"display": "none"}
    assert same is no_update
    assert waiting is no_update and shown == {}


def test_pause_and_off_stop_the_interval_and_resume_restarts_it():
    assert refresh_rate("2000", 0)[:2] == (2000, False)
    assert refresh_rate("2000", 1)[:2] == (2000, True)
    assert refresh_rate("2000", 2)[:2] == (2000, False)
    assert refresh_rate("0", 0)[1] is True
    assert refresh_rate("999999", 0)[:2] == (5000, False)  # a forged rate falls back


def test_heavy_panels_report_progress_and_show_the_top_tens(acting_as, clock, database):
    progress = []
    with acting_as("viewer"):
        figure, note, customers, products, status = heavy_panels(progress.append,
                                                                 _default_filters(), 0, "dark")
        cache = results()
        period = resolve_period("30d", NOW)
        expected = top_n(database.engine, cache, OverviewFilters(), period, "customer")
    assert [step[0] for step in progress] == [10, 40, 70, 100]
    assert customers == expected and len(customers) == 10 and len(products) == 10
    assert customers[0]["revenue"] >= customers[-1]["revenue"]
    assert note is None and {trace.name for trace in figure.data} == {"Actual", "Forecast"}
    assert status.startswith("Last 30 days")


def test_heavy_panels_explain_that_the_plan_has_no_segments(acting_as, clock):
    filters = filters_to_json(OverviewFilters(segment=("Corporate",)))
    with acting_as("viewer"):
        _, note, customers, _, _ = heavy_panels(lambda _: None, filters, 0, "light")
    assert "not by segment" in note
    assert customers  # the tables still honour the segment


def test_attainment_says_why_it_is_blank_under_a_segment_filter(acting_as, clock):
    filters = filters_to_json(OverviewFilters(segment=("Consumer",)))
    with acting_as("viewer"):
        result = _by_output(LOAD_OUTPUTS, load(filters, "light", 0))
    assert result["kv-attainment_pct.children"] == "—"
    assert result["kd-attainment_pct.children"] == "No plan by segment"
    assert result["kd-revenue.children"].startswith(("▲", "▼", "■"))
