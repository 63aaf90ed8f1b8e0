"""The Overview's numbers: `load_overview` for a first render, `tick_overview` for each light tick.

Every series lies on a fixed grid of buckets (the period's hours, days or weeks; the stream's
last 60 minutes), zero-filled, so a point's index follows from its time. The live state is then
tiny (data version, time of the last update, base anchors), and a tick returns only *tails*:
new values from a given index on, which the page patches into its figures. No Dash here.
"""

from __future__ import annotations

import calendar
import datetime as dt

import pandas as pd
from sqlalchemy import Engine

from data.cache import ResultCache
from data.datasets import FORECAST, SALES
from data.live import Anchor, Window, bucket_series, data_version, live_measures
from data.overview_filters import OverviewFilters
from data.periods import Period, month_start, resolve_period
from data.query import QuerySpec, run_query

KPIS = ("revenue", "orders", "aov", "margin_pct", "attainment_pct", "customers")
SALES_KPIS = ("revenue", "orders", "aov", "margin_pct", "customers")
STREAM_MINUTES = 60
NO_PLAN_BY_SEGMENT = "No plan by segment"  # the forecast is planned by region and category only
STEPS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1),
         "day": dt.timedelta(days=1), "week": dt.timedelta(days=7)}


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def floor_bucket(moment: dt.datetime, grain: str) -> dt.datetime:
    """The start of `moment`'s bucket, as the SQL time buckets compute it (weeks from Monday)."""
    if grain == "minute":
        return moment.replace(second=0, microsecond=0)
    if grain == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - dt.timedelta(days=day.weekday()) if grain == "week" else day


def bucket_grid(first: dt.datetime, last: dt.datetime, grain: str) -> list[dt.datetime]:
    """Bucket starts from `first`'s bucket to `last`'s bucket, inclusive."""
    step, moment, end = STEPS[grain], floor_bucket(first, grain), floor_bucket(last, grain)
    grid = []
    while moment <= end:
        grid.append(moment)
        moment += step
    return grid


def _latest(period: Period, now: dt.datetime) -> dt.datetime:
    """The last moment the period's grid reaches: now, or the end of a closed period, and never
    before its start (a range in the future still has its first bucket, empty)."""
    latest = min(now, period.end - dt.timedelta(microseconds=1)) if period.end else now
    return max(latest, period.start)


def forecast_by_month(engine: Engine, cache: ResultCache, filters: OverviewFilters,
                      start: dt.datetime, end: dt.datetime) -> dict[dt.datetime, float] | None:
    """Planned revenue per month overlapping [start, end); None with a segment filter (the plan
    has no segments). Whole months are fetched and cached for five minutes: the plan changes
    at most monthly, and the live ticks ask for it twice each."""
    if filters.segment:
        return None
    after_last = month_start(end - dt.timedelta(microseconds=1), 1)
    spec = QuerySpec("forecast", ("forecast_revenue",), time_grain="month", start=month_start(start),
                     end=after_last, filters=filters.forecast_filters())

    def fetch() -> dict[dt.datetime, float]:
        # A month whose cells all lack a forecast sums to NULL, which the frame holds as NaN.
        return {row.bucket.to_pydatetime(): row.forecast_revenue
                for row in run_query(engine, spec).itertuples() if pd.notna(row.forecast_revenue)}

    return cache.get_or_compute(f"plan:{spec.key()}", fetch, ttl=300)


def prorate(plan: dict[dt.datetime, float] | None, start: dt.datetime, end: dt.datetime) -> float | None:
    """The plan for [start, end): each month's forecast times the share of the month inside it."""
    if not plan or end <= start:
        return None
    total, covered = 0.0, False
    for first_day, value in plan.items():
        days = calendar.monthrange(first_day.year, first_day.month)[1]
        month_end = first_day + dt.timedelta(days=days)
        overlap = (min(end, month_end) - max(start, first_day)).total_seconds()
        if overlap > 0:
            total += value * overlap / (days * 86400)
            covered = True
    return total if covered else None


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return None if top is None or not bottom else top / bottom


