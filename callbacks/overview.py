"""Overview: filters to URL, first load, light ticks patched in with `dash.Patch`, and the heavy
panels in a background job with progress and cancel.

Ticks pass a gate in the browser (`ov-tick`) that lets one through only when the previous one
has answered (the tick's `running=` flag), so a slow tick is never queued behind. Every data call goes through
`data.overview`; these functions only turn its answers into components and patches.
"""

from __future__ import annotations

import datetime as dt
import logging

import dash
from dash import Input, Output, Patch, State, clientside_callback, no_update

from charts.formatting import format_change, format_value
from charts.overview import forecast_figure, mix_figure, region_figure, sparkline, stream_figure
from components import ids
from components.overview import DEFAULT_RATE, RATES
from context import cache, database
from context import now as clock_now
from data.overview import KPIS, load_overview, tick_overview
from data.overview_filters import OverviewFilters, filter_options, filters_from_json
from data.overview_panels import forecast_vs_actual, top_n
from data.periods import resolve_period

log = logging.getLogger(__name__)
DELTA_CLASS = {True: "pb-kpi-delta pb-delta-good", False: "pb-kpi-delta pb-delta-bad",
               None: "pb-kpi-delta"}


def _filters(data) -> OverviewFilters:
    options = filter_options(database().engine, cache())
    return filters_from_json(data, {name: set(values) for name, values in options.items()})


def _clock(moment: str) -> str:
    return dt.datetime.fromisoformat(moment).strftime("%H:%M:%S UTC")


def _stale(message: str) -> dash.html.Span:
    return dash.html.Span([dash.html.I(className="bi bi-exclamation-triangle me-1"), message],
                          className="badge text-bg-warning", id="ov-stale-badge")


# -- filters live in the URL ---------------------------------------------------------------------

@dash.callback(
    Output(ids.URL, "search"),
    Output(ids.OV_DATES_WRAP, "style"),
    Input(ids.OV_PERIOD, "value"),
    Input(ids.OV_DATES, "start_date"),
    Input(ids.OV_DATES, "end_date"),
    Input(ids.OV_REGION, "value"),
    Input(ids.OV_CATEGORY, "value"),
    Input(ids.OV_SEGMENT, "value"),
    State(ids.OV_FILTERS, "data"),
    prevent_initial_call=True,
)
def filters_to_url(period, start, end, region, category, segment, opened_with):
    """A filter change becomes a new URL; the page is then drawn from the URL (bookmarkable)."""
    dates_style = {} if period == "custom" else {"display": "none"}
    if period == "custom" and not (start and end):
        return no_update, dates_style  # wait for both dates
    chosen = _filters({"period": period, "start": (start or "")[:10] or None,
                       "end": (end or "")[:10] or None,
                       "region": region or [], "category": category or [], "segment": segment or []})
    if chosen.to_query() == _filters(opened_with).to_query():
        return no_update, dates_style
    return chosen.to_query() or "?", dates_style


# -- first load ----------------------------------------------------------------------------------

LOAD_OUTPUTS = [
    *[Output(ids.kpi_value(name), "children") for name in KPIS],
    *[Output(ids.kpi_delta(name), "children") for name in KPIS],
    *[Output(ids.kpi_delta(name), "className") for name in KPIS],
    *[Output(ids.kpi_spark(name), "figure") for name in KPIS],
    Output(ids.OV_STREAM, "figure"), Output(ids.OV_REGIONS, "figure"), Output(ids.OV_MIX, "figure"),
    Output(ids.OV_STATE, "data"), Output(ids.OV_UPDATED, "children"), Output(ids.OV_STALE, "children"),
]


@dash.callback(*LOAD_OUTPUTS, Input(ids.OV_FILTERS, "data"), Input(ids.THEME_STORE, "data"),
               Input(ids.OV_RELOAD, "data"))
