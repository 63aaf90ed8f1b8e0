"""The KPI summary of a report email: the chosen KPI widgets, as their owner sees them on the
dashboard, checked against pandas over every raw row and against the export's own items."""

from __future__ import annotations

import datetime as dt

import pytest

from context import EXTENSION
from data.catalog import reading_as
from data.dashboard_spec import TimeRange
from data.dashboards import Forbidden, NotFound
from delivery.kpi_summary import kpi_summary
from exports.collect import dashboard_items
from exports.options import ExportOptions
from tests.conftest import DEMO_END
from tests.helpers import account_of, shared_board
from tests.integration.pandas_reference import assert_same, measures_of, read_lines, rows_in

NOW = DEMO_END + dt.timedelta(minutes=5)
DOCUMENT = {
    "title": "Sales pulse",
    "filters": {"time_range": {"relative": "last_30_days"}},
    "widgets": [
        {"id": "orders", "type": "kpi", "title": "Orders", "dataset": "sales", "measures": ["orders"]},
        {"id": "revenue", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "regions", "type": "bar", "title": "By region", "dataset": "sales", "measures": ["revenue"],
         "dimensions": ["region"]},
        {"id": "margin", "type": "kpi", "title": "Margin", "dataset": "sales", "measures": ["margin_pct"]},
        {"id": "note", "type": "text", "options": {"markdown": "Net of returns."}},
    ],
    "layout": [
        {"i": "revenue", "x": 0, "y": 0, "w": 3, "h": 3},
        {"i": "orders", "x": 3, "y": 0, "w": 3, "h": 3},
        {"i": "margin", "x": 6, "y": 0, "w": 3, "h": 3},
        {"i": "regions", "x": 0, "y": 3, "w": 12, "h": 4},
        {"i": "note", "x": 0, "y": 7, "w": 12, "h": 2},
    ],
}


@pytest.fixture
def services(app, clock):
    with app.server.app_context():
        yield app.server.extensions[EXTENSION]


@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)


def test_the_summary_holds_the_chosen_kpis_in_reading_order_with_pandas_values(services, database, board):
    first, last = dt.date(2026, 10, 1), dt.date(2026, 10, 21)
    options = ExportOptions(format="pdf", time_range=TimeRange(start=first, end=last))
    kpis = kpi_summary(account_of(database, "viewer"), board.id, options)
    assert [kpi.label for kpi in kpis] == ["Revenue", "Orders", "Margin"]  # no chart, no text
    assert [kpi.format for kpi in kpis] == ["currency", "integer", "percent"]
    start, end = dt.datetime(2026, 10, 1), dt.datetime(2026, 10, 22)
    lines = read_lines(database.engine)
    current = measures_of(rows_in(lines, start, end))
    previous = measures_of(rows_in(lines, start - (end - start), start))  # the 21 days before
    measures = ("revenue", "orders", "margin_pct")  # a KPI's value is a float, whatever it counts
    expected = [[float(current[name]), float(previous[name])] for name in measures]
    assert_same([[kpi.value, kpi.previous] for kpi in kpis], expected)
    assert all(kpi.higher_is_better for kpi in kpis)


def test_the_summary_equals_the_kpis_the_dashboard_and_its_export_show(services, database, board):
    analyst = account_of(database, "analyst")
    kpis = kpi_summary(analyst, board.id, ExportOptions())
    with reading_as(database, analyst, services.settings):
        shown = [item.kpi for item in dashboard_items(board.spec, None, [], "light", NOW) if item.kpi]
    assert kpis == shown and len(kpis) == 3 and all(kpi.value for kpi in kpis)


def test_only_the_chosen_widgets_count_and_a_report_without_kpis_has_none(services, database, board):
    viewer = account_of(database, "viewer")
    chosen = kpi_summary(viewer, board.id, ExportOptions(widgets=["margin", "regions", "orders"]))
    assert [kpi.label for kpi in chosen] == ["Orders", "Margin"]
    assert kpi_summary(viewer, board.id, ExportOptions(widgets=["regions", "note"])) == []


def test_someone_who_cannot_view_the_dashboard_gets_no_numbers(services, database, board):
    with pytest.raises((NotFound, Forbidden)):
        kpi_summary(account_of(database, "stranger"), board.id, ExportOptions())
