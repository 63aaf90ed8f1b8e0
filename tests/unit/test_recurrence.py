"""Recurrences fire at the right UTC instants: daily, weekdays, weekly, monthly (shorter months on
their last day) and cron, at a local time in an IANA timezone, across the 2026 daylight-saving
changes of Europe/Madrid (29 March, 25 October) and America/New_York (8 March, 1 November),
including a time inside the skipped hour and one inside the repeated hour. Cron follows cronsim
(Debian cron's DST rules), the other frequencies the fold=0 rule."""

from __future__ import annotations

import datetime as dt

import pytest

from delivery.recurrence import TIMEZONES, Recurrence, RecurrenceError, describe, next_after, runs_between

D = dt.datetime


def fires(recurrence: Recurrence, after: dt.datetime, count: int) -> list[dt.datetime]:
    found = []
    for _ in range(count):
        after = next_after(recurrence, after)
        found.append(after)
    return found


def rec(frequency: str, **fields) -> Recurrence:
    return Recurrence.parse({"frequency": frequency, **fields})


# -- Europe/Madrid: CET (+1) until 29 March 02:00 -> 03:00 CEST (+2); back on 25 October 03:00 -> 02:00

def test_a_daily_madrid_schedule_keeps_its_wall_clock_time_across_both_changes():
    daily = rec("daily", time_of_day="08:00", timezone="Europe/Madrid")
    assert fires(daily, D(2026, 3, 27, 12), 3) == [D(2026, 3, 28, 7), D(2026, 3, 29, 6), D(2026, 3, 30, 6)]
    assert fires(daily, D(2026, 10, 23, 12), 3) == [D(2026, 10, 24, 6), D(2026, 10, 25, 7),
                                                    D(2026, 10, 26, 7)]


def test_a_madrid_time_inside_the_skipped_hour_runs_an_hour_later_on_the_wall_that_day_only():
    daily = rec("daily", time_of_day="02:30", timezone="Europe/Madrid")
    # 28 March 02:30 CET = 01:30Z; 29 March 02:30 does not exist: 03:30 CEST = 01:30Z; then 00:30Z.
    assert fires(daily, D(2026, 3, 27, 12), 3) == [D(2026, 3, 28, 1, 30), D(2026, 3, 29, 1, 30),
                                                   D(2026, 3, 30, 0, 30)]


def test_a_madrid_time_inside_the_repeated_hour_runs_once_at_its_first_occurrence():
    daily = rec("daily", time_of_day="02:30", timezone="Europe/Madrid")
    # 25 October 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET): only the first.
    assert fires(daily, D(2026, 10, 24, 12), 3) == [D(2026, 10, 25, 0, 30), D(2026, 10, 26, 1, 30),
                                                    D(2026, 10, 27, 1, 30)]
    # Asked from inside the repeated hour, after the first pass, it waits for the next day.
    assert next_after(daily, D(2026, 10, 25, 0, 30)) == D(2026, 10, 26, 1, 30)
    assert next_after(daily, D(2026, 10, 25, 1, 0)) == D(2026, 10, 26, 1, 30)


def test_a_weekly_madrid_schedule_fires_on_its_day_across_both_changes():
    sundays = rec("weekly", weekday=6, time_of_day="09:15", timezone="Europe/Madrid")
    assert fires(sundays, D(2026, 3, 20), 2) == [D(2026, 3, 22, 8, 15), D(2026, 3, 29, 7, 15)]
    assert fires(sundays, D(2026, 10, 20), 2) == [D(2026, 10, 25, 8, 15), D(2026, 11, 1, 8, 15)]
    gap = rec("weekly", weekday=6, time_of_day="02:00", timezone="Europe/Madrid")
    assert next_after(gap, D(2026, 3, 28)) == D(2026, 3, 29, 1, 0)  # 02:00 does not exist: 03:00 CEST


