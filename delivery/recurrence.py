"""When a schedule runs: a recurrence (daily, weekdays, weekly, monthly or cron) at a wall-clock
time in an IANA timezone, turned into naive UTC instants. Pure: no database, no clock.

Daylight-saving rules for daily, weekdays, weekly and monthly:
- a local time that does not exist that day (spring forward: 02:30 in Madrid on 29 March 2026)
  runs at the same offset after the gap, as the clock reads once it jumped (03:30 local);
- a local time that exists twice (fall back: 02:30 in Madrid on 25 October 2026) runs once, at
  its first occurrence (summer time).
Both are what Python's `zoneinfo` does with `fold=0` (PEP 495), so the conversion is one line;
the work here is enumerating local candidates and keeping the first one strictly after `after`.

Cron follows cronsim, which copies Debian cron: an expression at a fixed minute and hour
(`30 2 * * *`) runs once on both change days, a skipped time at the first minute after the gap
(03:00, not 03:30) and a repeated one at its first occurrence; an expression with a wildcard
minute or hour (`*/30 * * * *`, `0 * * * *`) runs by elapsed time, so in the repeated hour it
runs on both passes and in the skipped hour not at all.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
import zoneinfo
from collections.abc import Iterator
from typing import Literal

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

FREQUENCIES = ("daily", "weekdays", "weekly", "monthly", "cron")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# Local candidates start this long before `after`'s wall-clock time: a fall-back day's second
# pass of an hour reads earlier on the wall than the instants just before it.
LOOK_BACK = dt.timedelta(hours=3)
SEARCH_DAYS = 5 * 366  # far more than any recurrence needs (a monthly on the 31st: 2 months)
UTC = dt.UTC


class RecurrenceError(ValueError):
    """The recurrence cannot be used; the message is safe to show to the user."""


@functools.cache
def _all_timezones() -> tuple[str, ...]:
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


TIMEZONES: tuple[str, ...] = _all_timezones()


class Recurrence(BaseModel):
    """A schedule's recurrence: the frequency, the local time of day and the IANA timezone.

    `weekday` (0 = Monday) is for weekly only; `day_of_month` (1..31, the month's last day when
    it is shorter) for monthly only; `cron` (5 fields, minute to day of week) for cron only,
    read as local time in `timezone`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    frequency: Literal["daily", "weekdays", "weekly", "monthly", "cron"]
    time_of_day: str = "08:00"
    weekday: int | None = None
    day_of_month: int | None = None
    cron: str | None = None
    timezone: str = "UTC"

    @model_validator(mode="after")
    def _check(self) -> Recurrence:
        if not TIME_PATTERN.match(self.time_of_day or ""):
            raise ValueError(f"The time of day must be HH:MM on a 24-hour clock, not {self.time_of_day!r}.")
        try:
            zone_of(self.timezone)
        except RecurrenceError as error:
            raise ValueError(str(error)) from None
        if self.frequency == "weekly" and (self.weekday is None or not 0 <= self.weekday <= 6):
            raise ValueError("A weekly schedule needs a day of the week.")
        if self.frequency == "monthly" and (self.day_of_month is None or not 1 <= self.day_of_month <= 31):
            raise ValueError("A monthly schedule needs a day of the month from 1 to 31.")
        if self.frequency == "cron":
            _check_cron(self.cron)
        return self

    @classmethod
    def parse(cls, data: dict) -> Recurrence:
        """A recurrence from a dict (a form, a schedule row's fields); raises `RecurrenceError`."""
        if not isinstance(data, dict):
            raise RecurrenceError("The recurrence is missing.")
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            first = error.errors()[0]
            message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            if first.get("type") != "value_error":
                where = ".".join(str(part) for part in first["loc"])
                message = f"The schedule's {where or 'recurrence'} is not valid: {message}."
            raise RecurrenceError(message) from None

    @classmethod
    def of(cls, schedule) -> Recurrence:
        """The recurrence of a schedule row (or anything with the same attributes)."""
        return cls.parse({
            "frequency": schedule.frequency,
            "time_of_day": schedule.time_of_day,
            "weekday": schedule.weekday if schedule.frequency == "weekly" else None,
            "day_of_month": schedule.day_of_month if schedule.frequency == "monthly" else None,
            "cron": schedule.cron if schedule.frequency == "cron" else None,
            "timezone": schedule.timezone,
        })


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    """The IANA timezone `name`; raises `RecurrenceError` for an unknown one."""
    try:
        if not isinstance(name, str) or not name or ".." in name or name.startswith("/"):
            raise ValueError(name)
        return zoneinfo.ZoneInfo(name)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise RecurrenceError(f"{name!r} is not a known timezone; use an IANA name such as "
                              "Europe/Madrid or America/New_York.") from None