def load(filters_data, theme, _reload):
    """Draw every live figure and card afresh for these filters."""
    filters = _filters(filters_data)
    try:
        data = load_overview(database().engine, cache(), filters, clock_now())
    except Exception:
        log.exception("overview load failed")
        return ([no_update] * (len(LOAD_OUTPUTS) - 1)
                + [_stale("Could not load the data. Retrying on the next refresh.")])
    cards = data["kpis"]
    return (
        [format_value(card["value"], card["format"]) for card in cards]
        + [format_change(card["change"]) for card in cards]
        + [DELTA_CLASS[card["good"]] for card in cards]
        + [sparkline(card["spark"]["x"], card["spark"]["y"], card["format"], card["good"], theme)
           for card in cards]
        + [stream_figure(data["stream"]["x"], data["stream"]["y"], theme),
           region_figure(data["regions"]["x"], data["regions"]["traces"], theme),
           mix_figure(data["mix"], theme),
           data["state"], f"Updated {_clock(data['updated_at'])}", ""]
    )


# -- light ticks ---------------------------------------------------------------------------------

clientside_callback(
    """
    function(intervals, busy) {
        // Let a tick through only when the last one has answered. `busy` is set by the tick's
        // own `running=` flag (read as State, so this is no callback cycle); a request that
        // hangs for 30 s no longer holds the page back.
        const gate = window.pulseboardTickGate = window.pulseboardTickGate || {sentAt: 0};
        if (busy && Date.now() - gate.sentAt < 30000) {
            return dash_clientside.no_update;
        }
        gate.sentAt = Date.now();
        return intervals;
    }
    """,
    Output(ids.OV_TICK, "data"),
    Input(ids.OV_INTERVAL, "n_intervals"),
    State(ids.OV_TICK_BUSY, "data"),
    prevent_initial_call=True,
)


def _patch_tail(trace: Patch, tail: dict) -> None:
    """Write a tail into one trace: positions the client holds are replaced, the rest appended."""
    for offset, (x, y) in enumerate(zip(tail["x"], tail["y"], strict=True)):
        position = tail["index"] + offset
        if position < tail["size"]:
            trace["x"][position] = x
            trace["y"][position] = y
        else:
            trace["x"].append(x)
            trace["y"].append(y)


TICK_OUTPUTS = [
    *[Output(ids.kpi_value(name), "children", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_delta(name), "children", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_delta(name), "className", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_spark(name), "figure", allow_duplicate=True) for name in KPIS],
    Output(ids.OV_STREAM, "figure", allow_duplicate=True),
    Output(ids.OV_REGIONS, "figure", allow_duplicate=True),
    Output(ids.OV_MIX, "figure", allow_duplicate=True),
    Output(ids.OV_STATE, "data", allow_duplicate=True),
    Output(ids.OV_UPDATED, "children", allow_duplicate=True),
    Output(ids.OV_STALE, "children", allow_duplicate=True),
    Output(ids.OV_RELOAD, "data", allow_duplicate=True),
]


@dash.callback(*TICK_OUTPUTS, Input(ids.OV_TICK, "data"), State(ids.OV_FILTERS, "data"),
               State(ids.OV_STATE, "data"), State(ids.OV_RELOAD, "data"), prevent_initial_call=True,
               running=[(Output(ids.OV_TICK_BUSY, "data"), True, False)])
