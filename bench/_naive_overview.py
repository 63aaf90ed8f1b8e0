"""Baseline (a) for bench/live.py: the Overview's numbers the naive way, on every tick.

Reads the raw order lines from the previous period's start (or the last hour, if earlier) into
pandas and aggregates there: KPI cards for the current and previous period, the KPI series, revenue
by region per bucket, the category mix and the last hour per minute. Nothing is cached or reused
between ticks; that is the point of the baseline.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa

from data.models import ForecastMonth, OrderLine
from data.overview import STEPS, prorate
from data.periods import Period

LINES = OrderLine.__table__
COLUMNS = ("id", "order_date", "order_id", "customer_id", "region", "category", "revenue", "gross_profit")
_FLOORS = {"minute": "min", "hour": "h", "day": "D"}


def read_lines(engine: sa.Engine, since: dt.datetime) -> pd.DataFrame:
    """The raw order lines from `since` on, with just the columns the Overview needs."""
    query = sa.select(*[LINES.c[name] for name in COLUMNS]).where(LINES.c.order_date >= since)
    lines = pd.read_sql(query, engine)
    lines["order_date"] = pd.to_datetime(lines["order_date"]).astype("datetime64[us]")
    return lines


def read_plan(engine: sa.Engine, since: dt.datetime) -> dict[dt.datetime, float]:
    """Planned revenue per month from `since`'s month on."""
    table = ForecastMonth.__table__
    query = sa.select(table.c.month, table.c.forecast_revenue).where(
        table.c.month >= since.date().replace(day=1), table.c.forecast_revenue.is_not(None))
    plan = pd.read_sql(query, engine).groupby("month")["forecast_revenue"].sum()
    return {dt.datetime.combine(pd.Timestamp(month).date(), dt.time()): float(value)
            for month, value in plan.items()}


def truncate(times: pd.Series, grain: str) -> pd.Series:
    """Bucket starts for `times` (weeks start on Monday)."""
    if grain in _FLOORS:
        return times.dt.floor(_FLOORS[grain])
    return times.dt.to_period("W-SUN").dt.start_time.astype("datetime64[us]")


def _ratio(top, bottom):
    return None if top is None or not bottom else top / bottom


def measures(lines: pd.DataFrame) -> dict:
    """The sales KPIs over all of `lines`."""
    revenue, profit = float(lines["revenue"].sum()), float(lines["gross_profit"].sum())
    orders = int(lines["order_id"].nunique())
    return {"revenue": revenue, "orders": orders, "aov": _ratio(revenue, orders),
            "margin_pct": _ratio(profit, revenue), "customers": int(lines["customer_id"].nunique())}


def naive_overview(engine: sa.Engine, period: Period, now: dt.datetime) -> dict:
    """Every live number the Overview shows, computed in pandas from raw rows."""
    stream_start = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=59)
    lines = read_lines(engine, min(period.previous_start, stream_start))
    plan = read_plan(engine, period.previous_start)
    times = lines["order_date"]
    current = lines[(times >= period.start) & ((times < period.end) if period.end else True)]
    previous = lines[(times >= period.previous_start) & (times < period.previous_end)]
    kpis = {"current": measures(current), "previous": measures(previous)}
    kpis["current"]["attainment_pct"] = _ratio(kpis["current"]["revenue"],
                                               prorate(plan, period.start, period.end or now))
    kpis["previous"]["attainment_pct"] = _ratio(kpis["previous"]["revenue"],
                                                prorate(plan, period.previous_start, period.previous_end))

    buckets = truncate(current["order_date"], period.grain)
    series = current.groupby(buckets).agg(
        revenue=("revenue", "sum"), profit=("gross_profit", "sum"), orders=("order_id", "nunique"),
        customers=("customer_id", "nunique"))
    series["aov"] = series["revenue"] / series["orders"]
    series["margin_pct"] = series["profit"] / series["revenue"].where(series["revenue"] != 0)
    step = STEPS[period.grain]
    series["attainment_pct"] = [
        _ratio(revenue, prorate(plan, max(bucket.to_pydatetime(), period.start),
                                bucket.to_pydatetime() + step))
        for bucket, revenue in series["revenue"].items()]
    regions = current.groupby([buckets, current["region"]])["revenue"].sum().unstack(fill_value=0.0)
    mix = current.groupby("category")["revenue"].sum()
    recent = lines[times >= stream_start]
    stream = recent.groupby(recent["order_date"].dt.floor("min"))["revenue"].sum()
    return {"kpis": kpis, "series": series, "regions": regions, "mix": mix.to_dict(),
            "stream": stream, "rows_read": len(lines)}
