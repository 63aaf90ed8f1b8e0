"""Reporting periods: each key's window at a fixed `now`, its comparable previous window, the
grain, and what happens at quarter and year boundaries or with input that makes no sense."""

from __future__ import annotations

import datetime as dt

import pytest

from data.periods import DEFAULT_PERIOD, PERIODS, resolve_period

NOW = dt.datetime(2026, 11, 20, 15, 30)  # a Friday afternoon in Q4


def at(text: str) -> dt.datetime:
    """A naive datetime from ISO text."""
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(("key", "start", "previous_start", "previous_end", "grain"), [
    ("today", "2026-11-20", "2026-11-19", "2026-11-19 15:30", "hour"),
    ("7d", "2026-11-14", "2026-11-07", "2026-11-13 15:30", "day"),
    ("30d", "2026-10-22", "2026-09-22", "2026-10-21 15:30", "day"),
    ("qtd", "2026-10-01", "2026-07-01", "2026-08-20 15:30", "day"),
    ("ytd", "2026-01-01", "2025-01-01", "2025-11-20 15:30", "week"),
])
def test_periods_to_date_stay_open_and_compare_with_the_same_elapsed_span_before(
        key, start, previous_start, previous_end, grain):
    period = resolve_period(key, NOW)
    assert period.key == key
    assert period.label == PERIODS[key]
    assert period.start == at(start)
    assert period.end is None
    assert (period.previous_start, period.previous_end) == (at(previous_start), at(previous_end))
    assert period.previous_end - period.previous_start == NOW - period.start
    assert period.grain == grain


