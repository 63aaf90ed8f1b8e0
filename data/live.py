"""Live aggregates that stay exact as rows arrive, without re-reading the whole window.

A window's aggregate at arrival id V is its aggregate at an earlier id B (a *base*, cached
and shared) plus the *delta*: the rows that arrived after B, and, for a window whose end
moves with the clock, the older rows that the moving end now takes in. Sums and counts add;
a distinct count adds only the keys the delta brings that the base rows did not already have,
found with NOT EXISTS on indexed columns. Fact tables are append-only, which is what makes
this exact.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import Engine

from data.cache import ResultCache
from data.datasets import Dataset
from data.query import Filter, QuerySpec, aggregate, components, filter_clause, finish, run_query

REBASE_AFTER_ROWS = 3_000


@dataclasses.dataclass(frozen=True)
class Window:
    """Rows with `start <= time < end`; `end` None means no upper bound."""

    start: dt.datetime
    end: dt.datetime | None = None


def data_version(engine: Engine, dataset: Dataset) -> int:
    """The newest arrival id: it changes exactly when new rows land (an index lookup)."""
    table = dataset.table
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(table.c[dataset.id_column]))).scalar() or 0


def _window_clauses(dataset: Dataset, table: sa.Table, window: Window) -> list:
    time = table.c[dataset.time_column]
    clauses = [time >= window.start]
    if window.end is not None:
        clauses.append(time < window.end)
    return clauses


def _filters(dataset: Dataset, table: sa.Table, filters: tuple[Filter, ...]) -> list:
    return [filter_clause(dataset, item, table) for item in filters]


def base_components(engine: Engine, dataset: Dataset, measures: tuple[str, ...], window: Window,
                    filters: tuple[Filter, ...], upto_id: int) -> dict[str, float | None]:
    """Component values over the window's rows with id <= `upto_id`."""
    spec = QuerySpec(dataset.name, measures, start=window.start, end=window.end, filters=filters,
                     upto_id=upto_id)
    frame = run_query(engine, spec, as_components=True)
    # By column, not `iloc[0]`: a row of int and float columns would turn the counts into floats.
    return {name: _plain(value) for name, value in frame.to_dict("records")[0].items()}


def _plain(value):
    """A numpy scalar or NaN from a frame as a plain Python number or None."""
    if value is None or pd.isna(value):
        return None
    return value.item() if hasattr(value, "item") else value


def delta_rows(dataset: Dataset, table: sa.Table, base: Window, window: Window, base_id: int,
               upto_id: int) -> sa.ColumnElement:
    """Rows in `window` at `upto_id` that were not in `base` at `base_id`.

    `window` must start where `base` starts and end at or after it.
    """
    ident, time = table.c[dataset.id_column], table.c[dataset.time_column]
    arrived = sa.and_(ident > base_id, ident <= upto_id, *_window_clauses(dataset, table, window))
    if base.end is None or (window.end is not None and window.end <= base.end):
        return arrived
    swept_in = sa.and_(ident <= base_id, time >= base.end,
                       *([time < window.end] if window.end is not None else []))
    return sa.or_(arrived, swept_in)


def delta_components(engine: Engine, dataset: Dataset, measures: tuple[str, ...], base: Window,
                     window: Window, filters: tuple[Filter, ...], base_id: int,
                     upto_id: int) -> dict[str, float | None]:
    """Component values of the delta; distinct counts are of keys new to the window."""
    table = dataset.table
    earlier = table.alias("earlier")
    values = []
    for name, (kind, column) in components(dataset, measures).items():
        if kind != "count_distinct":
            values.append(aggregate(kind, table.c[column]).label(name))
            continue
        seen_before = sa.exists().where(
            earlier.c[column] == table.c[column], earlier.c[dataset.id_column] <= base_id,
            *_window_clauses(dataset, earlier, base), *_filters(dataset, earlier, filters))
        values.append(sa.func.count(sa.distinct(sa.case((~seen_before, table.c[column])))).label(name))
    query = sa.select(*values).where(delta_rows(dataset, table, base, window, base_id, upto_id),
                                     *_filters(dataset, table, filters))
    with engine.connect() as connection:
        row = connection.execute(query).one()
    return dict(row._mapping)