def _check_cron(expression: str | None) -> None:
    if not expression or len(expression.split()) != 5:
        raise ValueError("A cron expression has 5 fields: minute, hour, day of month, month and "
                         "day of week (for example 0 8 * * 1-5).")
    try:
        next(CronSim(expression, dt.datetime(2026, 1, 1)))
    except (CronSimError, StopIteration) as error:
        raise ValueError(f"The cron expression {expression!r} is not valid: {error or 'it never runs'}.") \
            from None


def to_utc(local: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive local wall-clock time as naive UTC: a time in a spring-forward gap moves on by
    the gap (02:30 -> 03:30), a time repeated at fall-back is its first occurrence."""
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC).replace(tzinfo=None)


def to_local(instant: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """A naive UTC instant as naive local wall-clock time in `zone`."""
    return instant.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)


def _clock(recurrence: Recurrence) -> dt.time:
    hours, minutes = recurrence.time_of_day.split(":")
    return dt.time(int(hours), int(minutes))


def _matches(recurrence: Recurrence, day: dt.date) -> bool:
    if recurrence.frequency == "daily":
        return True
    if recurrence.frequency == "weekdays":
        return day.weekday() < 5
    if recurrence.frequency == "weekly":
        return day.weekday() == recurrence.weekday
    last = calendar.monthrange(day.year, day.month)[1]
    return day.day == min(recurrence.day_of_month, last)


def _local_candidates(recurrence: Recurrence, start: dt.datetime) -> Iterator[dt.datetime]:
    """Local wall-clock times a daily, weekdays, weekly or monthly recurrence names, from
    `start` on, in order."""
    clock = _clock(recurrence)
    for offset in range(SEARCH_DAYS):
        day = start.date() + dt.timedelta(days=offset)
        if _matches(recurrence, day):
            candidate = dt.datetime.combine(day, clock)
            if candidate >= start:
                yield candidate


def next_after(recurrence: Recurrence, after: dt.datetime) -> dt.datetime:
    """The first run strictly after `after`; both naive UTC (see the module's DST rules)."""
    zone = zone_of(recurrence.timezone)
    if recurrence.frequency == "cron":
        return _next_cron(recurrence.cron, zone, after)
    start = to_local(after.replace(microsecond=0), zone) - LOOK_BACK
    for candidate in _local_candidates(recurrence, start):
        instant = to_utc(candidate, zone)
        if instant > after:
            return instant
    raise RecurrenceError("This recurrence never runs again.")


def _next_cron(expression: str, zone: zoneinfo.ZoneInfo, after: dt.datetime) -> dt.datetime:
    """The first run of a cron expression strictly after `after` (naive UTC), as cronsim sees it
    from a timezone-aware local start (its Debian cron rules for the DST changes)."""
    local = after.replace(microsecond=0, tzinfo=UTC).astimezone(zone)
    try:
        # Started a little early: from inside a repeated hour, a fixed-time job reads the wall
        # clock without the fold; the loop keeps the first instant strictly after `after`.
        for candidate in CronSim(expression, local - LOOK_BACK):
            instant = candidate.astimezone(UTC).replace(tzinfo=None)
            if instant > after:
                return instant
    except CronSimError as error:
        raise RecurrenceError(f"The cron expression {expression!r} is not valid: {error}.") from None
    raise RecurrenceError("This recurrence never runs again.")


def runs_between(recurrence: Recurrence, after: dt.datetime, until: dt.datetime) -> Iterator[dt.datetime]:
    """Every run strictly after `after` and at or before `until` (naive UTC), in order."""
    instant = next_after(recurrence, after)
    while instant <= until:
        yield instant
        instant = next_after(recurrence, instant)


def describe(recurrence: Recurrence) -> str:
    """The recurrence in words: "Weekdays at 08:00 (Europe/Madrid)"."""
    at, zone = recurrence.time_of_day, recurrence.timezone
    if recurrence.frequency == "daily":
        text = f"Daily at {at}"
    elif recurrence.frequency == "weekdays":
        text = f"Weekdays at {at}"
    elif recurrence.frequency == "weekly":
        text = f"Weekly on {DAY_NAMES[recurrence.weekday]} at {at}"
    elif recurrence.frequency == "monthly":
        day = recurrence.day_of_month
        shorter = " (or the month's last day)" if day > 28 else ""
        text = f"Monthly on day {day}{shorter} at {at}"
    else:
        explained = CronSim(recurrence.cron, dt.datetime(2026, 1, 1)).explain()
        text = f"Cron {recurrence.cron}: {explained}"
    return f"{text} ({zone})"
