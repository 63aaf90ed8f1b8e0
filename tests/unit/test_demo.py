"""The demo generator: deterministic, exactly sized, and shaped like a real business (pure, no database)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from data import demo
from data import demo_catalogue as cat

END = dt.datetime(2026, 11, 20, 15, 30)
ROWS = 60_000
SEED = 7
TABLES = ("customers", "products", "orders", "order_lines", "forecast")


@pytest.fixture(scope="module")
def business() -> demo.DemoBusiness:
    return demo.generate(ROWS, END, SEED)


@pytest.fixture(scope="module")
def lines(business) -> pd.DataFrame:
    return pd.DataFrame(business.order_lines)


@pytest.fixture(scope="module")
def orders(business) -> pd.DataFrame:
    return pd.DataFrame(business.orders)


def monthly_revenue(lines: pd.DataFrame) -> pd.Series:
    """Revenue per calendar month (a PeriodIndex), returns included."""
    return lines.groupby(lines["order_date"].dt.to_period("M"))["revenue"].sum()


def full_months(lines: pd.DataFrame) -> pd.PeriodIndex:
    """The months the window covers completely: all but the first and the current one."""
    months = monthly_revenue(lines).index
    return months[(months > months[0]) & (months < pd.Period(END, "M"))]


def orders_per_full_day(orders: pd.DataFrame) -> pd.Series:
    """Order count per calendar day, leaving out `END`'s day, which is only partly over."""
    days = orders["order_date"].dt.normalize()
    per_day = orders.groupby(days).size()
    return per_day[per_day.index < pd.Timestamp(END.date())]


def thanksgiving(year: int) -> dt.date:
    """US Thanksgiving: the fourth Thursday of November."""
    first = dt.date(year, 11, 1)
    return first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)


def test_same_arguments_give_the_same_business_and_another_seed_a_different_one(business):
    again = demo.generate(ROWS, END, SEED)
    for table in TABLES:
        expected, actual = getattr(business, table), getattr(again, table)
        assert expected.keys() == actual.keys()
        for column in expected:
            assert np.array_equal(expected[column], actual[column]), f"{table}.{column} differs"
    other = demo.generate(ROWS, END, SEED + 1)
    assert not np.array_equal(business.order_lines["revenue"], other.order_lines["revenue"])
    assert not np.array_equal(business.order_lines["product_id"], other.order_lines["product_id"])


@pytest.mark.parametrize("rows", [100, 5_000, ROWS])
def test_the_business_has_exactly_the_requested_number_of_order_lines(rows):
    generated = demo.generate(rows, END, SEED)
    assert generated.line_count == rows
    assert all(len(values) == rows for values in generated.order_lines.values())


@pytest.mark.parametrize("rows", [99, 0, -5])
def test_fewer_than_100_lines_is_refused(rows):
    with pytest.raises(ValueError, match="at least 100"):
        demo.generate(rows, END, SEED)


def test_every_date_lies_in_the_two_year_window_ending_at_end(lines, orders):
    # The window is whole days: it opens at midnight on the day 730 days before `end`.
    opens = dt.datetime.combine((END - dt.timedelta(days=730)).date(), dt.time())
    for dates in (lines["order_date"], orders["order_date"]):
        assert dates.min() >= pd.Timestamp(opens)
        assert dates.max() <= pd.Timestamp(END)
    assert lines["order_date"].min() < pd.Timestamp(opens + dt.timedelta(days=7)), "the window starts late"


def test_ids_are_in_time_order_so_a_watermark_on_id_or_time_agrees(business):
    for table in (business.order_lines, business.orders):
        assert np.all(np.diff(table["id"]) > 0)
        assert np.all(np.diff(table["order_date"]) >= np.timedelta64(0, "s"))


