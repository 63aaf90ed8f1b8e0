"""A widget's numbers: its spec and the dashboard's filters become one `QuerySpec`, run in the
database and cached by data version. The screen and every export read widgets through here.

Filters combine like this: the widget's own filters, then each dashboard filter and each
cross-filter on a field the widget's dataset declares (others do not apply to it). A widget's
own time range wins over the dashboard's, as a panel's relative-time override does in Grafana.
No Dash here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from pydantic import ValidationError
from sqlalchemy import Engine

from data.cache import ResultCache
from data.dashboard_spec import (
    DashboardFilters,
    DashboardSpec,
    TimeRange,
    WidgetSpec,
    measure_name,
)
from data.datasets import Dataset, Dimension, Measure, UnknownField, get_dataset
from data.live import data_version
from data.overview import floor_bucket
from data.periods import month_start
from data.query import BUCKET, Filter, QuerySpec, components, distinct_values, finish, run_query

DEFAULT_RANGE = TimeRange(relative="last_30_days")
DEFAULT_SERIES = 10  # lines, areas or bar groups drawn per chart unless the widget sets a limit
DEFAULT_ROWS = {"bar": 25, "pie": 12, "table": 1000, "heatmap": 50, "scatter": 2000}
ALL_TIME_START = dt.datetime(1970, 1, 1)


@dataclasses.dataclass(frozen=True)
class CrossFilter:
    """A click on a bar or slice of widget `source`: `field` in `values`, for every other widget."""

    source: str
    field: str
    values: tuple

    @classmethod
    def from_json(cls, item: dict) -> CrossFilter:
        """From the browser's store; raises `ValueError` for anything malformed."""
        values = item.get("values") if isinstance(item, dict) else None
        if (not isinstance(values, list) or not 0 < len(values) <= 100
                or not all(isinstance(v, str | int | float | bool) for v in values)
                or not isinstance(item.get("source"), str) or not isinstance(item.get("field"), str)):
            raise ValueError("malformed cross-filter")
        return cls(item["source"][:40], item["field"][:64], tuple(values))

    def to_json(self) -> dict:
        return {"source": self.source, "field": self.field, "values": list(self.values)}

    @classmethod
    def all_from_json(cls, items) -> list[CrossFilter]:
        """Every well-formed cross-filter in a list from the browser; the rest are dropped."""
        found = []
        for item in items if isinstance(items, list) else []:
            try:
                found.append(cls.from_json(item))
            except ValueError:
                continue
        return found


def filters_from_json(data, fallback: DashboardFilters) -> DashboardFilters:
    """Dashboard filters sent by the browser, or `fallback` when they are missing or malformed."""
    try:
        return DashboardFilters.model_validate(data) if data else fallback
    except ValidationError:
        return fallback


@dataclasses.dataclass(frozen=True)
class Range:
    """`[start, end)` (end None: open, so rows that arrive later count) and the period before."""

    start: dt.datetime
    end: dt.datetime | None
    previous_start: dt.datetime | None
    previous_end: dt.datetime | None
    label: str


@dataclasses.dataclass(frozen=True)
class WidgetData:
    """What a figure is drawn from: the aggregated frame and what its columns mean.

    `frame` has a `bucket` column when the widget has a time grain, one column per dimension
    (by name), and one per measure (by `measure_name`). For a KPI, `value`, `previous` and
    the `series` frame (bucket, value) for its sparkline are set.
    """

    widget: WidgetSpec
    frame: pd.DataFrame
    measures: tuple[Measure, ...]
    dimensions: tuple[Dimension, ...]
    range: Range
    filters: tuple[Filter, ...]
    version: int
    value: float | None = None
    previous: float | None = None
    series: pd.DataFrame | None = None


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def resolve_range(time_range: TimeRange, now: dt.datetime) -> Range:
    """The dates a time range covers as of `now` (naive UTC), and the comparable period before."""
    today = now.date()
    if time_range.relative is None:
        start, end = _midnight(time_range.start), _midnight(time_range.end + dt.timedelta(days=1))
        return Range(start, end, start - (end - start), start, time_range.label)
    key = time_range.relative
    label = time_range.label
    if key == "all_time":
        return Range(ALL_TIME_START, None, None, None, label)
    if key == "yesterday":
        start = _midnight(today - dt.timedelta(days=1))
        return Range(start, _midnight(today), start - dt.timedelta(days=1), start, label)
    if key in ("month_to_date", "quarter_to_date", "year_to_date"):
        months = {"month_to_date": 1, "quarter_to_date": 3, "year_to_date": 12}[key]
        first_month = (today.month - 1) // months * months + 1
        start = dt.datetime(today.year, first_month, 1)
        previous_start = month_start(start, -months)
        return Range(start, None, previous_start, min(previous_start + (now - start), start), label)
    days = {"today": 1, "last_7_days": 7, "last_30_days": 30, "last_90_days": 90, "last_365_days": 365}[key]
    start = _midnight(today - dt.timedelta(days=days - 1))
    shift = dt.timedelta(days=days)
    return Range(start, None, start - shift, now - shift, label)