def tick(_tick_number, filters_data, state, reload_count):
    """Fetch only what arrived since the state's watermark and patch it into the page."""
    nothing = [no_update] * (len(TICK_OUTPUTS) - 4)
    now = clock_now()
    if not isinstance(state, dict):
        return [*nothing, no_update, no_update, no_update, no_update]
    try:
        filters = _filters(filters_data)
        update = tick_overview(database().engine, cache(), filters, state, now)
    except Exception:
        # Keep what is on screen and say it may be stale; the next good tick clears this.
        log.exception("overview tick failed")
        return [*nothing, no_update, no_update,
                _stale(f"Data may be stale: the refresh at {now:%H:%M:%S} UTC failed"), no_update]
    updated = f"Updated {now:%H:%M:%S} UTC"
    if update is None:
        return [*nothing, no_update, updated, "", no_update]
    if update.get("reload"):
        return [*nothing, no_update, updated, "", (reload_count or 0) + 1]
    cards = update["kpis"]
    sparks = []
    for card in cards:
        spark = Patch()
        _patch_tail(spark["data"][0], update["spark"][card["name"]])
        sparks.append(spark)
    regions = Patch()
    for position, name in enumerate(state.get("regions") or []):
        _patch_tail(regions["data"][position], update["regions"][name])
    stream = Patch()
    _patch_tail(stream["data"][0], update["stream"])
    for _ in range(update["stream"]["drop_front"]):
        del stream["data"][0]["x"][0]
        del stream["data"][0]["y"][0]
    mix = Patch()
    mix["data"][0]["values"] = update["mix"]
    return ([format_value(card["value"], card["format"]) for card in cards]
            + [format_change(card["change"]) for card in cards]
            + [DELTA_CLASS[card["good"]] for card in cards]
            + sparks
            + [stream, regions, mix, update["state"], updated, "", no_update])


# -- refresh rate and pause -------------------------------------------------------------------

@dash.callback(
    Output(ids.OV_INTERVAL, "interval"),
    Output(ids.OV_INTERVAL, "disabled"),
    Output(ids.OV_PAUSE, "children"),
    Input(ids.OV_RATE, "value"),
    Input(ids.OV_PAUSE, "n_clicks"),
)
def refresh_rate(rate, pauses):
    """The chosen rate drives the interval; Pause (and 'Off') stop it until resumed."""
    try:
        milliseconds = int(rate)
    except (TypeError, ValueError):
        milliseconds = DEFAULT_RATE
    if milliseconds not in {ms for _, ms in RATES}:
        milliseconds = DEFAULT_RATE
    paused = bool(pauses) and pauses % 2 == 1
    label = ([dash.html.I(className="bi bi-play-fill me-1"), "Resume"] if paused
             else [dash.html.I(className="bi bi-pause-fill me-1"), "Pause"])
    return max(milliseconds, 1_000), paused or milliseconds == 0, label


# -- heavy panels in a background job ----------------------------------------------------------

@dash.callback(
    Output(ids.OV_FORECAST, "figure"),
    Output(ids.OV_FORECAST_NOTE, "children"),
    Output(ids.OV_TOP_CUSTOMERS, "rowData"),
    Output(ids.OV_TOP_PRODUCTS, "rowData"),
    Output(ids.OV_HEAVY_STATUS, "children"),
    Input(ids.OV_FILTERS, "data"),
    Input(ids.OV_HEAVY_INTERVAL, "n_intervals"),
    Input(ids.THEME_STORE, "data"),
    background=True,
    progress=[Output(ids.OV_PROGRESS, "value"), Output(ids.OV_PROGRESS, "label")],
    running=[(Output(ids.OV_CANCEL, "disabled"), False, True),
             (Output(ids.OV_PROGRESS, "animated"), True, False)],
    cancel=[Input(ids.OV_CANCEL, "n_clicks")],
)
def heavy_panels(set_progress, filters_data, _refresh, theme):
    """Forecast versus actual and the top 10 tables, computed in a background job."""
    filters = _filters(filters_data)
    now = clock_now()
    period = resolve_period(filters.period, now, filters.start, filters.end)
    engine, results = database().engine, cache()
    set_progress((10, "Forecast 1 of 3"))
    plan = forecast_vs_actual(engine, results, filters, period, now)
    set_progress((40, "Customers 2 of 3"))
    customers = top_n(engine, results, filters, period, "customer")
    set_progress((70, "Products 3 of 3"))
    products = top_n(engine, results, filters, period, "product")
    set_progress((100, "Done"))
    figure = forecast_figure(plan["months"], plan["actual"], plan["forecast"], theme)
    return figure, plan["note"], customers, products, f"{period.label} · as of {now:%H:%M:%S} UTC"