def test_a_custom_range_covers_whole_days_inclusive_and_is_compared_with_the_days_just_before():
    period = resolve_period("custom", NOW, dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert (period.key, period.grain) == ("custom", "day")
    assert (period.start, period.end) == (at("2026-10-01"), at("2026-11-01"))
    assert (period.previous_start, period.previous_end) == (at("2026-08-31"), at("2026-10-01"))


def test_a_custom_range_given_backwards_is_the_same_range():
    forwards = resolve_period("custom", NOW, dt.date(2026, 3, 5), dt.date(2026, 3, 9))
    backwards = resolve_period("custom", NOW, dt.date(2026, 3, 9), dt.date(2026, 3, 5))
    assert forwards == backwards
    assert (backwards.start, backwards.end) == (at("2026-03-05"), at("2026-03-10"))


def test_a_custom_single_day_is_compared_with_the_day_before():
    period = resolve_period("custom", NOW, dt.date(2026, 3, 1), dt.date(2026, 3, 1))
    assert (period.start, period.end) == (at("2026-03-01"), at("2026-03-02"))
    assert (period.previous_start, period.previous_end) == (at("2026-02-28"), at("2026-03-01"))


@pytest.mark.parametrize(("last_day", "days", "grain"), [
    (dt.date(2026, 4, 2), 92, "day"),
    (dt.date(2026, 4, 3), 93, "week"),
    (dt.date(2026, 9, 30), 273, "week"),
])
def test_a_custom_range_longer_than_92_days_is_drawn_by_week(last_day, days, grain):
    period = resolve_period("custom", NOW, dt.date(2026, 1, 1), last_day)
    assert period.end - period.start == dt.timedelta(days=days)
    assert period.grain == grain
    assert period.start - period.previous_start == dt.timedelta(days=days)
    assert period.previous_end == period.start


NEW_YEAR = at("2027-01-01 00:05")


@pytest.mark.parametrize(("key", "start", "previous_start", "previous_end"), [
    ("today", "2027-01-01", "2026-12-31", "2026-12-31 00:05"),
    ("7d", "2026-12-26", "2026-12-19", "2026-12-25 00:05"),
    ("30d", "2026-12-03", "2026-11-03", "2026-12-02 00:05"),
    ("qtd", "2027-01-01", "2026-10-01", "2026-10-01 00:05"),
    ("ytd", "2027-01-01", "2026-01-01", "2026-01-01 00:05"),
])
def test_five_minutes_into_a_new_year_every_period_starts_and_compares_correctly(
        key, start, previous_start, previous_end):
    period = resolve_period(key, NEW_YEAR)
    assert period.start == at(start)
    assert (period.previous_start, period.previous_end) == (at(previous_start), at(previous_end))


@pytest.mark.parametrize(("now", "start", "previous_start", "previous_end"), [
    ("2026-04-01 00:00", "2026-04-01", "2026-01-01", "2026-01-01 00:00"),
    ("2026-04-01 09:00", "2026-04-01", "2026-01-01", "2026-01-01 09:00"),
    ("2026-03-31 23:59", "2026-01-01", "2025-10-01", "2025-12-29 23:59"),
    ("2026-07-01 00:00", "2026-07-01", "2026-04-01", "2026-04-01 00:00"),
    ("2026-10-01 12:00", "2026-10-01", "2026-07-01", "2026-07-01 12:00"),
])
def test_quarter_to_date_starts_on_the_quarter_and_compares_with_the_previous_quarter(
        now, start, previous_start, previous_end):
    period = resolve_period("qtd", at(now))
    assert period.start == at(start)
    assert (period.previous_start, period.previous_end) == (at(previous_start), at(previous_end))
    assert period.grain == "day"


def test_the_previous_quarter_window_never_runs_into_the_current_quarter():
    # Q2 has 91 days and Q1 only 90: late on 30 June the same elapsed span would reach past
    # 1 April, so the previous window stops at the start of the current quarter.
    period = resolve_period("qtd", at("2026-06-30 23:00"))
    assert period.start == at("2026-04-01")
    assert (period.previous_start, period.previous_end) == (at("2026-01-01"), at("2026-04-01"))


def test_the_previous_year_window_never_runs_into_the_current_year():
    # 2028 is a leap year: on 31 December it has run longer than all of 2027.
    period = resolve_period("ytd", at("2028-12-31 12:00"))
    assert (period.start, period.previous_start) == (at("2028-01-01"), at("2027-01-01"))
    assert period.previous_end == at("2028-01-01")


def test_year_to_date_in_a_leap_year_compares_the_same_elapsed_span():
    period = resolve_period("ytd", at("2028-03-01 06:00"))
    assert period.previous_end == at("2027-03-02 06:00")  # 1 March 2028 is day 61, as 2 March 2027
    assert period.previous_end - period.previous_start == at("2028-03-01 06:00") - period.start


@pytest.mark.parametrize("key", ["", "90d", "TODAY", "custom ", "'; DROP TABLE users--"])
def test_an_unknown_period_key_falls_back_to_the_last_30_days(key):
    assert resolve_period(key, NOW) == resolve_period(DEFAULT_PERIOD, NOW)
    assert resolve_period(key, NOW).key == "30d"


@pytest.mark.parametrize(("custom_start", "custom_end"), [
    (None, None), (dt.date(2026, 10, 1), None), (None, dt.date(2026, 10, 31)),
])
def test_a_custom_period_without_both_dates_falls_back_to_the_last_30_days(custom_start, custom_end):
    period = resolve_period("custom", NOW, custom_start, custom_end)
    assert period == resolve_period("30d", NOW)


@pytest.mark.parametrize("now", [NOW, NEW_YEAR, at("2026-02-28 23:59:59"), at("2028-02-29 12:00")])
@pytest.mark.parametrize("key", ["today", "7d", "30d", "qtd", "ytd"])
def test_every_period_contains_now_and_its_previous_window_ends_before_it_starts(key, now):
    period = resolve_period(key, now)
    assert period.start <= now
    assert period.start.time() == dt.time()
    assert period.previous_start < period.start
    assert period.previous_start <= period.previous_end <= period.start
    assert period.previous_end - period.previous_start <= now - period.start