def test_a_monthly_madrid_schedule_fires_on_its_day_and_on_the_last_day_of_shorter_months():
    monthly = rec("monthly", day_of_month=29, time_of_day="02:30", timezone="Europe/Madrid")
    # 29 March is the spring change: 02:30 is skipped, it runs at 03:30 CEST.
    assert fires(monthly, D(2026, 1, 30), 3) == [D(2026, 2, 28, 1, 30), D(2026, 3, 29, 1, 30),
                                                 D(2026, 4, 29, 0, 30)]
    last = rec("monthly", day_of_month=31, time_of_day="08:00", timezone="Europe/Madrid")
    assert fires(last, D(2026, 9, 1), 3) == [D(2026, 9, 30, 6), D(2026, 10, 31, 7), D(2026, 11, 30, 7)]
    assert next_after(last, D(2028, 2, 1)) == D(2028, 2, 29, 7)  # a leap year's February


def test_a_fixed_time_cron_in_madrid_runs_once_on_both_change_days_as_debian_cron_does():
    cron = rec("cron", cron="30 2 * * 0", timezone="Europe/Madrid")  # Sundays 02:30
    # Spring: 02:30 does not exist; cron runs at the first minute after the gap, 03:00 CEST = 01:00Z.
    assert fires(cron, D(2026, 3, 20), 2) == [D(2026, 3, 22, 1, 30), D(2026, 3, 29, 1, 0)]
    # Autumn: 02:30 happens twice; it runs once, on the first pass (CEST).
    assert fires(cron, D(2026, 10, 20), 2) == [D(2026, 10, 25, 0, 30), D(2026, 11, 1, 1, 30)]
    daily = rec("cron", cron="30 2 * * *", timezone="Europe/Madrid")
    assert fires(daily, D(2026, 3, 27, 12), 3) == [D(2026, 3, 28, 1, 30), D(2026, 3, 29, 1, 0),
                                                   D(2026, 3, 30, 0, 30)]
    # Asked from inside the repeated hour, after the first pass, it waits for the next day.
    assert next_after(daily, D(2026, 10, 25, 1, 0)) == D(2026, 10, 26, 1, 30)


def test_a_wildcard_cron_in_madrid_runs_by_elapsed_time_through_both_changes():
    half_hourly = rec("cron", cron="*/30 * * * *", timezone="Europe/Madrid")
    # Autumn: the wall reads 02:00 and 02:30 twice (00:00Z, 00:30Z CEST; 01:00Z, 01:30Z CET): all four run.
    assert fires(half_hourly, D(2026, 10, 24, 23, 45), 6) == [
        D(2026, 10, 25, 0), D(2026, 10, 25, 0, 30), D(2026, 10, 25, 1), D(2026, 10, 25, 1, 30),
        D(2026, 10, 25, 2), D(2026, 10, 25, 2, 30)]
    hourly = rec("cron", cron="0 * * * *", timezone="Europe/Madrid")
    assert fires(hourly, D(2026, 10, 24, 23, 30), 4) == [D(2026, 10, 25, 0), D(2026, 10, 25, 1),
                                                         D(2026, 10, 25, 2), D(2026, 10, 25, 3)]
    # Spring: there is no 02:00 local; 01:00 CET is 00:00Z, then 03:00 CEST is 01:00Z, every hour.
    assert fires(hourly, D(2026, 3, 28, 23, 30), 3) == [D(2026, 3, 29, 0), D(2026, 3, 29, 1),
                                                        D(2026, 3, 29, 2)]


# -- America/New_York: EST (-5) until 8 March 02:00 -> 03:00 EDT (-4); back on 1 November 02:00 -> 01:00

def test_a_daily_new_york_schedule_keeps_its_wall_clock_time_across_both_changes():
    daily = rec("daily", time_of_day="08:00", timezone="America/New_York")
    assert fires(daily, D(2026, 3, 6, 20), 3) == [D(2026, 3, 7, 13), D(2026, 3, 8, 12), D(2026, 3, 9, 12)]
    assert fires(daily, D(2026, 10, 30, 20), 3) == [D(2026, 10, 31, 12), D(2026, 11, 1, 13),
                                                    D(2026, 11, 2, 13)]


