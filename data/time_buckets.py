"""Portable time truncation: the start of a value's minute, hour, day, week (Monday), month,
quarter or year, in SQLite, PostgreSQL, MySQL/MariaDB and DuckDB.

What each database returns (all sort and compare as time, and all mean the same instants):

- SQLite: TEXT "YYYY-MM-DD HH:MM:SS", as SQLAlchemy stores a DateTime (a Date counts as its
  midnight). Cutting that text is faster than strftime; it assumes values stored in that form.
- PostgreSQL: timestamp (date_trunc). A DATE is cast to timestamp first, so buckets stay naive;
  a timestamptz is truncated in the session's time zone and stays timestamptz.
- MySQL/MariaDB: DATETIME.
- DuckDB: TIMESTAMP (date_trunc, with a DATE cast to TIMESTAMP first).

Every expression is built from literals, never bound parameters, so that it can appear both in
the SELECT list and in GROUP BY (MySQL's ONLY_FULL_GROUP_BY and PostgreSQL compare the text).
"""

from __future__ import annotations

import sqlalchemy as sa

GRAINS = ("minute", "hour", "day", "week", "month", "quarter", "year")


class UnknownGrain(ValueError):
    """A grain or dialect that time truncation does not support; the message is safe to show."""


def _literal(text: str) -> sa.ColumnElement:
    return sa.literal_column(f"'{text}'")


def _number(value: int) -> sa.ColumnElement:
    return sa.literal_column(str(int(value)), sa.Integer)


def _is_date(column: sa.ColumnElement) -> bool:
    return isinstance(column.type, sa.Date) and not isinstance(column.type, sa.DateTime)


# SQLite keeps a DateTime as ISO text, "YYYY-MM-DD HH:MM:SS[.ffffff]", and a Date as "YYYY-MM-DD".
# Cutting that text is about a third faster than strftime per row (75 against 105 ms for day
# buckets over 130,000 rows): a prefix to keep, and what completes the bucket's start.
_SQLITE_PREFIXES = {"minute": (16, ":00"), "hour": (13, ":00:00"), "day": (10, " 00:00:00"),
                    "month": (7, "-01 00:00:00"), "year": (4, "-01-01 00:00:00")}


def _sqlite(column: sa.ColumnElement, grain: str) -> sa.ColumnElement:
    if grain in _SQLITE_PREFIXES and not (_is_date(column) and grain in ("minute", "hour")):
        keep, rest = _SQLITE_PREFIXES[grain]
        return sa.func.substr(column, _number(1), _number(keep)).concat(_literal(rest))
    if grain in ("minute", "hour"):  # of a Date: midnight
        return sa.func.date(column).concat(_literal(" 00:00:00"))
    if grain == "week":
        # 'weekday 0' moves forward to Sunday (or stays); six days back is that week's Monday.
        return sa.func.date(column, _literal("weekday 0"), _literal("-6 days")).concat(_literal(" 00:00:00"))
    month = sa.cast(sa.func.strftime(_literal("%m"), column), sa.Integer)
    # `//`: SQLAlchemy 2 renders `/` as true division, which would make every month a quarter.
    first_month = ((month - _number(1)) // _number(3)) * _number(3) + _number(1)
    return sa.func.printf(_literal("%s-%02d-01 00:00:00"), sa.func.strftime(_literal("%Y"), column),
                          first_month)


def _date_trunc(column: sa.ColumnElement, grain: str) -> sa.ColumnElement:
    """PostgreSQL and DuckDB: date_trunc (ISO weeks start on Monday)."""
    if _is_date(column):
        # date_trunc of a DATE is a timestamp *with* time zone in PostgreSQL; keep buckets naive.
        column = sa.cast(column, sa.DateTime)
    return sa.func.date_trunc(_literal(grain), column)


_MYSQL_FORMATS = {"minute": "%Y-%m-%d %H:%i:00", "hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d 00:00:00",
                  "month": "%Y-%m-01 00:00:00", "year": "%Y-01-01 00:00:00"}


def _mysql(column: sa.ColumnElement, grain: str) -> sa.ColumnElement:
    if grain in _MYSQL_FORMATS:
        start = sa.func.date_format(column, _literal(_MYSQL_FORMATS[grain]))
    elif grain == "week":  # WEEKDAY() is 0 on Monday
        start = sa.func.timestampadd(sa.literal_column("DAY"), -sa.func.weekday(column), sa.func.date(column))
    else:  # quarter: its first day is January 1st plus (quarter - 1) quarters
        start = sa.func.timestampadd(sa.literal_column("QUARTER"), sa.func.quarter(column) - _number(1),
                                     sa.func.makedate(sa.func.year(column), _number(1)))
    return sa.cast(start, sa.DateTime)


_BY_DIALECT = {"sqlite": _sqlite, "postgresql": _date_trunc, "duckdb": _date_trunc,
               "mysql": _mysql, "mariadb": _mysql}


def truncate_time(column: sa.ColumnElement, grain: str, dialect_name: str) -> sa.ColumnElement:
    """Return `column` truncated to the start of its `grain` in `dialect_name` (a SQLAlchemy
    dialect name); see the module docstring for the type each database returns.

    Raises `UnknownGrain` for a grain not in `GRAINS` or a dialect not supported.
    """
    if grain not in GRAINS:
        raise UnknownGrain(f"Time grain must be one of: {', '.join(GRAINS)}.")
    try:
        truncate = _BY_DIALECT[dialect_name]
    except KeyError:
        raise UnknownGrain(f"Time buckets are not supported on {dialect_name}.") from None
    return truncate(column, grain)
