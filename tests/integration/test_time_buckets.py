"""Portable time truncation on real databases: the same rows bucketed by every grain give the
same buckets and sums on SQLite, DuckDB, PostgreSQL and MariaDB/MySQL as pandas gives, for a
DateTime and a Date column, across a week that straddles New Year and on DST change days."""

from __future__ import annotations

import datetime as dt
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from data.time_buckets import GRAINS, UnknownGrain, truncate_time
from tests.conftest import service_url
from tests.integration.pandas_reference import truncate

# Naive wall-clock times, as the app stores them. Amounts are powers of two, so every sum names
# exactly the rows in its bucket.
MOMENTS = [
    dt.datetime(2024, 2, 29, 13, 45, 30),  # leap day
    dt.datetime(2024, 12, 29, 23, 59, 59),  # a Sunday: the week of Monday 23 December
    dt.datetime(2024, 12, 30, 0, 0, 0),  # Monday: the week that straddles New Year starts
    dt.datetime(2024, 12, 31, 12, 30, 15),
    dt.datetime(2025, 1, 1, 0, 0, 1),  # a new year and quarter, the same week
    dt.datetime(2025, 1, 5, 23, 59, 59),  # that week's Sunday
    dt.datetime(2025, 1, 6, 8, 0, 0),
    dt.datetime(2025, 3, 9, 2, 30, 0),  # US spring forward: 02:30 never happens in New York
    dt.datetime(2025, 3, 30, 2, 30, 45),  # EU spring forward
    dt.datetime(2025, 3, 30, 2, 31, 10),
    dt.datetime(2025, 6, 30, 23, 59, 59),  # the last second of a quarter
    dt.datetime(2025, 7, 1, 0, 0, 0),
    dt.datetime(2025, 10, 26, 2, 30, 0),  # EU fall back: 02:30 happens twice
    dt.datetime(2025, 11, 2, 1, 30, 0),  # US fall back
    dt.datetime(2025, 11, 2, 1, 30, 0),
]
ROWS = [{"id": index, "happened_at": moment, "day": moment.date(), "amount": 2 ** index}
        for index, moment in enumerate(MOMENTS)]


@pytest.fixture(params=["sqlite", "duckdb", pytest.param("postgresql", marks=pytest.mark.postgres), "mysql"])
def events(request, tmp_path):
    """(engine, table) holding ROWS in a fresh database of each kind; dropped afterwards."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'events.db'}"
    elif request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'events.duckdb'}"
    elif request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    else:
        url = service_url("TEST_MYSQL_URL", "MySQL or MariaDB")
    connect_args = {}
    if request.param == "mysql":
        # As strict as MySQL 8 by default: a bucket must render the same in SELECT and GROUP BY.
        connect_args["init_command"] = ("SET SESSION sql_mode = "
                                        "CONCAT_WS(',', NULLIF(@@sql_mode, ''), 'ONLY_FULL_GROUP_BY')")
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    metadata = sa.MetaData()
    table = sa.Table(f"events_{uuid.uuid4().hex[:8]}", metadata,
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("happened_at", sa.DateTime), sa.Column("day", sa.Date),
                     sa.Column("amount", sa.BigInteger))
    metadata.create_all(engine, checkfirst=False)
    try:
        with engine.begin() as connection:
            connection.execute(table.insert(), ROWS)
        yield engine, table
    finally:
        metadata.drop_all(engine, checkfirst=False)
        engine.dispose()


def _expected(column: str, grain: str) -> dict[pd.Timestamp, int]:
    frame = pd.DataFrame(ROWS)
    starts = truncate(pd.to_datetime(frame[column]).astype("datetime64[us]"), grain)
    return {pd.Timestamp(start): int(total) for start, total in frame.groupby(starts)["amount"].sum().items()}


@pytest.mark.parametrize("column", ["happened_at", "day"])
@pytest.mark.parametrize("grain", GRAINS)
def test_every_grain_gives_the_same_buckets_and_sums_as_pandas(events, column, grain):
    engine, table = events
    bucket = truncate_time(table.c[column], grain, engine.dialect.name)
    # Grouped by the expression itself, not its label: it must render the same in both places.
    query = sa.select(bucket.label("bucket"), sa.func.sum(table.c.amount).label("total")).group_by(bucket)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    expected_type = str if engine.dialect.name == "sqlite" else dt.datetime
    assert all(isinstance(start, expected_type) for start, _ in rows)
    assert {pd.Timestamp(start): int(total) for start, total in rows} == _expected(column, grain)


def test_the_week_straddling_new_year_starts_on_its_monday(events):
    engine, table = events
    bucket = truncate_time(table.c.happened_at, "week", engine.dialect.name)
    query = sa.select(bucket).where(table.c.happened_at >= dt.datetime(2024, 12, 30),
                                    table.c.happened_at < dt.datetime(2025, 1, 6))
    with engine.connect() as connection:
        starts = {pd.Timestamp(start) for start in connection.execute(query).scalars()}
    assert starts == {pd.Timestamp(2024, 12, 30)}


@pytest.mark.parametrize(("grain", "dialect", "message"), [
    ("fortnight", "postgresql", "Time grain must be one of: minute, hour, day, week"),
    ("day", "oracle", "not supported on oracle"),
])
def test_unknown_grains_and_dialects_are_refused(grain, dialect, message):
    with pytest.raises(UnknownGrain, match=message):
        truncate_time(sa.column("t", sa.DateTime), grain, dialect)