def _kpis(engine, cache, filters: OverviewFilters, period: Period, now: dt.datetime, version: int,
          anchors: dict) -> tuple[list[dict], dict]:
    """KPI cards: value, previous comparable value, change, and whether the change is good."""
    found = filters.query_filters()
    current, current_anchor = live_measures(
        engine, cache, SALES, SALES_KPIS, Window(period.start, period.end), found, version,
        Anchor.from_json(anchors.get("current")))
    previous, previous_anchor = live_measures(
        engine, cache, SALES, SALES_KPIS, Window(period.previous_start, period.previous_end), found,
        version, Anchor.from_json(anchors.get("previous")))
    plan = forecast_by_month(engine, cache, filters, period.previous_start, period.end or now)
    current["attainment_pct"] = _ratio(current["revenue"], prorate(plan, period.start, period.end or now))
    previous["attainment_pct"] = _ratio(previous["revenue"],
                                        prorate(plan, period.previous_start, period.previous_end))
    cards = []
    for name in KPIS:
        measure = (FORECAST if name == "attainment_pct" else SALES).measure(name)
        change = _ratio(None if current[name] is None or previous[name] is None
                        else current[name] - previous[name], abs(previous[name] or 0))
        good = None if not change else (change > 0) == measure.higher_is_better
        note = NO_PLAN_BY_SEGMENT if name == "attainment_pct" and plan is None else None
        cards.append({"name": name, "label": measure.label, "format": measure.format,
                      "value": current[name], "previous": previous[name], "change": change,
                      "good": good, "note": note})
    return cards, {"current": current_anchor.to_json(), "previous": previous_anchor.to_json()}


def _kpi_series(engine, cache, filters, period: Period, grid: list[dt.datetime], version: int,
                now: dt.datetime) -> dict:
    """Each KPI's value per bucket of `grid` (a suffix of the period's grid)."""
    # The first bucket may start before the period (a week from its Monday): count the period only.
    window = Window(max(grid[0], period.start), period.end)
    points = {p["bucket"]: p for p in bucket_series(engine, SALES, SALES_KPIS, period.grain, window,
                                                    filters.query_filters(), version)}
    plan = forecast_by_month(engine, cache, filters, grid[0], grid[-1] + STEPS[period.grain])
    series = {name: [] for name in KPIS}
    for bucket in grid:
        point = points.get(bucket, {})
        for name in SALES_KPIS:
            # An empty bucket sold nothing (0), but has no margin or average (None).
            series[name].append(point.get(name, None if SALES.measure(name).is_ratio else 0))
        # The plan for the bucket's part of the period, which runs to now when it is open,
        # as the KPI card's attainment does.
        bucket_end = min(bucket + STEPS[period.grain], period.end or now)
        planned = prorate(plan, max(bucket, period.start), bucket_end)
        series["attainment_pct"].append(_ratio(point.get("revenue", 0), planned))
    return series


def _revenue_on_grid(engine, filters, grain: str, grid: list[dt.datetime], end: dt.datetime | None,
                     version: int, by: str | None = None, start: dt.datetime | None = None) -> dict:
    """Revenue per bucket of `grid`, zero-filled; per value of `by` when given, else under None.

    Rows before `start` are left out even when the first bucket begins earlier.
    """
    window = Window(grid[0] if start is None else max(grid[0], start), end)
    points = bucket_series(engine, SALES, ("revenue",), grain, window, filters.query_filters(), version,
                           by=by)
    values: dict = {}
    for point in points:
        values.setdefault(point.get("by"), {})[point["bucket"]] = point["revenue"]
    return {key: [by_bucket.get(bucket, 0.0) for bucket in grid] for key, by_bucket in values.items()}


def _mix(engine, cache: ResultCache, filters, period: Period, base_id: int, version: int) -> dict:
    """Revenue by category: a cached base plus what arrived since (sums add exactly)."""
    def spec(**bounds) -> QuerySpec:
        return QuerySpec("sales", ("revenue",), ("category",), start=period.start, end=period.end,
                         filters=filters.query_filters(), **bounds)

    base = cache.get_or_compute(f"mix:{spec().key()}:{base_id}", lambda: {
        row.category: row.revenue for row in run_query(engine, spec(upto_id=base_id)).itertuples()})
    mix = dict(base)
    if version > base_id:
        for row in run_query(engine, spec(after_id=base_id, upto_id=version)).itertuples():
            mix[row.category] = mix.get(row.category, 0.0) + row.revenue
    return dict(sorted(mix.items()))


def _stream_grid(now: dt.datetime) -> list[dt.datetime]:
    last = floor_bucket(now, "minute")
    return [last - dt.timedelta(minutes=STREAM_MINUTES - 1 - i) for i in range(STREAM_MINUTES)]