def effective_filters(widget: WidgetSpec, dataset: Dataset, dashboard_dimensions: dict[str, list],
                      cross_filters: list[CrossFilter]) -> tuple[Filter, ...]:
    """The widget's filters plus every dashboard or cross-filter on a field its dataset has
    (a widget's own clicks filter the others, never itself)."""
    found = [Filter(item.field, item.op, _frozen(item.value)) for item in widget.filters]
    for field, values in dashboard_dimensions.items():
        if field in dataset.dimensions and values:
            found.append(Filter(field, "in", tuple(values)))
    for item in cross_filters:
        if item.field in dataset.dimensions and item.source != widget.id:
            found.append(Filter(item.field, "in", item.values))
    return tuple(found)


def _frozen(value):
    return tuple(value) if isinstance(value, list) else value


def _order(widget: WidgetSpec, names: tuple[str, ...]) -> tuple[tuple[str, bool], ...]:
    if widget.sort is not None:
        return ((widget.sort.field, widget.sort.descending),)
    if widget.time_grain:
        return ()  # by bucket, then dimension: the builder's default
    return ((names[0], True),) if widget.dimensions else ()


def _at_most(engine: Engine, cache: ResultCache, dataset: str, dimension: str, count: int) -> bool:
    """Whether `dimension` takes at most `count` values in the whole dataset (then every series
    fits and ranking them is a wasted query). An indexed DISTINCT that stops early; cached."""
    values = cache.get_or_compute(
        f"first-values:{get_dataset(dataset).cache_key}:{dimension}:{count + 1}",
        lambda: distinct_values(engine, dataset, dimension, limit=count + 1), ttl=600)
    return len(values) <= count


def _top_values(engine: Engine, spec: QuerySpec, dimension: str, count: int) -> list:
    """The `count` values of `dimension` with the largest first measure over the range."""
    top = dataclasses.replace(spec, dimensions=(dimension,), time_grain=None,
                              order_by=((spec.measures[0], True),), limit=count)
    return run_query(engine, top)[dimension].tolist()


def widget_query(widget: WidgetSpec, time_range: TimeRange | None, dashboard_dimensions: dict[str, list],
                 cross_filters: list[CrossFilter], now: dt.datetime) -> tuple[QuerySpec, Range]:
    """The query behind a widget, and the time range it covers; raises `QueryError`/`UnknownField`."""
    dataset = get_dataset(widget.dataset)
    names = tuple(measure_name(ref) for ref in widget.measures)
    for name in names:
        dataset.measure(name)
    window = resolve_range(widget.time_range or time_range or DEFAULT_RANGE, now)
    limit = None
    if not widget.time_grain and widget.type in DEFAULT_ROWS:
        limit = widget.limit or DEFAULT_ROWS[widget.type]
    spec = QuerySpec(widget.dataset, names, dimensions=tuple(widget.dimensions),
                     time_grain=widget.time_grain, start=window.start, end=window.end,
                     filters=effective_filters(widget, dataset, dashboard_dimensions, cross_filters),
                     order_by=_order(widget, names), limit=limit)
    return spec, window


