"""A person makes an alert from a widget's menu, finds it in the Alerts tab of /reports and snoozes
it; and the bell shows a notification made for them, with its count, until they read it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data.models import utcnow
from data.notifications import notify
from tests.browser.conftest import chart_dashboard, chart_widget
from tests.helpers import account_of

pytestmark = pytest.mark.browser


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where the screenshots go: PULSEBOARD_SCREENSHOTS to keep them, else the test's folder."""
    folder = Path(os.environ.get("PULSEBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_the_bell_counts_a_new_notification_and_reading_it_clears_the_badge(page, live_database, sign_in_as,
                                                                           screenshots):
    analyst = account_of(live_database, "stranger")
    with live_database.session() as session:
        notify(session, analyst.id, "fired", "Revenue went above $1.00M", "Revenue is $1.20M.", "/dashboards",
               utcnow())
        notify(session, analyst.id, "cleared", "Orders are back to normal", "", None, utcnow())
    sign_in_as("stranger", "/")
    badge = page.locator("#nt-badge")
    expect(badge).to_have_text("2")
    expect(badge).to_be_visible()
    page.screenshot(path=screenshots / "bell-badge.png", clip={"x": 700, "y": 0, "width": 666, "height": 80})

    page.click("#nt-bell")
    popover = page.locator(".pb-bell-popover")
    expect(popover).to_be_visible()
    expect(popover.locator(".pb-bell-item")).to_have_count(2)
    expect(popover.locator(".pb-bell-unread")).to_have_count(2)
    expect(popover.locator(".pb-bell-item").first).to_contain_text("Orders are back to normal")
    expect(popover.locator(".pb-bell-item").nth(1)).to_contain_text("Revenue is $1.20M.")
    expect(popover.locator(".pb-bell-item").nth(1)).to_contain_text("just now")
    page.screenshot(path=screenshots / "bell-open.png")
    expect(badge).to_be_hidden()

    # A reload shows the count the server keeps: nothing unread. A new one counts again, and
    # "Mark all read" clears it.
    page.reload()
    page.wait_for_selector(".pb-navbar")
    expect(badge).to_be_hidden()
    with live_database.session() as session:
        notify(session, analyst.id, "error", "Margin alert failed", "The dataset is gone.", None, utcnow())
    page.reload()
    expect(badge).to_have_text("1")
    page.click("#nt-bell")
    expect(popover.locator(".pb-bell-unread")).to_have_count(1)
    page.click("#nt-mark-all")
    expect(popover.locator(".pb-bell-unread")).to_have_count(0)
    expect(badge).to_be_hidden()


def test_an_alert_made_from_a_widget_menu_is_listed_and_snoozed(page, live_database, sign_in_as, screenshots):
    dashboard_id = chart_dashboard(live_database, "analyst", "Alerting pulse", [
        chart_widget("kpi", "kpi", "Revenue"),
        chart_widget("regions", "bar", "Revenue by region", dimensions=["region"],
                     measures=["revenue", "orders"]),
        {"id": "note", "type": "text", "title": "Notes", "options": {"markdown": "Hello"}},
    ])
    sign_in_as("analyst", f"/dashboards/{dashboard_id}")
    expect(page.locator("#pb-dashboard [data-widget]:has(.js-plotly-plot .main-svg)")).to_have_count(2,
                                                                                                   timeout=20_000)
    expect(page.locator("[data-widget='note'] .pb-widget-actions")).to_have_count(0)

    card = page.locator("#pb-dashboard [data-widget='regions']")
    card.locator(".pb-export-toggle").click()
    expect(card.locator(".dropdown-menu.show .pb-export-item")).to_have_count(5)  # the downloads stay
    page.screenshot(path=screenshots / "widget-menu.png")
    card.locator(".pb-alert-item").click()
    dialog = page.locator("#al-modal")
    expect(dialog).to_be_visible()
    expect(page.locator("#al-name")).to_have_value("Revenue by region: Revenue")
    expect(page.locator("#al-measure option:not([value=''])")).to_have_text(["Revenue", "Orders"])
    expect(page.locator("#al-current")).to_contain_text("Now: $")

    page.select_option("#al-measure", "orders")
    expect(page.locator("#al-current")).not_to_contain_text("$")
    page.fill("#al-name", "Orders slump")
    page.get_by_label("Goes below").check()
    expect(page.locator("#al-band-wrap")).to_be_hidden()
    page.click("#al-save")
    expect(page.locator("#al-message")).to_contain_text("threshold")
    page.screenshot(path=screenshots / "alert-dialog.png")  # below what? it says so
    page.fill("#al-threshold", "50")
    page.fill("#al-every", "30")
    page.click("#al-save")
    expect(dialog).to_be_hidden()
    expect(page.locator("#al-toast")).to_contain_text("Orders slump")

    page.click(".pb-navbar a.nav-link[href='/reports']")
    page.get_by_role("tab", name="Alerts").click()
    row = page.locator("#al-table tr[data-alert-row]", has_text="Orders slump")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Alerting pulse · Revenue by region")
    expect(row).to_contain_text("Orders below 50")
    expect(row.locator(".pb-alert-state")).to_have_text("OK")

    row.get_by_role("button", name="Snooze").click()
    row.get_by_text("For 1 day").click()
    expect(page.locator("#al-list-message")).to_contain_text("snoozed for 1 day")
    expect(row.locator(".pb-alert-snoozed")).to_contain_text("Snoozed until")
    expect(row.get_by_role("button", name="Unsnooze")).to_be_visible()
    page.screenshot(path=screenshots / "alerts-tab.png")

    # Edit reopens the dialog as saved; delete asks first.
    row.get_by_title("Edit this alert").click()
    expect(dialog).to_be_visible()
    expect(page.locator("#al-title")).to_have_text("Edit alert")
    expect(page.locator("#al-name")).to_have_value("Orders slump")
    expect(page.locator("#al-threshold")).to_have_value("50")
    page.click("#al-cancel")
    expect(dialog).to_be_hidden()
    row.get_by_title("Delete this alert").click()
    expect(page.locator("#al-delete-body")).to_contain_text("Orders slump")
    page.click("#al-delete-confirm")
    expect(page.locator("#al-list-message")).to_have_text("Alert deleted.")
    expect(page.locator("#al-empty")).to_be_visible()
