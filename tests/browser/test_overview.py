"""The live Overview in Chromium: new orders show up without a reload, and Pause stops them."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from data.feed import DemoFeed

pytestmark = pytest.mark.browser

STREAM_TOTAL = ("() => { const g = document.querySelector('#ov-stream .js-plotly-plot');"
                " return g && g.data && g.data[0] ? g.data[0].y.reduce((a, b) => a + b, 0) : null; }")


def _ready(page) -> None:
    expect(page.locator("#kv-revenue")).not_to_have_text("…", timeout=20_000)
    page.wait_for_function(f"({STREAM_TOTAL})() !== null")


def test_new_orders_appear_live_and_pause_stops_them(page, live_server, live_database, sign_in_as):
    sign_in_as("viewer", "/")
    _ready(page)
    page.select_option("#ov-rate", "2000")
    feed = DemoFeed(live_database.engine, seed=11)

    revenue = page.inner_text("#kv-revenue")
    stream = page.evaluate(f"({STREAM_TOTAL})()")
    feed.tick(orders=3)
    expect(page.locator("#kv-revenue")).not_to_have_text(revenue, timeout=15_000)
    page.wait_for_function(f"({STREAM_TOTAL})() > {stream}", timeout=15_000)
    expect(page.locator("#ov-updated")).to_contain_text("Updated")
    assert page.url.endswith("/")  # no reload, no navigation

    page.click("#ov-pause")
    expect(page.locator("#ov-pause")).to_have_text("Resume")
    paused_revenue = page.inner_text("#kv-revenue")
    paused_at = page.inner_text("#ov-updated")
    feed.tick(orders=3)
    # Three refresh periods of 2 s pass with the page paused: nothing may change.
    page.wait_for_function("(start) => Date.now() - start > 6500", arg=page.evaluate("Date.now()"),
                           timeout=15_000)
    assert page.inner_text("#kv-revenue") == paused_revenue
    assert page.inner_text("#ov-updated") == paused_at

    page.click("#ov-pause")
    expect(page.locator("#ov-pause")).to_have_text("Pause")
    expect(page.locator("#kv-revenue")).not_to_have_text(paused_revenue, timeout=15_000)


def test_filters_go_into_the_url_and_survive_a_reload(page, live_server, sign_in_as):
    sign_in_as("analyst", "/?period=7d&region=EMEA")
    _ready(page)
    expect(page.locator("#ov-period")).to_have_value("7d")
    expect(page.locator("#ov-region")).to_contain_text("EMEA")
    page.select_option("#ov-period", "today")
    page.wait_for_url(f"{live_server}/?period=today&region=EMEA")
    _ready(page)
    page.reload()
    _ready(page)
    expect(page.locator("#ov-period")).to_have_value("today")
    expect(page.locator("#ov-region")).to_contain_text("EMEA")


def test_heavy_panels_fill_in_from_the_background_job(page, live_server, sign_in_as):
    sign_in_as("viewer", "/")
    expect(page.locator("#ov-top-customers .ag-row")).to_have_count(10, timeout=30_000)
    expect(page.locator("#ov-top-products .ag-row")).to_have_count(10)
    expect(page.locator("#ov-heavy-status")).to_contain_text("as of")
    expect(page.locator("#ov-cancel")).to_be_disabled()