def combine(dataset: Dataset, measures: tuple[str, ...], base: dict, delta: dict) -> dict:
    """Component values of base ∪ delta (the two row sets are disjoint)."""
    combined = {}
    for name, (kind, _) in components(dataset, measures).items():
        first, second = base.get(name), delta.get(name)
        if first is None or second is None:
            combined[name] = second if first is None else first
        elif kind in ("sum", "count", "count_distinct"):
            combined[name] = first + second
        else:
            combined[name] = min(first, second) if kind == "min" else max(first, second)
    return combined


@dataclasses.dataclass(frozen=True)
class Anchor:
    """Where a live window's base was taken: arrival id and the window's end at that moment."""

    base_id: int
    base_end: dt.datetime | None

    def to_json(self) -> dict:
        return {"base_id": self.base_id,
                "base_end": self.base_end.isoformat() if self.base_end else None}

    @classmethod
    def from_json(cls, data: dict | None) -> Anchor | None:
        try:
            end = data["base_end"]
            return cls(int(data["base_id"]), dt.datetime.fromisoformat(end) if end else None)
        except (TypeError, KeyError, ValueError):
            return None


def live_measures(engine: Engine, cache: ResultCache, dataset: Dataset, measures: tuple[str, ...],
                  window: Window, filters: tuple[Filter, ...], version: int,
                  anchor: Anchor | None) -> tuple[dict[str, float | None], Anchor]:
    """Measure values over `window` as of arrival id `version`, and the anchor to reuse next time.

    The base is cached by (request, anchor), so every viewer of the same filters shares it;
    a new base is taken when there is no usable anchor or the delta has grown large.
    """
    usable = (anchor is not None and anchor.base_id <= version
              and version - anchor.base_id <= REBASE_AFTER_ROWS
              and (window.end is None) == (anchor.base_end is None)
              and (window.end is None or anchor.base_end <= window.end))
    if not usable:
        # Round down so that viewers who arrive close together share one cached base.
        anchor = Anchor(version - version % 1000, _minute(window.end) if window.end else None)
        if anchor.base_end is not None and anchor.base_end < window.start:
            anchor = Anchor(anchor.base_id, window.start)
    base_window = Window(window.start, anchor.base_end)
    key = "live-base:" + repr((dataset.name, measures, base_window, filters, anchor.base_id))
    base = cache.get_or_compute(key, lambda: base_components(
        engine, dataset, measures, base_window, filters, anchor.base_id))
    if version == anchor.base_id and window.end == anchor.base_end:
        combined = base
    else:
        delta = delta_components(engine, dataset, measures, base_window, window, filters,
                                 anchor.base_id, version)
        combined = combine(dataset, measures, base, delta)
    return finish(dataset, measures, combined), anchor


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.replace(second=0, microsecond=0)


def bucket_series(engine: Engine, dataset: Dataset, measures: tuple[str, ...], grain: str,
                  window: Window, filters: tuple[Filter, ...], upto_id: int,
                  by: str | None = None) -> list[dict]:
    """Per-bucket measure values (optionally per dimension `by`) over the window's rows."""
    spec = QuerySpec(dataset.name, measures, dimensions=(by,) if by else (), time_grain=grain,
                     start=window.start, end=window.end, filters=filters, upto_id=upto_id)
    frame = run_query(engine, spec, as_components=True)
    points = []
    for row in frame.to_dict("records"):
        values = {name: _plain(value) for name, value in row.items()}
        point = {"bucket": row["bucket"].to_pydatetime(), **finish(dataset, measures, values)}
        if by:
            point["by"] = values[by]
        points.append(point)
    return points