def load_widget(engine: Engine, cache: ResultCache, widget: WidgetSpec, time_range: TimeRange | None,
                dashboard_dimensions: dict[str, list], cross_filters: list[CrossFilter],
                now: dt.datetime) -> WidgetData:
    """Run a widget's query (cached by data version); raises `QueryError` or `UnknownField`."""
    spec, window = widget_query(widget, time_range, dashboard_dimensions, cross_filters, now)
    dataset = get_dataset(widget.dataset)
    version = _version(engine, dataset)
    measures = tuple(dataset.measure(name) for name in spec.measures)
    dimensions = tuple(dataset.dimension(name) for name in spec.dimensions)
    common = {"widget": widget, "measures": measures, "dimensions": dimensions, "range": window,
              "filters": spec.filters, "version": version}
    if widget.type == "kpi":
        return WidgetData(frame=pd.DataFrame(), **common,
                          **_kpi(engine, cache, spec, window, f"{dataset.cache_key}:{version}"))

    def fetch() -> pd.DataFrame:
        series_by = spec.dimensions[-1] if spec.time_grain and spec.dimensions else None
        query = spec
        count = widget.limit or DEFAULT_SERIES
        if series_by is not None and not _at_most(engine, cache, spec.dataset, series_by, count):
            top = _top_values(engine, spec, series_by, count)
            query = dataclasses.replace(spec, filters=(*spec.filters, Filter(series_by, "in", tuple(top))))
        return run_query(engine, query)

    frame = cache.get_or_compute(f"widget:{spec.key()}:{dataset.cache_key}:{version}", fetch)
    return WidgetData(frame=frame, **common)


ADDITIVE = ("sum", "count")  # components whose bucket values add up to the whole range's


def _kpi_grain(window: Range) -> str:
    """The sparkline's buckets: hours over two days or less, months over all time, else days."""
    if window.start == ALL_TIME_START:
        return "month"
    return "hour" if (window.end or dt.datetime.max) - window.start <= dt.timedelta(days=2) else "day"


def _on_grid(moment: dt.datetime | None, grain: str) -> bool:
    """Whether `moment` starts a bucket of `grain` (an open end always does)."""
    if moment is None:
        return True
    return moment == (month_start(moment) if grain == "month" else floor_bucket(moment, grain))


def _additive(spec: QuerySpec) -> bool:
    """Whether every piece of the KPI's measure adds up across buckets (sums and counts; not
    distinct counts, whose buckets overlap)."""
    pieces = components(get_dataset(spec.dataset), spec.measures[:1]).values()
    return all(kind in ADDITIVE for kind, _column in pieces)


def _kpi_from_buckets(engine: Engine, spec: QuerySpec, window: Range, grain: str) -> dict:
    """Value and sparkline from one scan by `grain`, adding up each bucket's pieces. The period
    before comes from the same scan when it lies on the grid too; the one before "last N days"
    ends at the same time of day as now, so it needs a query of its own."""
    dataset, name = get_dataset(spec.dataset), spec.measures[0]
    both = window.previous_start is not None and all(
        _on_grid(moment, grain) for moment in (window.previous_start, window.previous_end))
    query = dataclasses.replace(spec, measures=(name,), time_grain=grain, order_by=(),
                                start=window.previous_start if both else window.start)
    frame = run_query(engine, query, as_components=True)
    pieces = [column for column in frame.columns if column != BUCKET]
    buckets = frame[BUCKET].dt.to_pydatetime()
    current = _rows(frame, [moment >= window.start for moment in buckets])

    def total(rows: pd.DataFrame) -> float | None:
        if rows.empty:
            return None
        return finish(dataset, (name,), {piece: float(rows[piece].sum()) for piece in pieces})[name]

    if both:
        previous = total(_rows(frame, [window.previous_start <= moment < window.previous_end
                                       for moment in buckets]))
    else:
        previous = _previous(engine, spec, window)
    series = pd.DataFrame({BUCKET: current[BUCKET].to_numpy(), "value": [
        finish(dataset, (name,), {piece: row[piece] for piece in pieces})[name]
        for row in current.to_dict("records")]})
    return {"value": total(current), "previous": previous, "series": series}