def test_new_york_skipped_and_repeated_hours():
    skipped = rec("daily", time_of_day="02:30", timezone="America/New_York")
    assert fires(skipped, D(2026, 3, 7, 0), 3) == [D(2026, 3, 7, 7, 30), D(2026, 3, 8, 7, 30),
                                                   D(2026, 3, 9, 6, 30)]
    repeated = rec("daily", time_of_day="01:30", timezone="America/New_York")
    # 1 November 01:30 is 05:30Z (EDT) and 06:30Z (EST): only the first.
    assert fires(repeated, D(2026, 10, 31, 0), 3) == [D(2026, 10, 31, 5, 30), D(2026, 11, 1, 5, 30),
                                                      D(2026, 11, 2, 6, 30)]


def test_weekly_weekdays_monthly_and_cron_in_new_york():
    sundays = rec("weekly", weekday=6, time_of_day="01:30", timezone="America/New_York")
    assert fires(sundays, D(2026, 3, 1, 12), 2) == [D(2026, 3, 8, 6, 30), D(2026, 3, 15, 5, 30)]
    assert fires(sundays, D(2026, 10, 26), 2) == [D(2026, 11, 1, 5, 30), D(2026, 11, 8, 6, 30)]
    weekdays = rec("weekdays", time_of_day="07:00", timezone="America/New_York")
    # Friday 6 March, then Monday 9 March (after the change), skipping the weekend.
    assert fires(weekdays, D(2026, 3, 6), 2) == [D(2026, 3, 6, 12), D(2026, 3, 9, 11)]
    monthly = rec("monthly", day_of_month=1, time_of_day="01:30", timezone="America/New_York")
    assert fires(monthly, D(2026, 10, 15), 2) == [D(2026, 11, 1, 5, 30), D(2026, 12, 1, 6, 30)]
    cron = rec("cron", cron="30 2 8 3 *", timezone="America/New_York")  # inside the skipped hour
    assert next_after(cron, D(2026, 1, 1)) == D(2026, 3, 8, 7, 0)  # cron: right after the gap, 03:00 EDT
    workdays = rec("cron", cron="0 9 * * 1-5", timezone="America/New_York")
    assert fires(workdays, D(2026, 10, 30, 14), 2) == [D(2026, 11, 2, 14), D(2026, 11, 3, 14)]


def test_next_after_is_strictly_after_and_runs_between_lists_every_slot():
    daily = rec("daily", time_of_day="08:00")
    assert next_after(daily, D(2026, 5, 1, 8)) == D(2026, 5, 2, 8)
    assert next_after(daily, D(2026, 5, 1, 7, 59, 59, 999)) == D(2026, 5, 1, 8)
    assert list(runs_between(daily, D(2026, 5, 1, 9), D(2026, 5, 4, 8))) == [
        D(2026, 5, 2, 8), D(2026, 5, 3, 8), D(2026, 5, 4, 8)]


@pytest.mark.parametrize(("data", "message"), [
    ({"frequency": "weekly"}, "day of the week"),
    ({"frequency": "monthly", "day_of_month": 32}, "day of the month"),
    ({"frequency": "daily", "time_of_day": "8am"}, "HH:MM"),
    ({"frequency": "daily", "timezone": "Mars/Olympus"}, "not a known timezone"),
    ({"frequency": "cron", "cron": "0 8 * *"}, "5 fields"),
    ({"frequency": "cron", "cron": "0 25 * * *"}, "not valid"),
    ({"frequency": "cron", "cron": "0 8 30 2 *"}, "not valid"),
    ({"frequency": "hourly"}, "frequency"),
])
def test_a_bad_recurrence_gets_a_readable_message(data, message):
    with pytest.raises(RecurrenceError, match=message):
        Recurrence.parse(data)


def test_descriptions_and_timezones():
    assert describe(rec("weekdays", timezone="Europe/Madrid")) == "Weekdays at 08:00 (Europe/Madrid)"
    assert describe(rec("weekly", weekday=0, time_of_day="09:30")) == "Weekly on Monday at 09:30 (UTC)"
    assert "last day" in describe(rec("monthly", day_of_month=31))
    assert describe(rec("cron", cron="0 8 * * 1-5")).startswith("Cron 0 8 * * 1-5: At 08:00")
    assert "Europe/Madrid" in TIMEZONES and "America/New_York" in TIMEZONES
    assert list(TIMEZONES) == sorted(TIMEZONES)
