"""An admin connects a SQLite file in Chromium: tests it, saves it (the URL field is emptied and
the list shows it), picks a table and makes a dataset of it."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from context import EXTENSION
from tests.integration.test_connections import _create_orders

pytestmark = pytest.mark.browser


def test_an_admin_connects_a_sqlite_file_and_makes_a_dataset_of_a_table(page, sign_in_as, live_app):
    folder = live_app.server.extensions[EXTENSION].settings.allowed_sqlite_folder
    folder.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:8]
    _create_orders(f"sqlite:///{folder / f'shop_{suffix}.db'}", "orders", "orders_by_region")
    sign_in_as("admin", "/data/connections")
    expect(page.locator("h1")).to_have_text("Database connections")

    page.fill("#cn-name", f"Shop {suffix}")
    page.fill("#cn-url", f"sqlite:///shop_{suffix}.db")
    page.click("#cn-test")
    expect(page.locator("#cn-test-result")).to_contain_text("Connected: SQLite")
    page.click("#cn-save")
    expect(page.locator("#cn-message")).to_contain_text(f"Saved the connection 'Shop {suffix}'")
    expect(page.locator("#cn-url")).to_have_value("")
    expect(page.locator(f"[data-connection='Shop {suffix}']")).to_contain_text(f"shop_{suffix}.db")

    # Saving picked the new connection for the dataset form; its tables are listed.
    page.click("#cn-relation")
    page.get_by_text("main.orders", exact=True).click()
    expect(page.locator("#cn-preview")).to_contain_text("ordered_at · datetime")
    expect(page.locator("#cn-time-column")).to_have_value("day")
    page.fill("#cn-dataset-name", f"web_{suffix}")
    page.fill("#cn-dataset-title", "Web orders")
    page.click("#cn-create")
    expect(page.locator("#cn-create-message")).to_contain_text(f"Created the dataset web_{suffix} (3 rows)")
    expect(page.locator(f"[data-connection='Shop {suffix}']")).to_contain_text(f"web_{suffix}")
