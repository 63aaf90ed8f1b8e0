"""The Overview's URL filters: parsing never raises and keeps only known values, and the query
string written back is canonical, so equal filters always share one URL."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qsl

import pytest

from data.overview_filters import OverviewFilters, filters_from_json, filters_to_json
from data.query import Filter

ALLOWED = {
    "region": {"North America", "EMEA", "APAC", "LATAM"},
    "category": {"Accessories", "Bikes", "Clothing", "Components"},
    "segment": {"Consumer", "Small Business", "Corporate"},
}


def parse(search: str) -> dict[str, str]:
    """URL query parameters as the page reads them from `?a=b&c=d`."""
    return dict(parse_qsl(search.removeprefix("?"), keep_blank_values=True))


def test_no_parameters_are_the_defaults_and_write_an_empty_query():
    filters = OverviewFilters.from_query({}, ALLOWED)
    assert filters == OverviewFilters()
    assert (filters.period, filters.start, filters.end) == ("30d", None, None)
    assert filters.to_query() == ""
    assert filters.query_filters() == ()


def test_explicit_defaults_write_an_empty_query():
    filters = OverviewFilters.from_query({"period": "30d", "region": "", "category": "", "segment": ""},
                                         ALLOWED)
    assert filters == OverviewFilters()
    assert filters.to_query() == ""


@pytest.mark.parametrize("filters", [
    OverviewFilters(),
    OverviewFilters(period="today"),
    OverviewFilters(period="ytd", region=("EMEA", "North America")),
    OverviewFilters(period="custom", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                    category=("Bikes", "Clothing"), segment=("Small Business",)),
    OverviewFilters(region=("APAC", "EMEA", "LATAM", "North America"), category=("Accessories",),
                    segment=("Consumer", "Corporate", "Small Business")),
])
def test_filters_survive_a_round_trip_through_the_url(filters):
    search = filters.to_query()
    assert OverviewFilters.from_query(parse(search), ALLOWED) == filters
    assert OverviewFilters.from_query(parse(search), ALLOWED).to_query() == search


def test_the_query_string_is_canonical_whatever_order_the_values_came_in():
    messy = OverviewFilters.from_query(
        {"segment": "Corporate,Consumer", "region": "North America,EMEA,EMEA", "period": "7d",
         "category": "Components,Bikes"}, ALLOWED)
    tidy = OverviewFilters.from_query(
        {"period": "7d", "region": "EMEA,North America", "category": "Bikes,Components",
         "segment": "Consumer,Corporate"}, ALLOWED)
    assert messy == tidy
    assert messy.region == ("EMEA", "North America")
    assert messy.to_query() == ("?period=7d&region=EMEA,North+America&category=Bikes,Components"
                                "&segment=Consumer,Corporate")


def test_a_custom_range_writes_its_dates_after_the_period():
    filters = OverviewFilters.from_query({"end": "2026-10-31", "start": "2026-10-01", "period": "custom"},
                                         ALLOWED)
    assert (filters.start, filters.end) == (dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    assert filters.to_query() == "?period=custom&start=2026-10-01&end=2026-10-31"


@pytest.mark.parametrize("region", [
    "EMEA' OR 1=1--", "Mars", "emea", " EMEA", "EMEA;DROP TABLE users", "<script>alert(1)</script>",
    ",,,", "%00", "EMEA\x00", "N" * 10_000,
])
def test_an_unknown_or_injection_looking_region_is_dropped(region):
    filters = OverviewFilters.from_query({"region": region}, ALLOWED)
    assert filters.region == ()
    assert filters.to_query() == ""
    assert filters.query_filters() == ()


def test_known_values_are_kept_beside_dropped_ones():
    filters = OverviewFilters.from_query(
        {"region": "EMEA' OR 1=1--,APAC,,Mars", "category": "Bikes,bikes", "segment": "Consumer,Nobody"},
        ALLOWED)
    assert (filters.region, filters.category, filters.segment) == (("APAC",), ("Bikes",), ("Consumer",))
    assert filters.to_query() == "?region=APAC&category=Bikes&segment=Consumer"


@pytest.mark.parametrize("period", ["90d", "TODAY", "", "custom'--", "ytd "])
def test_an_unknown_period_is_dropped_for_the_default(period):
    filters = OverviewFilters.from_query({"period": period}, ALLOWED)
    assert filters.period == "30d"
    assert filters.to_query() == ""


@pytest.mark.parametrize(("start", "end"), [
    ("2026-13-01", "2026-10-31"), ("2026-10-01", "2026-02-30"), ("yesterday", "today"),
    ("2026-10-01", ""), ("", "2026-10-31"), ("2026-10-01' OR 1=1--", "2026-10-31"),
])
def test_a_custom_period_with_a_malformed_or_missing_date_falls_back_to_the_default(start, end):
    filters = OverviewFilters.from_query({"period": "custom", "start": start, "end": end}, ALLOWED)
    assert (filters.period, filters.start, filters.end) == ("30d", None, None)
    assert filters.to_query() == ""


def test_dates_are_ignored_unless_the_period_is_custom():
    filters = OverviewFilters.from_query({"period": "7d", "start": "2026-10-01", "end": "2026-10-31"},
                                         ALLOWED)
    assert (filters.period, filters.start, filters.end) == ("7d", None, None)
    assert filters.to_query() == "?period=7d"


def test_values_that_no_dimension_allows_are_dropped_when_nothing_is_allowed():
    filters = OverviewFilters.from_query({"region": "EMEA", "category": "Bikes"}, {})
    assert filters == OverviewFilters()


def test_query_filters_select_each_chosen_dimension_and_the_forecast_ignores_segments():
    filters = OverviewFilters(region=("APAC", "EMEA"), segment=("Consumer",))
    assert filters.query_filters() == (Filter("region", "in", ["APAC", "EMEA"]),
                                       Filter("segment", "in", ["Consumer"]))
    assert filters.forecast_filters() == (Filter("region", "in", ["APAC", "EMEA"]),)


@pytest.mark.parametrize("query", [
    {"period": ["today"]}, {"period": {"key": "ytd"}}, {"period": 7},
    {"period": "custom", "start": 20261001, "end": "2026-10-31"},
    {"period": "custom", "start": "2026-10-01", "end": ["2026-10-31"]},
    {"region": ["EMEA"]}, {"category": None}, {"segment": 3.5},
])
def test_values_that_are_not_text_are_dropped_not_an_error(query):
    assert OverviewFilters.from_query(query, ALLOWED) == OverviewFilters()


@pytest.mark.parametrize("data", [
    None, "junk", [], {"period": ["today"]}, {"period": "custom", "start": 20261001, "end": {}},
    {"region": "EMEA"}, {"region": [["EMEA"]], "segment": [None]}, {"category": ["Bikes,Mars"]},
])
def test_filters_echoed_back_by_the_browser_are_validated_again_and_never_raise(data):
    filters = filters_from_json(data, ALLOWED)
    assert filters.region == ()
    assert filters.period == "30d"
    assert filters.category in ((), ("Bikes",))


def test_filters_survive_a_round_trip_through_the_browser_store():
    filters = OverviewFilters(period="custom", start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31),
                              region=("APAC", "EMEA"), segment=("Consumer",))
    assert filters_from_json(filters_to_json(filters), ALLOWED) == filters
