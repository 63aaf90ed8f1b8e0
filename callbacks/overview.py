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
from dash import ClientsideFunction, Input, Output, State, clientside_callback, no_update

from background import status_line_on_failure
from charts.formatting import format_change, format_value
from charts.overview import (
    colour_map,
    forecast_figure,
    mix_figure,
    region_figure,
    sparkline,
    stream_figure,
)
from components import ids
from components.overview import DEFAULT_RATE, RATES
from context import cache, database
from context import now as clock_now
from data.overview import KPIS, load_overview, tick_overview
from data.overview_filters import OverviewFilters, filter_options, filters_from_json
from data.overview_panels import forecast_vs_actual, top_n
from data.periods import resolve_period

log = logging.getLogger(__name__)
# A card's change is good (1), bad (0) or neither (-1); the browser gets this map once.
DELTA_CLASS = {1: "pb-kpi-delta pb-delta-good", 0: "pb-kpi-delta pb-delta-bad", -1: "pb-kpi-delta"}


def filter_choices() -> dict[str, list[str]]:
    """The values each Overview filter offers (cached by data version)."""
    return filter_options(database().engine, cache())


def filters_in(data, options: dict[str, list[str]]) -> OverviewFilters:
    """The filters `data` (the URL's, as a store holds them) asks for, within `options`."""
    return filters_from_json(data, {name: set(values) for name, values in options.items()})


def _flag(good: bool | None) -> int:
    return -1 if good is None else int(good)


def _change_text(card: dict) -> str:
    """The change line of a card, or the reason it has none (forecast attainment by segment)."""
    return card.get("note") or format_change(card["change"])


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
    options = filter_choices()
    chosen = filters_in({"period": period, "start": (start or "")[:10] or None,
                       "end": (end or "")[:10] or None, "region": region or [],
                       "category": category or [], "segment": segment or []}, options)
    if chosen.to_query() == filters_in(opened_with, options).to_query():
        return no_update, dates_style
    return chosen.to_query() or "?", dates_style


# -- first load ----------------------------------------------------------------------------------

LOAD_OUTPUTS = [
    *[Output(ids.kpi_value(name), "children") for name in KPIS],
    *[Output(ids.kpi_delta(name), "children") for name in KPIS],
    *[Output(ids.kpi_delta(name), "className") for name in KPIS],
    *[Output(ids.kpi_spark(name), "figure") for name in KPIS],
    Output(ids.OV_STREAM, "figure"), Output(ids.OV_REGIONS, "figure"), Output(ids.OV_MIX, "figure"),
    Output(ids.OV_STATE, "data"), Output(ids.OV_META, "data"), Output(ids.OV_UPDATED, "children"),
    Output(ids.OV_STALE, "children"),
]
# The state a tick changes travels each tick; what the first load fixed stays in the meta store.
LIVE_KEYS = ("version", "as_of", "anchors")
STATIC_KEYS = ("period", "start", "regions", "categories")


@dash.callback(*LOAD_OUTPUTS, Input(ids.OV_FILTERS, "data"), Input(ids.THEME_STORE, "data"),
               Input(ids.OV_RELOAD, "data"))
