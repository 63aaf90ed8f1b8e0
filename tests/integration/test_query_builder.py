"""The one query builder on real SQLite and PostgreSQL: every measure, grouping, filter, time
bucket and sort equals pandas over the raw rows, and anything not declared is refused."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from data.datasets import SALES
from data.db import make_engine
from data.migrate import upgrade
from data.query import GRAINS, MAX_LIMIT, Filter, QueryError, QuerySpec, build_select, finish, run_query
from data.seed import seed_demo
from tests.conftest import DEMO_END, DEMO_ROWS
from tests.integration.pandas_reference import (
    SALES_MEASURES,
    assert_same,
    frame_rows,
    measures_by,
    measures_of,
    read_forecast,
    read_lines,
    rows_in,
    truncate,
)

DIMENSIONS = ("region", "country", "segment", "category", "sub_category", "product", "customer")
RANGE_START, RANGE_END = dt.datetime(2026, 3, 1, 6, 30), dt.datetime(2026, 9, 15, 12, 0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request) -> sa.Engine:
    """The seeded demo database on SQLite (the `database` copy) or on a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield request.getfixturevalue("database").engine
        return
    url = request.getfixturevalue("postgres_url")
    upgrade(url)
    postgres = make_engine(url)
    seed_demo(postgres, rows=DEMO_ROWS, end=DEMO_END)
    yield postgres
    postgres.dispose()


def query_rows(engine: sa.Engine, spec: QuerySpec) -> dict[tuple, dict]:
    """`spec`'s result keyed by its bucket and dimension values."""
    keys = (["bucket"] if spec.time_grain else []) + list(spec.dimensions)
    return frame_rows(run_query(engine, spec), keys)


def component_rows(engine: sa.Engine, spec: QuerySpec) -> dict[tuple, dict]:
    """`spec`'s result computed as additive components and finished in Python."""
    keys = (["bucket"] if spec.time_grain else []) + list(spec.dimensions)
    return {key: finish(SALES, spec.measures, values)
            for key, values in frame_rows(run_query(engine, spec, as_components=True), keys).items()}


def test_every_sales_measure_over_all_rows_and_a_time_range_equals_pandas(engine):
    lines = read_lines(engine)
    assert len(lines) == DEMO_ROWS
    for start, end in [(None, None), (RANGE_START, RANGE_END), (RANGE_START, None), (None, RANGE_END)]:
        spec = QuerySpec("sales", SALES_MEASURES, start=start, end=end)
        expected = {(): measures_of(rows_in(lines, start, end))}
        assert_same(query_rows(engine, spec), expected, f"{start}..{end}")
        assert_same(component_rows(engine, spec), expected, f"components {start}..{end}")


def test_every_sales_measure_grouped_by_each_dimension_equals_pandas(engine):
    lines = read_lines(engine)
    for dimension in DIMENSIONS:
        spec = QuerySpec("sales", SALES_MEASURES, dimensions=(dimension,))
        expected = measures_by(lines, [dimension])
        assert_same(query_rows(engine, spec), expected, dimension)
        assert_same(component_rows(engine, spec), expected, f"components by {dimension}")
    spec = QuerySpec("sales", SALES_MEASURES, dimensions=("region", "segment"), start=RANGE_START,
                     end=RANGE_END)
    assert_same(query_rows(engine, spec),
                measures_by(rows_in(lines, RANGE_START, RANGE_END), ["region", "segment"]),
                "by region and segment")


FILTER_CASES = [
    ((Filter("region", "in", ["EMEA", "APAC"]),), {"region": ["EMEA", "APAC"]}),
    ((Filter("category", "not_in", ["Bikes", "Clothing"]),), {"category": ["Accessories", "Components"]}),
    ((Filter("segment", "eq", "Corporate"),), {"segment": ["Corporate"]}),
    ((Filter("region", "ne", "North America"),), {"region": ["EMEA", "APAC", "LATAM"]}),
    ((Filter("region", "in", ["North America"]), Filter("segment", "not_in", ["Consumer"]),
      Filter("category", "eq", "Components")),
     {"region": ["North America"], "segment": ["Small Business", "Corporate"], "category": ["Components"]}),
    ((Filter("country", "in", ["Germany", "Japan", "Nowhere"]),), {"country": ["Germany", "Japan"]}),
]


def test_filters_with_a_time_range_select_the_same_rows_as_pandas(engine):
    lines = read_lines(engine)
    for filters, where in FILTER_CASES:
        chosen = rows_in(lines, RANGE_START, RANGE_END, where)
        assert len(chosen) > 0, where
        overall = QuerySpec("sales", SALES_MEASURES, start=RANGE_START, end=RANGE_END, filters=filters)
        assert_same(query_rows(engine, overall), {(): measures_of(chosen)}, f"{where}")
        assert_same(component_rows(engine, overall), {(): measures_of(chosen)}, f"components {where}")
        grouped = QuerySpec("sales", SALES_MEASURES, dimensions=("sub_category",), start=RANGE_START,
                            end=RANGE_END, filters=filters)
        assert_same(query_rows(engine, grouped), measures_by(chosen, ["sub_category"]), f"by {where}")


