"""An analyst edits their dataset's definition in Chromium: adds a ratio measure, sees the preview
compute it before anything is saved, saves, and finds it there after a reload."""

from __future__ import annotations

import json
import uuid

import pytest
from playwright.sync_api import expect

from charts.formatting import format_value
from data.dataset_store import get_dataset_info, import_dataset, share_dataset
from data.upload_plan import default_plan
from data.upload_preview import inspect_upload
from tests.conftest import PEOPLE
from tests.helpers import account_of
from tests.integration.test_dataset_editor import write_orders

pytestmark = pytest.mark.browser


def control(kind: str, row: str) -> str:
    """The selector of a row's control, by its pattern-matching id as Dash writes it in the page."""
    return "[id='" + json.dumps({"row": row, "type": kind}, separators=(",", ":")) + "']"


@pytest.fixture
def orders(live_database, tmp_path):
    """A dataset of the analyst's own on the live server; its name and rows."""
    name = f"orders_{uuid.uuid4().hex[:8]}"
    path = tmp_path / "orders.csv"
    reference = write_orders(path)
    import_dataset(live_database, account_of(live_database, "analyst"), name, "Web orders", path, path.name,
                   default_plan(inspect_upload(path, path.name)))
    return name, reference


def test_an_analyst_adds_a_ratio_measure_sees_the_preview_and_saves_it(page, sign_in_as, live_database,
                                                                       orders):
    name, reference = orders
    sign_in_as("analyst", f"/data/{name}")
    expect(page.locator("h1")).to_have_text("Web orders")
    expect(page.locator("#ds-sample-table")).to_contain_text("All rows")
    expect(page.locator("#ds-rows-grid .ag-row")).not_to_have_count(0)
    expect(page.locator("#ds-rows-grid")).to_contain_text(reference["order_id"].iloc[0])

    page.click("#ds-add-measure")
    row = "new1"
    # Text is sent when the field is left (Tab, Enter or a click elsewhere), as a person does.
    page.fill(control("ds-m-name", row), "margin_pct")
    page.press(control("ds-m-name", row), "Tab")
    page.fill(control("ds-m-label", row), "Margin")
    page.press(control("ds-m-label", row), "Tab")
    page.select_option(control("ds-m-kind", row), "ratio")
    expect(page.locator(control("ds-m-of-ratio", row))).to_be_visible()
    expect(page.locator(control("ds-m-of-column", row))).to_be_hidden()
    page.select_option(control("ds-m-numerator", row), "profit")
    page.select_option(control("ds-m-denominator", row), "revenue")
    page.select_option(control("ds-m-format", row), "percent")

    # The preview computes the draft, before it is saved.
    margin = format_value(reference["profit"].sum() / reference["revenue"].sum(), "percent")
    sample = page.locator("#ds-sample-table")
    expect(sample.locator("thead")).to_contain_text("Margin")
    expect(sample.locator("tbody tr").first).to_contain_text(margin)
    expect(page.locator("#ds-problem-text")).to_have_count(0)

    # A label typed just before Save is saved: the click leaves the field first.
    page.fill(control("ds-m-label", row), "Gross margin %")
    page.click("#ds-save")
    expect(page.locator("#ds-message")).to_contain_text("Saved Web orders: 5 measures")
    with live_database.session() as session:
        saved = get_dataset_info(session, account_of(live_database, "analyst"), name).definition
    assert [(m.name, m.label, m.numerator, m.denominator, m.format) for m in saved.measures][-1] == (
        "margin_pct", "Gross margin %", "profit", "revenue", "percent")

    page.reload()
    expect(page.locator(control("ds-m-name", "m4"))).to_have_value("margin_pct")
    expect(page.locator(control("ds-m-kind", "m4"))).to_have_value("ratio")
    expect(page.locator(control("ds-m-numerator", "m4"))).to_have_value("profit")
    expect(page.locator("#ds-sample-table thead")).to_contain_text("Gross margin %")
    expect(page.locator("#ds-sample-table tbody tr").first).to_contain_text(margin)


def test_a_problem_in_the_draft_is_shown_as_it_is_typed_and_not_saved(page, sign_in_as, live_database,
                                                                        orders):
    name, _ = orders
    sign_in_as("analyst", f"/data/{name}")
    expect(page.locator("#ds-sample-table")).to_contain_text("All rows")
    page.fill(control("ds-m-name", "m0"), "Revenue Total")
    page.press(control("ds-m-name", "m0"), "Enter")
    expect(page.locator("#ds-problem-text")).to_contain_text("Measure 1, name: a field name is lower-case")
    expect(page.locator("#ds-sample-waiting")).to_be_visible()
    page.click("#ds-save")
    expect(page.locator("#ds-message")).to_contain_text("Not saved.")
    page.click(control("ds-m-remove", "m0"))
    expect(page.locator(control("ds-m-name", "m0"))).to_have_count(0)
    expect(page.locator("#ds-problem-text")).to_have_count(0)
    expect(page.locator("#ds-sample-table thead")).not_to_contain_text("Revenue")
    with live_database.session() as session:
        saved = get_dataset_info(session, account_of(live_database, "analyst"), name).definition
    assert saved.measures[0].name == "revenue"


def test_a_reader_it_is_shared_with_sees_it_and_its_preview_read_only(page, sign_in_as, live_database,
                                                                       orders):
    name, reference = orders
    with live_database.session() as session:
        share_dataset(session, account_of(live_database, "analyst"), name, PEOPLE["viewer"][0])
    sign_in_as("viewer", f"/data/{name}")
    expect(page.locator("#ds-mode")).to_have_text("Read only")
    expect(page.locator("#ds-measures-table")).to_contain_text("sum of revenue")
    revenue = format_value(reference["revenue"].sum(), "decimal")
    expect(page.locator("#ds-sample-table tbody tr").first).to_contain_text(revenue)
    expect(page.locator("#ds-rows-grid .ag-row")).not_to_have_count(0)
    expect(page.locator("#ds-save")).to_have_count(0)
