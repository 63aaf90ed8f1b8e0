"""The Overview's filters, read from and written to the URL query string."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from urllib.parse import urlencode

from data.periods import DEFAULT_PERIOD, PERIODS
from data.query import Filter

DIMENSIONS = ("region", "category", "segment")  # URL parameter == dimension name


@dataclasses.dataclass(frozen=True)
class OverviewFilters:
    period: str = DEFAULT_PERIOD
    start: dt.date | None = None
    end: dt.date | None = None
    region: tuple[str, ...] = ()
    category: tuple[str, ...] = ()
    segment: tuple[str, ...] = ()

    @classmethod
    def from_query(cls, query: Mapping[str, str], allowed: Mapping[str, set[str]]) -> OverviewFilters:
        """Parse URL parameters; anything unknown or malformed is dropped, never an error."""
        # Values echoed back by the browser may be anything, not only text: drop those too.
        query = {name: value for name, value in query.items() if isinstance(value, str)}
        period = query.get("period") if query.get("period") in PERIODS else DEFAULT_PERIOD
        start, end = _date(query.get("start")), _date(query.get("end"))
        if period == "custom" and not (start and end):
            period = DEFAULT_PERIOD
        if period != "custom":
            start = end = None
        values = {}
        for name in DIMENSIONS:
            raw = query.get(name) or ""
            chosen = [item for item in dict.fromkeys(raw.split(",")) if item in allowed.get(name, set())]
            values[name] = tuple(sorted(chosen))
        return cls(period, start, end, **values)

    def to_query(self) -> str:
        """The canonical query string ('' for the defaults), so equal filters share one URL."""
        params: dict[str, str] = {}
        if self.period != DEFAULT_PERIOD:
            params["period"] = self.period
        if self.period == "custom":
            params["start"], params["end"] = self.start.isoformat(), self.end.isoformat()
        for name in DIMENSIONS:
            if getattr(self, name):
                params[name] = ",".join(getattr(self, name))
        return f"?{urlencode(params, safe=',')}" if params else ""

    def query_filters(self) -> tuple[Filter, ...]:
        return tuple(Filter(name, "in", list(getattr(self, name)))
                     for name in DIMENSIONS if getattr(self, name))

    def forecast_filters(self) -> tuple[Filter, ...]:
        """The forecast is planned per region and category only."""
        return tuple(item for item in self.query_filters() if item.field != "segment")


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filter_options(engine, cache) -> dict[str, list[str]]:
    """The values each filter offers, from the data itself (cached for five minutes)."""
    from data.query import distinct_values

    return cache.get_or_compute("overview-filter-options", lambda: {
        name: distinct_values(engine, "sales", name) for name in DIMENSIONS}, ttl=300)


def filters_to_json(filters: OverviewFilters) -> dict:
    data = dataclasses.asdict(filters)
    data["start"] = filters.start.isoformat() if filters.start else None
    data["end"] = filters.end.isoformat() if filters.end else None
    return data


def filters_from_json(data: dict, allowed: Mapping[str, set[str]]) -> OverviewFilters:
    """Filters echoed back by the browser, validated again like a URL (never trusted)."""
    data = data if isinstance(data, dict) else {}
    query = {"period": data.get("period"), "start": data.get("start"), "end": data.get("end")}
    for name in DIMENSIONS:
        values = data.get(name) if isinstance(data.get(name), list | tuple) else []
        query[name] = ",".join(str(value) for value in values)
    return OverviewFilters.from_query(query, allowed)
