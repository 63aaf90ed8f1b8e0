"""The Overview's heavy panels: forecast versus actual by month, and the top customers and products.

They scan the whole period, so they run in background jobs; results are cached by data version.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from data.cache import ResultCache
from data.datasets import SALES
from data.live import data_version
from data.overview_filters import OverviewFilters
from data.periods import Period, month_start
from data.query import QuerySpec, run_query

TOP_N = 10
HISTORY_MONTHS = 12
HORIZON_MONTHS = 3


def forecast_vs_actual(engine: Engine, cache: ResultCache, filters: OverviewFilters,
                       period: Period, now: dt.datetime) -> dict:
    """Monthly actual and forecast from the period's start (at least a year back) to the plan's
    horizon, with variance. The plan has no segments, so a segment filter gets a note instead."""
    if filters.segment:
        return {"months": [], "actual": [], "forecast": [], "variance": [],
                "note": "The forecast is planned by region and category, not by segment."}
    first = min(month_start(period.start), month_start(now, -(HISTORY_MONTHS - 1)))
    spec = QuerySpec("forecast", ("actual_revenue", "forecast_revenue"), time_grain="month",
                     start=first, end=month_start(now, HORIZON_MONTHS + 1),
                     filters=filters.forecast_filters())
    version = data_version(engine, SALES)  # the feed updates actuals with every order it writes
    frame = cache.get_or_compute(f"panel:{spec.key()}:{version}", lambda: run_query(engine, spec))
    months = [m.isoformat() for m in frame["bucket"].dt.to_pydatetime()]
    actual = [None if month_start(m) > month_start(now) else float(v)
              for m, v in zip(frame["bucket"].dt.to_pydatetime(), frame["actual_revenue"], strict=True)]
    forecast = [None if v is None or v != v else float(v) for v in frame["forecast_revenue"]]
    variance = [None if a is None or not f else (a - f) / f for a, f in zip(actual, forecast, strict=True)]
    return {"months": months, "actual": actual, "forecast": forecast, "variance": variance, "note": None}


def top_n(engine: Engine, cache: ResultCache, filters: OverviewFilters, period: Period,
          by: str, limit: int = TOP_N) -> list[dict]:
    """The `limit` customers or products with the most revenue in the period, with their orders,
    units and margin."""
    spec = QuerySpec("sales", ("revenue", "orders", "units", "margin_pct"), (by,),
                     start=period.start, end=period.end, filters=filters.query_filters(),
                     order_by=(("revenue", True),), limit=limit)
    version = data_version(engine, SALES)
    frame = cache.get_or_compute(f"panel:{spec.key()}:{version}", lambda: run_query(engine, spec))
    return [{"name": row[by], "revenue": float(row["revenue"]), "orders": int(row["orders"]),
             "units": int(row["units"]),
             "margin_pct": None if row["margin_pct"] != row["margin_pct"] else float(row["margin_pct"])}
            for row in frame.to_dict("records")]
