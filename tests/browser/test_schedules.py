"""Scheduled reports in Chromium: an analyst schedules a dashboard from its action bar, in the
browser's own timezone, sees it in the Schedules tab of Reports with its next run, pauses and
resumes it, sends it now (once, even on a double click), and deletes it; the console stays free
of errors throughout."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data.dashboards import set_share
from data.delivery_models import ScheduleRun
from tests.browser.conftest import chart_dashboard, chart_widget, sign_in
from tests.browser.test_dashboards import DASH_IDLE
from tests.conftest import PEOPLE
from tests.helpers import account_of

pytestmark = pytest.mark.browser

TIMEZONE = "America/New_York"


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("PULSEBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def tab(browser, live_server):
    """A page in a browser that lives in New York; like `page`, it fails the test on any
    console error."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, timezone_id=TIMEZONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert problems == [], "the browser console showed errors"


def test_an_analyst_schedules_a_report_then_pauses_resumes_and_deletes_it(tab, live_server, live_database,
                                                                         screenshots):
    dashboard_id = chart_dashboard(live_database, "analyst", "Weekly pulse", [
        chart_widget("kpi", "kpi", "Revenue"),
        chart_widget("regions", "bar", "Revenue by region", dimensions=["region"]),
    ])
    sign_in(tab, live_server, "analyst", f"/dashboards/{dashboard_id}")

    tab.get_by_role("button", name="Schedule report").click()
    dialog = tab.locator("#sc-modal")
    expect(dialog.locator("#sc-title")).to_have_text("Schedule report")
    expect(dialog.locator("#sc-subject")).to_have_value("Weekly pulse report")
    expect(dialog.locator("#sc-timezone")).to_contain_text(TIMEZONE)  # the browser's
    expect(dialog.locator("#sc-next-runs li")).to_have_count(3)
    expect(dialog.locator("#sc-emails-note")).to_contain_text("only to people with a Pulseboard account")

    dialog.get_by_label("Excel workbook").check()
    dialog.locator("#sc-frequency").select_option("weekly")
    expect(dialog.locator("#sc-weekday")).to_be_visible()
    dialog.locator("#sc-weekday").select_option(label="Friday")
    dialog.locator("#sc-time").fill("09:30")
    expect(dialog.locator("#sc-next-runs li").first).to_contain_text("Fri")
    expect(dialog.locator("#sc-next-runs li").first).to_contain_text("09:30")

    # A cron expression that is not one says so at once.
    dialog.locator("#sc-frequency").select_option("cron")
    dialog.locator("#sc-cron").fill("every friday")
    expect(dialog.locator("#sc-preview-problem")).to_contain_text("A cron expression has 5 fields")
    dialog.locator("#sc-frequency").select_option("weekly")

    # Another recipient, picked by name.
    dialog.locator("#sc-users").click()
    tab.keyboard.type("Vera")
    tab.get_by_role("option", name="Vera Viewer").click()
    expect(dialog.locator("#sc-users")).to_contain_text("Vera Viewer")

    tab.screenshot(path=screenshots / "schedule-dialog.png", full_page=True)
    dialog.get_by_role("button", name="Save schedule").click()
    expect(dialog).to_be_hidden()
    toast = tab.locator(".pb-schedule-toast")
    expect(toast).to_contain_text("“Weekly pulse report”: next run Fri")

    toast.get_by_role("link", name="Reports › Schedules").click()
    tab.wait_for_url(f"{live_server}/reports?tab=schedules")
    row = tab.locator("#sc-table tbody tr", has_text="Weekly pulse report")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Weekly on Friday at 09:30 (America/New_York)")
    expect(row).to_contain_text("Vera Viewer")
    expect(row).to_contain_text("Not run yet")
    expect(row.locator(".pb-next-run")).to_contain_text("09:30 EST")
    expect(tab.locator("#sc-table thead")).to_contain_text(f"Next run ({TIMEZONE})")
    tab.screenshot(path=screenshots / "schedules-tab.png")

    row.get_by_role("button", name="Pause").click()
    expect(row.locator(".pb-next-run")).to_have_text("Paused")
    expect(tab.locator("#sc-list-message")).to_contain_text("is paused")
    row.get_by_role("button", name="Resume").click()
    expect(row.locator(".pb-next-run")).to_contain_text("09:30 EST")
    expect(tab.locator("#sc-list-message")).to_contain_text("resumed: the next run is Fri")

    # Edit reopens the dialog with the schedule's values.
    row.get_by_role("button", name="Edit").click()
    expect(dialog.locator("#sc-title")).to_have_text("Edit schedule")
    expect(dialog.locator("#sc-frequency")).to_have_value("weekly")
    expect(dialog.locator("#sc-time")).to_have_value("09:30")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()

    # Send now: the run shows in the history as it goes. This server has no SMTP set up, so it
    # fails, and says why. A double click makes one run: the button turns itself off at once.
    row.get_by_role("button", name="Send now").dblclick()
    expect(tab.locator("#sc-list-message")).to_contain_text("Sending “Weekly pulse report”…")
    runs = tab.locator("#sc-history-modal")
    expect(runs.locator("#sc-runs tbody tr")).to_have_count(1)
    expect(runs.locator("#sc-runs tbody tr")).to_contain_text("Send now")
    expect(runs.locator("#sc-runs tbody tr")).to_contain_text("Email is not set up", timeout=30_000)
    runs.get_by_role("button", name="Close").click()
    expect(row).to_contain_text("Failed")
    expect(row.get_by_role("button", name="Send now")).to_be_enabled()  # the run ended: on again
    tab.wait_for_function(DASH_IDLE)
    with live_database.session() as session:
        assert session.query(ScheduleRun).count() == 1

    row.get_by_role("button", name="Delete").click()
    confirm = tab.locator("#sc-delete-modal")
    expect(confirm).to_contain_text("Weekly pulse report")
    confirm.get_by_role("button", name="Delete").click()
    expect(tab.locator("#sc-list-message")).to_contain_text("Schedule “Weekly pulse report” deleted.")
    expect(tab.locator("#sc-table tbody tr", has_text="Weekly pulse report")).to_have_count(0)
    tab.wait_for_function(DASH_IDLE)


def test_a_viewer_is_not_offered_schedule_report(page, live_server, live_database, sign_in_as):
    dashboard_id = chart_dashboard(live_database, "analyst", "Shared pulse",
                                   [chart_widget("kpi", "kpi", "Revenue")])
    with live_database.session() as session:
        set_share(session, account_of(live_database, "analyst"), dashboard_id, PEOPLE["viewer"][0], "view")
    sign_in_as("viewer", f"/dashboards/{dashboard_id}")
    expect(page.get_by_role("button", name="Export")).to_be_visible()
    expect(page.get_by_role("button", name="Schedule report")).to_have_count(0)
    page.goto(f"{live_server}/reports?tab=schedules")
    expect(page.locator("#sc-empty")).to_be_visible()