def test_time_buckets_for_every_grain_equal_pandas_truncation(engine):
    lines = read_lines(engine)
    for grain in GRAINS:
        spec = QuerySpec("sales", SALES_MEASURES, time_grain=grain)
        expected = measures_by(lines, [truncate(lines["order_date"], grain)])
        assert_same(query_rows(engine, spec), expected, grain)
        assert_same(component_rows(engine, spec), expected, f"components by {grain}")
    # The bucket keys themselves: weeks start on Monday, quarters on their first month.
    weeks = run_query(engine, QuerySpec("sales", ("orders",), time_grain="week"))["bucket"]
    assert (weeks.dt.day_of_week == 0).all()
    quarters = run_query(engine, QuerySpec("sales", ("orders",), time_grain="quarter"))["bucket"]
    assert set(quarters.dt.month) == {1, 4, 7, 10}
    assert str(quarters.dtype) == "datetime64[us]"


def test_time_buckets_by_a_dimension_within_a_filtered_range_equal_pandas(engine):
    lines = read_lines(engine)
    chosen = rows_in(lines, RANGE_START, RANGE_END, {"segment": ["Consumer", "Corporate"]})
    for grain in ("day", "week", "month", "quarter"):
        spec = QuerySpec("sales", SALES_MEASURES, dimensions=("region",), time_grain=grain,
                         start=RANGE_START, end=RANGE_END,
                         filters=(Filter("segment", "in", ["Consumer", "Corporate"]),))
        expected = measures_by(chosen, [truncate(chosen["order_date"], grain), "region"])
        assert_same(query_rows(engine, spec), expected, grain)


@pytest.mark.parametrize(("start", "end", "first", "last"), [
    # A month is a date, i.e. its midnight: bounds at midnight include the first month and not
    # the last; bounds later in the day exclude the first and include the last.
    (dt.datetime(2025, 3, 1), dt.datetime(2026, 6, 1), dt.datetime(2025, 3, 1), dt.datetime(2026, 5, 1)),
    (dt.datetime(2025, 3, 1, 12), dt.datetime(2026, 6, 1, 0, 0, 1), dt.datetime(2025, 4, 1),
     dt.datetime(2026, 6, 1)),
])
def test_forecast_months_bucket_and_bound_like_pandas_on_a_date_column(engine, start, end, first, last):
    forecast = read_forecast(engine)
    spec = QuerySpec("forecast", ("forecast_revenue", "actual_revenue", "attainment_pct"),
                     dimensions=("region",), time_grain="month", start=start, end=end,
                     filters=(Filter("category", "in", ["Bikes", "Components"]),))
    cells = forecast[(forecast["month"] >= start) & (forecast["month"] < end)
                     & forecast["category"].isin(["Bikes", "Components"])]
    sums = cells.groupby(["month", "region"]).agg(
        forecast_revenue=("forecast_revenue", lambda values: values.sum(min_count=1)),
        actual_revenue=("actual_revenue", "sum"))
    expected = {(month.to_pydatetime(), region): {
        "forecast_revenue": planned, "actual_revenue": actual,
        "attainment_pct": None if pd.isna(planned) or not planned else actual / planned}
        for (month, region), planned, actual in zip(sums.index, sums["forecast_revenue"],
                                                    sums["actual_revenue"], strict=True)}
    months = {key[0] for key in expected}
    assert (min(months), max(months)) == (first, last)
    assert_same(query_rows(engine, spec), expected)


def test_top_ten_customers_by_revenue_equal_pandas_nlargest(engine):
    lines = read_lines(engine)
    spec = QuerySpec("sales", ("revenue", "orders"), dimensions=("customer",),
                     order_by=(("revenue", True),), limit=10)
    result = run_query(engine, spec)
    revenue = lines.groupby("customer")["revenue"].sum()
    top = revenue.nlargest(11)
    assert top.iloc[9] != top.iloc[10], "a tie at tenth place would make the top ten ambiguous"
    assert list(result["customer"]) == list(top.index[:10])
    assert_same([float(value) for value in result["revenue"]], [float(value) for value in top.iloc[:10]])
    orders = lines.groupby("customer")["order_id"].nunique()
    assert list(result["orders"]) == [int(orders[name]) for name in top.index[:10]]