def test_revenue_grows_year_over_year_in_monthly_sums(lines):
    monthly, full = monthly_revenue(lines), full_months(lines)
    # The first month of the window is partial, so compare the recent full months that have a
    # full month a year before them.
    recent = [month for month in full[-12:] if month - 12 in full]
    assert len(recent) >= 11
    growth = monthly[recent].sum() / monthly[[month - 12 for month in recent]].sum() - 1
    assert 0.15 < growth < 0.60, f"year-over-year growth {growth:.1%}"


def test_yearly_seasonality_shows_in_monthly_sums(lines):
    monthly, full = monthly_revenue(lines), full_months(lines)
    year = END.year - 1
    assert all(pd.Period(f"{year}-{month:02d}", "M") in full for month in range(1, 13))
    revenue = {month: monthly[pd.Period(f"{year}-{month:02d}", "M")] for month in range(1, 13)}
    assert cat.MONTH_FACTOR[5] > cat.MONTH_FACTOR[1] and cat.MONTH_FACTOR[11] > cat.MONTH_FACTOR[9]
    assert revenue[6] > 1.3 * revenue[2], "June should clearly beat February"
    assert revenue[12] > 1.1 * revenue[10], "December should clearly beat October"


def test_fridays_have_more_orders_than_sundays(orders):
    per_day = orders_per_full_day(orders)
    mean_by_weekday = per_day.groupby(per_day.index.day_of_week).mean()
    friday, sunday = mean_by_weekday[4], mean_by_weekday[6]
    assert friday > 1.2 * sunday, f"Friday {friday:.1f} vs Sunday {sunday:.1f} orders a day"


def test_black_friday_runs_from_the_day_after_us_thanksgiving_to_cyber_monday():
    days = np.arange(np.datetime64("2024-01-01"), np.datetime64("2031-01-01"))
    names = demo.promotion_calendar(days, np.random.default_rng(SEED))
    black_friday = set(days[names == "Black Friday"].astype(object))
    expected = {thanksgiving(year) + dt.timedelta(days=offset)
                for year in range(2024, 2031) for offset in range(1, 5)}
    assert black_friday == expected


def test_black_friday_days_are_far_busier_and_discounted(lines, orders):
    per_day = orders_per_full_day(orders)
    promoted_orders = orders[orders["promotion"] == "Black Friday"]
    black_friday_days = promoted_orders["order_date"].dt.normalize().unique()
    assert len(black_friday_days) >= 4
    busy = per_day[per_day.index.isin(black_friday_days)]
    assert busy.mean() > 1.5 * per_day.median(), f"{busy.mean():.1f} vs median {per_day.median():.1f}"

    promo_discount = cat.PROMOTIONS["Black Friday"][1]
    assert all(segment[3] < promo_discount for segment in cat.SEGMENTS.values())
    promoted = lines.merge(orders[["id", "promotion"]], left_on="order_id", right_on="id")
    black_friday_lines = promoted[promoted["promotion"] == "Black Friday"]
    assert len(black_friday_lines) > 0
    assert np.allclose(black_friday_lines["discount"], promo_discount)


def test_returns_are_a_few_percent_negative_and_follow_their_sale(lines):
    returns, sales = lines[lines["is_return"]], lines[~lines["is_return"]]
    assert 0.02 <= len(returns) / len(lines) <= 0.09
    assert (returns["quantity"] < 0).all()
    assert (returns["revenue"] < 0).all()
    assert (returns["cost"] < 0).all()
    assert (sales[["quantity", "revenue", "cost"]] > 0).all().all()

    matched = returns.merge(sales, on=["order_id", "product_id"], suffixes=("", "_sale"))
    earlier = matched[matched["order_date_sale"] < matched["order_date"]]
    assert set(earlier["id"]) == set(returns["id"]), "a return without an earlier sale of its product"