def _stream_tail(engine, filters, as_of: dt.datetime, now: dt.datetime, version: int) -> dict:
    """The stream's update: the last shown minute refreshed, newer minutes appended, and as
    many dropped from the front, so it always shows the last hour."""
    grid = _stream_grid(now)
    last_shown = floor_bucket(as_of, "minute")
    if last_shown < grid[0]:  # the page slept for over an hour: replace everything
        part, index, drop = grid, 0, 0
    else:
        part = [bucket for bucket in grid if bucket >= last_shown]
        index, drop = STREAM_MINUTES - 1, len(part) - 1
    values = _revenue_on_grid(engine, filters, "minute", part, None, version).get(None)
    return {"index": index, "size": STREAM_MINUTES, "x": [_iso(b) for b in part],
            "y": values or [0.0] * len(part), "drop_front": drop}


def load_overview(engine: Engine, cache: ResultCache, filters: OverviewFilters,
                  now: dt.datetime) -> dict:
    """Everything the Overview draws first, and the live state its ticks continue from."""
    period = resolve_period(filters.period, now, filters.start, filters.end)
    version = data_version(engine, SALES)
    kpis, anchors = _kpis(engine, cache, filters, period, now, version, {})
    grid = bucket_grid(period.start, _latest(period, now), period.grain)
    series = _kpi_series(engine, cache, filters, period, grid, version, now)
    for card in kpis:
        card["spark"] = {"x": [_iso(b) for b in grid], "y": series[card["name"]]}
    stream_grid = _stream_grid(now)
    stream = _revenue_on_grid(engine, filters, "minute", stream_grid, None, version).get(None)
    regions = _revenue_on_grid(engine, filters, period.grain, grid, period.end, version, by="region",
                               start=period.start)
    mix = _mix(engine, cache, filters, period, anchors["current"]["base_id"], version)
    state = {"version": version, "as_of": _iso(now), "period": period.key,
             "start": _iso(period.start), "anchors": anchors, "regions": sorted(regions),
             "categories": list(mix)}
    return {
        "period": {"key": period.key, "label": period.label, "grain": period.grain,
                   "start": _iso(period.start), "end": _iso(period.end) if period.end else None},
        "kpis": kpis,
        "stream": {"x": [_iso(b) for b in stream_grid], "y": stream or [0.0] * STREAM_MINUTES},
        "regions": {"x": [_iso(b) for b in grid], "traces": dict(sorted(regions.items()))},
        "mix": mix,
        "updated_at": _iso(now),
        "state": state,
    }


def tick_overview(engine: Engine, cache: ResultCache, filters: OverviewFilters, state: dict,
                  now: dt.datetime) -> dict | None:
    """What changed since `state`: None when nothing arrived; `{"reload": True}` when the page
    must be drawn afresh (a new day started a new window, a new region or category appeared, or
    the state is unusable); otherwise KPI values, series tails and the new state.

    A tail `{"index": i, "size": n, "x": [...], "y": [...]}` is written from position i on into
    a series that holds n points: positions below n are replaced, the rest appended. The
    stream's tail then says how many points to drop from the front (`drop_front`).
    """
    period = resolve_period(filters.period, now, filters.start, filters.end)
    try:
        known_version, as_of = int(state["version"]), dt.datetime.fromisoformat(state["as_of"])
        if state["period"] != period.key or state["start"] != _iso(period.start) or as_of > now:
            return {"reload": True}
    except (KeyError, TypeError, ValueError):
        return {"reload": True}
    version = data_version(engine, SALES)
    if version == known_version:
        return None
    kpis, anchors = _kpis(engine, cache, filters, period, now, version, state.get("anchors") or {})
    full_grid = bucket_grid(period.start, _latest(period, now), period.grain)
    index = len(bucket_grid(period.start, _latest(period, as_of), period.grain)) - 1
    tail_grid = full_grid[index:]
    series = _kpi_series(engine, cache, filters, period, tail_grid, version, now)
    regions = _revenue_on_grid(engine, filters, period.grain, tail_grid, period.end, version, by="region",
                               start=period.start)
    mix = _mix(engine, cache, filters, period, anchors["current"]["base_id"], version)
    if set(regions) - set(state.get("regions") or []) or list(mix) != state.get("categories"):
        return {"reload": True}
    tail_x = [_iso(b) for b in tail_grid]
    return {
        "kpis": kpis,
        "spark": {name: {"index": index, "size": index + 1, "x": tail_x, "y": values}
                  for name, values in series.items()},
        "regions": {name: {"index": index, "size": index + 1, "x": tail_x,
                           "y": regions.get(name, [0.0] * len(tail_grid))}
                    for name in state.get("regions") or []},
        "stream": _stream_tail(engine, filters, as_of, now, version),
        "mix": list(mix.values()),
        "updated_at": _iso(now),
        "state": dict(state, version=version, as_of=_iso(now), anchors=anchors),
    }