def test_order_by_a_dimension_ascending_and_a_measure_with_a_limit_equal_pandas(engine):
    lines = read_lines(engine)
    by_region = run_query(engine, QuerySpec("sales", ("units",), dimensions=("region",),
                                            order_by=(("region", False),)))
    assert list(by_region["region"]) == sorted(lines["region"].unique())
    bottom = run_query(engine, QuerySpec("sales", ("gross_profit",), dimensions=("sub_category",),
                                         order_by=(("gross_profit", False),), limit=3))
    expected = lines.groupby("sub_category")["gross_profit"].sum().nsmallest(3)
    assert list(bottom["sub_category"]) == list(expected.index)
    assert_same([float(value) for value in bottom["gross_profit"]], [float(value) for value in expected])


def test_an_injection_looking_filter_value_matches_nothing_and_the_users_table_is_intact(engine):
    with engine.connect() as connection:
        users_before = connection.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one()
    forged = "x' OR 1=1--"
    for item in (Filter("region", "eq", forged),
                 Filter("region", "in", [forged, "EMEA'; DROP TABLE users;--"]),
                 Filter("customer", "eq", "'; DELETE FROM users; --")):
        grouped = run_query(engine, QuerySpec("sales", ("revenue",), dimensions=("region",), filters=(item,)))
        assert grouped.empty
        totals = run_query(engine, QuerySpec("sales", ("revenue", "orders"), filters=(item,)),
                           as_components=True)
        assert finish(SALES, ("revenue", "orders"), frame_rows(totals, [])[()]) == {"revenue": 0, "orders": 0}
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one() == users_before
        assert connection.execute(sa.text("SELECT COUNT(*) FROM order_lines")).scalar_one() == DEMO_ROWS


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
@pytest.mark.parametrize(("spec", "message"), [
    (QuerySpec("sales", ("profit",)), "Sales has no measure called 'profit'"),
    (QuerySpec("sales", ()), "Choose at least one measure"),
    (QuerySpec("nowhere", ("revenue",)), "No access to dataset 'nowhere'"),
    (QuerySpec("sales", ("revenue",), dimensions=("colour",)), "Sales has no dimension called 'colour'"),
    (QuerySpec("sales", ("revenue",), dimensions=("revenue; DROP TABLE users",)),
     "Sales has no dimension called 'revenue; DROP TABLE users'"),
    (QuerySpec("sales", ("revenue); DROP TABLE users; --",)), "Sales has no measure called"),
    (QuerySpec("sales", ("revenue",), dimensions=("id",)), "Sales has no dimension called 'id'"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("cost", "gt", 0),)),
     "Sales has no dimension called 'cost'"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region) OR (1=1", "eq", "EMEA"),)),
     "Sales has no dimension called"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "like", "E%"),)),
     "Filter operator must be one of: in, not_in, eq, ne, gt, gte, lt, lte"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "= 'x' OR 1=1 --", "EMEA"),)),
     "Filter operator must be one of"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "eq", ["EMEA"]),)),
     "Filter values must be text, numbers, booleans or empty"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "eq", {"$ne": 1}),)),
     "Filter values must be text, numbers, booleans or empty"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "in", [["EMEA"]]),)),
     "Filter values must be text, numbers, booleans or empty"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "in", "EMEA"),)),
     "'in' needs a list of at most 1000 values"),
    (QuerySpec("sales", ("revenue",), filters=(Filter("region", "not_in", ["x"] * 1001),)),
     "'not_in' needs a list of at most 1000 values"),
    (QuerySpec("sales", ("revenue",), time_grain="fortnight"), "Time grain must be one of: minute, hour"),
    (QuerySpec("sales", ("revenue",), time_grain="day'); DROP TABLE users; --"), "Time grain must be one of"),
    (QuerySpec("sales", ("revenue",), order_by=(("customer", True),)),
     "Cannot sort by 'customer': it is not in the result"),
    (QuerySpec("sales", ("revenue",), dimensions=("region",),
               order_by=(("revenue DESC; DROP TABLE users", True),)), "Cannot sort by"),
    (QuerySpec("sales", ("revenue",), limit=0), f"Limit must be between 1 and {MAX_LIMIT}"),
    (QuerySpec("sales", ("revenue",), limit=-5), f"Limit must be between 1 and {MAX_LIMIT}"),
    (QuerySpec("sales", ("revenue",), limit=MAX_LIMIT + 1), f"Limit must be between 1 and {MAX_LIMIT}"),
    (QuerySpec("forecast", ("forecast_revenue",), after_id=3), "Forecast has no arrival order"),
])
def test_anything_not_declared_or_allowed_is_refused_with_a_clear_query_error(spec, message, dialect):
    with pytest.raises(QueryError) as error:
        build_select(spec, dialect)
    assert str(error.value).startswith(message)


def test_the_largest_allowed_limit_and_filter_list_are_accepted(engine):
    spec = QuerySpec("sales", ("revenue",), dimensions=("customer",), limit=MAX_LIMIT,
                     filters=(Filter("region", "not_in", [f"r{index}" for index in range(1000)]),))
    assert len(run_query(engine, spec)) == read_lines(engine)["customer"].nunique()
