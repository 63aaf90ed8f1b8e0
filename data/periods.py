"""Reporting periods (today, last 7 or 30 days, quarter or year to date, a custom range) and
the comparable previous period each is measured against."""

from __future__ import annotations

import dataclasses
import datetime as dt

PERIODS = {
    "today": "Today",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "qtd": "Quarter to date",
    "ytd": "Year to date",
    "custom": "Custom range",
}
DEFAULT_PERIOD = "30d"


@dataclasses.dataclass(frozen=True)
class Period:
    """`[start, end)` and the previous period `[previous_start, previous_end)`.

    `end` is None for a period "to date": it stays open so rows that arrive later count.
    The previous period covers the same elapsed span, so today so far is compared with
    yesterday up to the same time, not with the whole of yesterday.
    """

    key: str
    start: dt.datetime
    end: dt.datetime | None
    previous_start: dt.datetime
    previous_end: dt.datetime
    grain: str

    @property
    def label(self) -> str:
        return PERIODS[self.key]


def month_start(moment: dt.datetime, shift: int = 0) -> dt.datetime:
    """Midnight on the first of `moment`'s month, moved `shift` months."""
    index = moment.year * 12 + moment.month - 1 + shift
    return dt.datetime(index // 12, index % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time())


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _previous_quarter_start(day: dt.date) -> dt.date:
    start = _quarter_start(day)
    return _quarter_start(start - dt.timedelta(days=1))


def resolve_period(key: str, now: dt.datetime, custom_start: dt.date | None = None,
                   custom_end: dt.date | None = None) -> Period:
    """Return the period `key` as of `now` (naive UTC); unknown keys fall back to the default.

    A custom range covers whole days from `custom_start` to `custom_end` inclusive; without
    both dates it falls back to the default period.
    """
    if key not in PERIODS or (key == "custom" and not (custom_start and custom_end)):
        key = DEFAULT_PERIOD
    today = now.date()
    if key == "custom":
        first, last = sorted((custom_start, custom_end))
        start, end = _midnight(first), _midnight(last + dt.timedelta(days=1))
        length = end - start
        grain = "day" if length <= dt.timedelta(days=92) else "week"
        return Period(key, start, end, start - length, start, grain)
    if key in ("today", "7d", "30d"):
        days = {"today": 1, "7d": 7, "30d": 30}[key]
        start = _midnight(today - dt.timedelta(days=days - 1))
        shift = dt.timedelta(days=days)
        grain = "hour" if key == "today" else "day"
        return Period(key, start, None, start - shift, now - shift, grain)
    if key == "qtd":
        start = _midnight(_quarter_start(today))
        previous_start = _midnight(_previous_quarter_start(today))
        grain = "day"
    else:  # ytd
        start = _midnight(dt.date(today.year, 1, 1))
        previous_start = _midnight(dt.date(today.year - 1, 1, 1))
        grain = "week"
    previous_end = min(previous_start + (now - start), start)
    return Period(key, start, None, previous_start, previous_end, grain)
