"""An analyst brings their own data in Chromium: uploads a CSV made here, retypes a column,
picks the time column, imports it with a progress bar, and finds it in the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from data.dataset_store import get_dataset_info
from tests.helpers import account_of

pytestmark = pytest.mark.browser

ROWS = 240_000  # enough for several chunks of 50,000, so the job reports progress while it runs

# Every text the status line shows, recorded in the page as it changes.
RECORD_STATUS = """() => {
    window.pbStatusTexts = [];
    const status = document.getElementById('data-status');
    new MutationObserver(() => window.pbStatusTexts.push(status.textContent))
        .observe(status, {childList: true, subtree: true, characterData: true});
}"""


def write_shipments(path, rows: int) -> None:
    """Shipments with two date columns and a numeric code (which should stay text)."""
    with path.open("w", encoding="utf-8", newline="") as file:
        file.write("Shipped,Received,Warehouse,Parcels,Code\n")
        for n in range(rows):
            day = n % 28 + 1
            file.write(f"2026-01-{day:02d},2026-02-{day:02d},W{n % 3},{n % 7 + 1},{n % 900 + 100}\n")


def test_an_analyst_uploads_a_csv_retypes_a_column_picks_the_time_column_and_imports_it(
        page, sign_in_as, live_database, tmp_path):
    path = tmp_path / "shipments.csv"
    write_shipments(path, ROWS)
    sign_in_as("analyst", "/data")
    expect(page.locator("tr[data-dataset='sales']")).to_contain_text("Built-in demo")

    page.set_input_files("#data-upload input[type=file]", str(path))
    expect(page.locator("#data-panel")).to_be_visible(timeout=60_000)
    summary = f"shipments.csv · CSV, UTF-8, comma-separated · {ROWS:,} rows"
    expect(page.locator("#data-file-summary")).to_contain_text(summary)
    expect(page.locator("#data-rows-grid .ag-row")).not_to_have_count(0)
    expect(page.locator("#data-name")).to_have_value("shipments")
    code_type = page.get_by_label("Type of column Code")
    expect(code_type).to_have_value("integer")
    code_type.select_option("text")
    time_column = page.locator("#data-time-column")
    expect(time_column).to_have_value("0")  # Shipped, the first date column
    time_column.select_option(label="Received")
    page.fill("#data-title", "Shipments")

    page.evaluate(RECORD_STATUS)
    page.click("#data-import")
    status = page.locator("#data-status")
    expect(status).to_contain_text(f"Imported {ROWS:,} rows into Shipments", timeout=120_000)
    shown = page.evaluate("window.pbStatusTexts")
    assert any(text.startswith("Importing: ") and " of about " in text for text in shown), shown
    expect(page.locator("#data-progress .progress-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#data-panel")).to_be_hidden()
    expect(status.get_by_role("link", name="Shipments")).to_have_attribute("href", "/data/shipments")

    row = page.locator("tr[data-dataset='shipments']")
    expect(row).to_contain_text("Upload")
    expect(row).to_contain_text(f"{ROWS:,}")
    expect(row).to_contain_text("Alan Analyst")
    with live_database.session() as session:
        info = get_dataset_info(session, account_of(live_database, "analyst"), "shipments")
    assert info.definition.time_column == "received" and info.row_count == ROWS
    assert info.definition.column_types()["code"] == "text"
