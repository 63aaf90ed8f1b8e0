"""A widget's numbers, checked against pandas over the same rows of a real SQLite database."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from charts.widgets import build_figure
from context import EXTENSION
from data.dashboard_spec import WidgetSpec
from data.widget_data import CrossFilter, load_widget, resolve_range
from tests.conftest import DEMO_END

NOW = DEMO_END + dt.timedelta(minutes=5)


@pytest.fixture
def services(app):
    return app.server.extensions[EXTENSION]


@pytest.fixture
def lines(services) -> pd.DataFrame:
    with services.database.engine.connect() as connection:
        return pd.read_sql("SELECT * FROM order_lines", connection, parse_dates=["order_date"])


def _load(services, widget: dict, cross=()):
    spec = WidgetSpec.model_validate({"id": "w", **widget})
    return load_widget(services.database.engine, services.cache, spec, None, {}, list(cross), NOW)


def test_a_line_over_many_products_draws_the_top_ones_by_the_measure(services, lines):
    data = _load(services, {"type": "line", "dataset": "sales", "measures": ["revenue"],
                            "dimensions": ["product"], "time_grain": "week", "limit": 3,
                            "time_range": {"relative": "last_90_days"}})
    window = resolve_range(data.widget.time_range, NOW)
    recent = lines[lines.order_date >= window.start]
    expected = recent.groupby("product").revenue.sum().nlargest(3).index
    assert set(data.frame["product"]) == set(expected)
    assert len(build_figure(data).data) == 3


def test_a_line_over_few_regions_draws_them_all(services, lines):
    data = _load(services, {"type": "line", "dataset": "sales", "measures": ["orders"],
                            "dimensions": ["region"], "time_grain": "day"})
    assert set(data.frame["region"]) == set(lines.region.unique())


def test_a_kpi_is_the_whole_range_compared_with_the_period_before(services, lines):
    data = _load(services, {"type": "kpi", "dataset": "sales", "measures": ["revenue"],
                            "time_range": {"relative": "last_7_days"}})
    window = data.range
    current = lines[lines.order_date >= window.start].revenue.sum()
    before = lines[(lines.order_date >= window.previous_start)
                   & (lines.order_date < window.previous_end)].revenue.sum()
    assert data.value == pytest.approx(current) and data.previous == pytest.approx(before)
    assert data.series["value"].sum() == pytest.approx(current)


@pytest.mark.parametrize("relative", ["today", "yesterday", "last_30_days", "month_to_date", "all_time"])
@pytest.mark.parametrize("measure", ["revenue", "margin_pct", "aov", "customers"])
def test_every_kpi_matches_pandas_whether_read_from_its_buckets_or_by_three_queries(services, lines, relative,
                                                                                    measure):
    """Sums and ratios of sums are added up from the sparkline's buckets; distinct counts (and
    ratios over them) take three queries. Both must give pandas' numbers for every range."""
    data = _load(services, {"type": "kpi", "dataset": "sales", "measures": [measure],
                            "time_range": {"relative": relative}})
    window = data.range

    def value(rows: pd.DataFrame) -> float | None:
        if rows.empty:
            return None
        return {"revenue": rows.revenue.sum(), "margin_pct": rows.gross_profit.sum() / rows.revenue.sum(),
                "aov": rows.revenue.sum() / rows.order_id.nunique(),
                "customers": rows.customer_id.nunique()}[measure]

    current = lines[(lines.order_date >= window.start)
                    & ((lines.order_date < window.end) if window.end else True)]
    assert data.value == pytest.approx(value(current))
    if window.previous_start is None:
        assert data.previous is None
    else:
        before = lines[(lines.order_date >= window.previous_start) & (lines.order_date < window.previous_end)]
        assert data.previous == pytest.approx(value(before))
    if measure == "revenue" and not current.empty:
        assert data.series["value"].sum() == pytest.approx(current.revenue.sum())


def test_a_kpi_over_days_without_sales_shows_no_value_instead_of_failing(services, lines):
    """A range without rows on the sparkline's grid (here a fortnight before the first sale)."""
    first = lines.order_date.min().date()
    start, end = first - dt.timedelta(days=20), first - dt.timedelta(days=7)
    data = _load(services, {"type": "kpi", "dataset": "sales", "measures": ["revenue"],
                            "time_range": {"start": start.isoformat(), "end": end.isoformat()}})
    assert data.value is None and data.previous is None and data.series.empty


def test_a_cross_filter_applies_to_other_widgets_but_never_to_its_source(services, lines):
    emea = [CrossFilter("elsewhere", "region", ("EMEA",))]
    own = [CrossFilter("w", "region", ("EMEA",))]
    widget = {"type": "bar", "dataset": "sales", "measures": ["revenue"], "dimensions": ["region"],
              "time_range": {"relative": "all_time"}}
    assert set(_load(services, widget, emea).frame["region"]) == {"EMEA"}
    assert set(_load(services, widget, own).frame["region"]) == set(lines.region.unique())
