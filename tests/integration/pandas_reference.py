"""Independent pandas references for the sales and forecast numbers: raw rows in, expected values out.

Nothing here uses the app's query builder or live aggregates; the tests compare the app's SQL
answers with these, computed from every raw row.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers

import pandas as pd
import pytest
import sqlalchemy as sa

SALES_MEASURES = ("revenue", "orders", "units", "gross_profit", "margin_pct", "aov", "customers")
RATIO_MEASURES = ("margin_pct", "aov")
_FLOORS = {"minute": "min", "hour": "h", "day": "D"}
_PERIODS = {"week": "W-SUN", "month": "M", "quarter": "Q", "year": "Y"}  # W-SUN: weeks end on Sunday
STEPS = {"minute": pd.Timedelta(minutes=1), "hour": pd.Timedelta(hours=1), "day": pd.Timedelta(days=1),
         "week": pd.Timedelta(days=7)}


def read_lines(engine: sa.Engine) -> pd.DataFrame:
    """Every order line, `order_date` as datetime64[us]."""
    lines = pd.read_sql("SELECT * FROM order_lines", engine)
    lines["order_date"] = pd.to_datetime(lines["order_date"]).astype("datetime64[us]")
    return lines


def read_forecast(engine: sa.Engine) -> pd.DataFrame:
    """Every forecast cell, `month` as datetime64[us]."""
    forecast = pd.read_sql("SELECT * FROM forecast", engine)
    forecast["month"] = pd.to_datetime(forecast["month"]).astype("datetime64[us]")
    return forecast


def truncate(times: pd.Series, grain: str) -> pd.Series:
    """pandas' own truncation of `times` to the start of their `grain` (weeks start on Monday)."""
    if grain in _FLOORS:
        return times.dt.floor(_FLOORS[grain])
    return times.dt.to_period(_PERIODS[grain]).dt.start_time.astype("datetime64[us]")


def rows_in(lines: pd.DataFrame, start: dt.datetime | None = None, end: dt.datetime | None = None,
            where: dict[str, list] | None = None, upto_id: int | None = None) -> pd.DataFrame:
    """Lines with `start <= order_date < end`, each `where` column in its values, id <= `upto_id`."""
    keep = pd.Series(True, index=lines.index)
    if start is not None:
        keep &= lines["order_date"] >= start
    if end is not None:
        keep &= lines["order_date"] < end
    for column, values in (where or {}).items():
        keep &= lines[column].isin(values)
    if upto_id is not None:
        keep &= lines["id"] <= upto_id
    return lines[keep]


def ratio(top: float | None, bottom: float | None) -> float | None:
    """`top / bottom`, None over zero or missing values."""
    return None if top is None or not bottom else top / bottom


def _finish(revenue, orders, units, gross_profit, customers) -> dict:
    """The seven sales measures from their plain parts."""
    values = {"revenue": float(revenue), "orders": int(orders), "units": int(units),
              "gross_profit": float(gross_profit), "customers": int(customers)}
    values["margin_pct"] = ratio(values["gross_profit"], values["revenue"])
    values["aov"] = ratio(values["revenue"], values["orders"])
    return values


def measures_of(lines: pd.DataFrame) -> dict:
    """Every sales measure over all of `lines` (sums of nothing are 0, ratios over 0 None)."""
    return _finish(lines["revenue"].sum(), lines["order_id"].nunique(), lines["quantity"].sum(),
                   lines["gross_profit"].sum(), lines["customer_id"].nunique())


def measures_by(lines: pd.DataFrame, keys: list[str] | list[pd.Series]) -> dict[tuple, dict]:
    """Every sales measure per group of `keys`, keyed by a tuple of the group's key values."""
    table = lines.groupby(keys).agg(
        revenue=("revenue", "sum"), orders=("order_id", "nunique"), units=("quantity", "sum"),
        gross_profit=("gross_profit", "sum"), customers=("customer_id", "nunique"))
    return {tuple(plain(part) for part in (key if isinstance(key, tuple) else (key,))): _finish(*values)
            for key, values in zip(table.index, table.itertuples(index=False), strict=True)}


def bucket_grid(first: dt.datetime, last: dt.datetime, grain: str) -> list[dt.datetime]:
    """Bucket starts from `first`'s bucket to `last`'s bucket inclusive, by pandas truncation."""
    first_bucket, last_bucket = truncate(pd.Series([first, last]).astype("datetime64[us]"), grain)
    return [moment.to_pydatetime() for moment in pd.date_range(first_bucket, last_bucket,
                                                               freq=STEPS[grain])]


def planned_revenue(forecast: pd.DataFrame, start: dt.datetime, end: dt.datetime,
                    where: dict[str, list] | None = None) -> float | None:
    """Forecast for [start, end): Σ month's forecast × overlap seconds / month's seconds; None if none."""
    cells = forecast[forecast["forecast_revenue"].notna()]
    for column, values in (where or {}).items():
        cells = cells[cells[column].isin(values)]
    total, covered = 0.0, False
    for month, value in cells.groupby("month")["forecast_revenue"].sum().items():
        month_end = (month.to_period("M") + 1).start_time
        overlap = (min(pd.Timestamp(end), month_end) - max(pd.Timestamp(start), month)).total_seconds()
        if overlap > 0:
            total += value * overlap / (month_end - month).total_seconds()
            covered = True
    return total if covered else None


def frame_rows(frame: pd.DataFrame, keys: list[str]) -> dict[tuple, dict]:
    """A query result as {tuple of key values: {column: plain value}} (NULL/NaN as None)."""
    rows = {}
    for record in frame.to_dict("records"):
        key = tuple(plain(record.pop(name)) for name in keys)
        rows[key] = {name: plain(value) for name, value in record.items()}
    return rows


def plain(value):
    """A numpy scalar, Timestamp or NaN as a plain Python value or None."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def assert_same(actual, expected, where: str = "value") -> None:
    """Assert equal: floats within 1e-9 relative, ints exactly, None as None, into dicts and lists."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a dict"
        assert set(actual) == set(expected), f"{where}: keys {sorted(actual)} != {sorted(expected)}"
        for key in expected:
            assert_same(actual[key], expected[key], f"{where}[{key!r}]")
    elif isinstance(expected, list | tuple):
        assert isinstance(actual, list | tuple), f"{where}: {actual!r} is not a list"
        assert len(actual) == len(expected), f"{where}: {len(actual)} items != {len(expected)}"
        for index, (got, want) in enumerate(zip(actual, expected, strict=True)):
            assert_same(got, want, f"{where}[{index}]")
    elif expected is None:
        assert actual is None, f"{where}: {actual!r} is not None"
    elif isinstance(expected, bool) or not isinstance(expected, numbers.Number):
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, numbers.Integral):
        assert isinstance(actual, numbers.Integral) and not isinstance(actual, bool), \
            f"{where}: {actual!r} is not an integer"
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"
    else:
        assert isinstance(actual, numbers.Real) and not math.isnan(actual), f"{where}: {actual!r}"
        assert actual == pytest.approx(expected, rel=1e-9), f"{where}: {actual!r} != {expected!r}"