def load(filters_data, theme, _reload):
    """Draw every live figure and card afresh for these filters."""
    options = filter_choices()
    filters = filters_in(filters_data, options)
    try:
        data = load_overview(database().engine, cache(), filters, clock_now())
    except Exception:
        log.exception("overview load failed")
        return ([no_update] * (len(LOAD_OUTPUTS) - 1)
                + [_stale("Could not load the data. Retrying on the next refresh.")])
    cards = data["kpis"]
    return (
        [format_value(card["value"], card["format"]) for card in cards]
        + [_change_text(card) for card in cards]
        + [DELTA_CLASS[_flag(card["good"])] for card in cards]
        + [sparkline(card["spark"]["x"], card["spark"]["y"], card["format"], card["good"], theme)
           for card in cards]
        + [stream_figure(data["stream"]["x"], data["stream"]["y"], theme),
           region_figure(data["regions"]["x"], data["regions"]["traces"], theme,
                         colour_map(options["region"])),
           mix_figure(data["mix"], theme, colour_map(options["category"])),
           {key: data["state"][key] for key in LIVE_KEYS},
           {**{key: data["state"][key] for key in STATIC_KEYS}, "kpis": list(KPIS),
            "classes": {str(flag): name for flag, name in DELTA_CLASS.items()}},
           f"Updated {_clock(data['updated_at'])}", ""]
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


def _rounded(values: list, kind: str) -> list:
    """Values as the figures show them: cents for money, whole units, 6 places for ratios."""
    places = {"currency": 2, "integer": 0, "percent": 6}.get(kind, 4)
    return [None if v is None else (round(v) if places == 0 else round(v, places)) for v in values]


def _appended_x(tail: dict) -> list:
    """x values the client lacks: those past its last point, or all of them on a full replace."""
    if tail["index"] == 0 and len(tail["x"]) >= tail["size"]:
        return tail["x"]
    return tail["x"][tail["size"] - tail["index"]:]


def compact_tick(update: dict, regions: list[str]) -> dict:
    """What a tick sends: card texts formatted here, and series tails as bare numbers, which
    `assets/js/overview.js` writes into the figures with dash_clientside.Patch."""
    cards = update["kpis"]
    first = update["spark"][cards[0]["name"]]
    stream = update["stream"]
    return {
        "k": [[format_value(c["value"], c["format"]), _change_text(c), _flag(c["good"])]
              for c in cards],
        "i": first["index"], "n": first["size"], "x": _appended_x(first),
        "s": [_rounded(update["spark"][c["name"]]["y"], c["format"]) for c in cards],
        "r": [_rounded(update["regions"][name]["y"], "currency") for name in regions],
        "m": _rounded(update["mix"], "currency"),
        "q": {"i": stream["index"], "n": stream["size"], "d": stream["drop_front"],
              "x": _appended_x(stream), "y": _rounded(stream["y"], "currency")},
    }


TICK_OUTPUTS = [
    Output(ids.OV_TICK_DATA, "data"),
    Output(ids.OV_STATE, "data", allow_duplicate=True),
    Output(ids.OV_UPDATED, "children", allow_duplicate=True),
    Output(ids.OV_STALE, "children", allow_duplicate=True),
    Output(ids.OV_RELOAD, "data", allow_duplicate=True),
]


@dash.callback(*TICK_OUTPUTS, Input(ids.OV_TICK, "data"), State(ids.OV_FILTERS, "data"),
               State(ids.OV_STATE, "data"), State(ids.OV_META, "data"), State(ids.OV_RELOAD, "data"),
               prevent_initial_call=True, running=[(Output(ids.OV_TICK_BUSY, "data"), True, False)])
def tick(_tick_number, filters_data, live_state, meta, reload_count):
    """Fetch only what arrived since the state's watermark; send it as a compact payload."""
    now = clock_now()
    if not isinstance(live_state, dict) or not isinstance(meta, dict):
        return no_update, no_update, no_update, no_update, no_update
    state = {**{key: meta.get(key) for key in STATIC_KEYS}, **live_state}
    try:
        filters = filters_in(filters_data, filter_choices())
        update = tick_overview(database().engine, cache(), filters, state, now)
    except Exception:
        # Keep what is on screen and say it may be stale; the next good tick clears this.
        log.exception("overview tick failed")
        return (no_update, no_update, no_update,
                _stale(f"Data may be stale: the refresh at {now:%H:%M:%S} UTC failed"), no_update)
    updated = f"Updated {now:%H:%M:%S} UTC"
    if update is None:
        return no_update, no_update, updated, "", no_update
    if update.get("reload"):
        return no_update, no_update, updated, "", (reload_count or 0) + 1
    live = {key: update["state"][key] for key in LIVE_KEYS}
    return compact_tick(update, meta.get("regions") or []), live, updated, "", no_update


APPLY_OUTPUTS = [
    *[Output(ids.kpi_value(name), "children", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_delta(name), "children", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_delta(name), "className", allow_duplicate=True) for name in KPIS],
    *[Output(ids.kpi_spark(name), "figure", allow_duplicate=True) for name in KPIS],
    Output(ids.OV_STREAM, "figure", allow_duplicate=True),
    Output(ids.OV_REGIONS, "figure", allow_duplicate=True),
    Output(ids.OV_MIX, "figure", allow_duplicate=True),
]
clientside_callback(
    ClientsideFunction(namespace="pulseboard", function_name="applyTick"),
    *APPLY_OUTPUTS,
    Input(ids.OV_TICK_DATA, "data"),
    State(ids.OV_META, "data"),
    prevent_initial_call=True,
)


# -- refresh rate and pause -------------------------------------------------------------------

@dash.callback(
    Output(ids.OV_INTERVAL, "interval"),
    Output(ids.OV_INTERVAL, "disabled"),
    Output(ids.OV_PAUSE, "children"),
    Output(ids.OV_PAUSE, "disabled"),
    Output(ids.OV_UPDATED, "children", allow_duplicate=True),
    Input(ids.OV_RATE, "value"),
    Input(ids.OV_PAUSE, "n_clicks"),
    prevent_initial_call="initial_duplicate",
)
def refresh_rate(rate, pauses):
    """The chosen rate drives the interval; Pause (and 'Off') stop it until resumed."""
    try:
        milliseconds = int(rate)
    except (TypeError, ValueError):
        milliseconds = DEFAULT_RATE
    if milliseconds not in {ms for _, ms in RATES}:
        milliseconds = DEFAULT_RATE
    off = milliseconds == 0
    paused = bool(pauses) and pauses % 2 == 1 and not off
    label = ([dash.html.I(className="bi bi-play-fill me-1"), "Resume"] if paused
             else [dash.html.I(className="bi bi-pause-fill me-1"), "Pause"])
    status = "Paused" if paused else "Live refresh off" if off else no_update
    return max(milliseconds, 1_000), paused or off, label, off, status


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
    on_error=status_line_on_failure(ids.OV_HEAVY_STATUS),
)
def heavy_panels(set_progress, filters_data, _refresh, theme):
    """Forecast versus actual and the top 10 tables, computed in a background job."""
    try:
        filters = filters_in(filters_data, filter_choices())
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
    except Exception:
        log.exception("overview heavy panels failed")
        return (no_update, no_update, no_update, no_update,
                _stale("These panels could not be computed; they will retry at the next refresh."))
    figure = forecast_figure(plan["months"], plan["actual"], plan["forecast"], theme)
    return figure, plan["note"], customers, products, f"{period.label} · as of {now:%H:%M:%S} UTC"