def _rows(frame: pd.DataFrame, mask: list[bool]) -> pd.DataFrame:
    """The rows of `frame` where `mask` holds. (`frame[[]]`, an empty mask as a list, would
    select no columns instead: a range without rows lost its bucket column.)"""
    return frame[pd.Series(mask, index=frame.index, dtype=bool)]


def _previous(engine: Engine, spec: QuerySpec, window: Range) -> float | None:
    """The KPI's measure over the period before, in a query of its own (None: there is none)."""
    if window.previous_start is None:
        return None
    before = dataclasses.replace(spec, start=window.previous_start, end=window.previous_end)
    return _single(run_query(engine, before), spec.measures[0])


def _kpi(engine: Engine, cache: ResultCache, spec: QuerySpec, window: Range, version: str) -> dict:
    """A KPI's value over the range, over the period before, and a sparkline across the range:
    from the sparkline's buckets when the measure adds up across them, else in three queries."""
    grain = _kpi_grain(window)

    def fetch() -> dict:
        if _additive(spec) and _on_grid(window.start, grain) and _on_grid(window.end, grain):
            return _kpi_from_buckets(engine, spec, window, grain)
        current = run_query(engine, spec)
        previous = _previous(engine, spec, window)
        series = run_query(engine, dataclasses.replace(spec, time_grain=grain, order_by=()))
        series = series.rename(columns={spec.measures[0]: "value"})[[BUCKET, "value"]]
        return {"value": _single(current, spec.measures[0]), "previous": previous, "series": series}

    return cache.get_or_compute(f"widget-kpi:{spec.key()}:{version}", fetch)


def _single(frame: pd.DataFrame, column: str) -> float | None:
    if frame.empty:
        return None
    value = frame[column].iloc[0]
    return None if pd.isna(value) else float(value)


def change(value: float | None, previous: float | None) -> float | None:
    """The relative change from `previous` to `value`; None where it is undefined."""
    if value is None or previous is None or previous == 0:
        return None
    return (value - previous) / abs(previous)


def load_widget_tail(engine: Engine, widget: WidgetSpec, time_range: TimeRange | None,
                     dashboard_dimensions: dict[str, list], cross_filters: list[CrossFilter],
                     now: dt.datetime, since: dt.datetime, series: list | None) -> WidgetData:
    """A time-series widget's buckets from `since` on (the last one drawn, which may have grown),
    limited to the `series` already drawn: what a live refresh patches onto its figure."""
    spec, window = widget_query(widget, time_range, dashboard_dimensions, cross_filters, now)
    dataset = get_dataset(widget.dataset)
    version = _version(engine, dataset)
    filters = spec.filters
    if series is not None and spec.dimensions:
        filters = (*filters, Filter(spec.dimensions[-1], "in", tuple(series)))
    tail = dataclasses.replace(spec, start=max(since, window.start), filters=filters)
    return WidgetData(widget=widget, frame=run_query(engine, tail),
                      measures=tuple(dataset.measure(name) for name in spec.measures),
                      dimensions=tuple(dataset.dimension(name) for name in spec.dimensions),
                      range=window, filters=filters, version=version)


def current_version(engine: Engine, widget: WidgetSpec) -> int:
    """The data version a widget's dataset is at: the newest arrival for live datasets, else the
    dataset's revision (it goes up with every import)."""
    return _version(engine, get_dataset(widget.dataset))


def _version(engine: Engine, dataset: Dataset) -> int:
    return data_version(engine, dataset) if dataset.id_column else dataset.revision


def filter_fields(spec: DashboardSpec) -> list[dict]:
    """Every dimension of the datasets the dashboard's widgets use, for the filter picker."""
    seen: dict[str, str] = {}
    for widget in spec.widgets:
        if widget.dataset:
            try:
                dataset = get_dataset(widget.dataset)
            except UnknownField:
                continue
            for name, dimension in dataset.dimensions.items():
                seen.setdefault(name, dimension.label)
    return [{"label": label, "value": name} for name, label in sorted(seen.items(), key=lambda i: i[1])]