def test_line_arithmetic_adds_up_and_the_margin_is_plausible(lines):
    assert np.allclose(lines["gross_profit"], lines["revenue"] - lines["cost"], rtol=0, atol=0.011)
    sales = lines[~lines["is_return"]]
    expected = sales["quantity"] * sales["unit_price"] * (1 - sales["discount"])
    assert np.allclose(sales["revenue"], expected, rtol=0, atol=0.005 + 1e-9)
    assert ((lines["discount"] >= 0) & (lines["discount"] < 1)).all()
    margin = lines["gross_profit"].sum() / lines["revenue"].sum()
    assert 0.25 < margin < 0.50, f"margin {margin:.1%}"


def test_forecast_has_one_row_per_month_region_and_category_through_the_horizon(business, lines):
    forecast = pd.DataFrame(business.forecast)
    months = pd.period_range(lines["order_date"].min(), pd.Period(END, "M") + 3, freq="M")
    expected = {(month.start_time, region, category)
                for month in months for region in cat.GEOGRAPHY for category in cat.CATALOGUE}
    cells = list(zip(forecast["month"], forecast["region"], forecast["category"], strict=True))
    assert len(cells) == len(set(cells)) == len(expected)
    assert set(cells) == expected

    future = forecast[forecast["month"] > pd.Timestamp(END)]
    assert len(future) == 3 * len(cat.GEOGRAPHY) * len(cat.CATALOGUE)
    assert (future["actual_revenue"] == 0).all()
    assert future["forecast_revenue"].notna().all(), "a year-ago month exists for every future month"


def test_forecast_actuals_equal_the_order_lines_and_forecasts_are_near_them(business, lines):
    forecast = pd.DataFrame(business.forecast).astype({"forecast_revenue": float})
    past = forecast[forecast["month"] < pd.Timestamp(END.replace(day=1))]
    by_cell = lines.groupby([lines["order_date"].dt.to_period("M").dt.start_time,
                             lines["region"], lines["category"]])["revenue"].sum()
    by_cell.index.names = ["month", "region", "category"]
    joined = past.join(by_cell.rename("from_lines"), on=["month", "region", "category"])
    joined["from_lines"] = joined["from_lines"].fillna(0.0)
    assert np.allclose(joined["actual_revenue"], joined["from_lines"], rtol=0, atol=0.01)

    error = (joined["forecast_revenue"] - joined["actual_revenue"]).abs()
    close = error <= 0.6 * joined["actual_revenue"].abs()
    assert close.mean() >= 0.9, f"only {close.mean():.0%} of past forecasts within 60 %"


def test_dimensions_match_the_catalogue_and_names_on_lines_match_their_tables(business, lines):
    geography = {(region, country) for region, options in cat.GEOGRAPHY.items() for country, _ in options}
    catalogue = {(category, sub) for category, spec in cat.CATALOGUE.items() for sub in spec[4]}
    customers, products = pd.DataFrame(business.customers), pd.DataFrame(business.products)
    for table in (customers, lines):
        assert set(zip(table["region"], table["country"], strict=True)) <= geography
    for table in (products, lines):
        assert set(zip(table["category"], table["sub_category"], strict=True)) <= catalogue
    assert set(customers["segment"]) <= set(cat.SEGMENTS)

    with_customer = lines.merge(customers, left_on="customer_id", right_on="id", suffixes=("", "_c"))
    assert len(with_customer) == len(lines)
    assert (with_customer["customer"] == with_customer["name"]).all()
    for column in ("region", "country", "segment"):
        assert (with_customer[column] == with_customer[f"{column}_c"]).all(), column

    with_product = lines.merge(products, left_on="product_id", right_on="id", suffixes=("", "_p"))
    assert len(with_product) == len(lines)
    assert (with_product["product"] == with_product["name"]).all()
    for column in ("category", "sub_category"):
        assert (with_product[column] == with_product[f"{column}_p"]).all(), column

    with_order = lines.merge(pd.DataFrame(business.orders), left_on="order_id", right_on="id",
                             suffixes=("", "_o"))
    assert len(with_order) == len(lines)
    assert (with_order["customer_id"] == with_order["customer_id_o"]).all()
