"""Exports in Chromium: a chart's menu downloads the chart as the user sees it (zoomed, with a
legend entry hidden), an Overview chart downloads too, and a dashboard exports through its
dialog in the background, with a progress bar, a Cancel button and its history in Reports.

Set PULSEBOARD_SCREENSHOTS to a folder to keep the screenshots these tests take (the open export
menu, the dialog mid-export); by default they go to the test's temporary folder.
"""

from __future__ import annotations

import csv
import io
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import (
    chart_dashboard,
    chart_widget,
    expect_in_history_without_download,
    twenty_four_charts,
)
from tests.browser.test_dashboards import DASH_IDLE

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"
REGIONS = ["APAC", "EMEA", "LATAM", "North America"]
STAMP = r"\d{4}-\d\d-\d\d \d{4}"  # the time in a download's name: "Revenue by day 2026-11-21 1405.pdf"
# Every line the dialog's status shows under its progress bar, recorded as it changes: it moves on
# as the job goes, and a test must not miss a line that was on screen for a moment only.
RECORD_STATUS = """() => {
    window.pbStatusLines = [];
    const status = document.getElementById('xd-status');
    const note = () => {
        const text = status.textContent.trim();
        const seen = window.pbStatusLines;
        if (text && seen[seen.length - 1] !== text) { seen.push(text); }
    };
    new MutationObserver(note).observe(status, {subtree: true, childList: true, characterData: true});
}"""
# Whether nothing covers or clips each of these elements: what the page shows at the middle of
# each is the element itself (Playwright's own click would scroll a clipped item into view).
ALL_ON_TOP = """items => items.every(item => {
    const box = item.getBoundingClientRect();
    return item.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
})"""
RENDERING_OR_DONE = """() => /^(Rendering|Done)/.test(document.getElementById('xd-status').textContent)"""


@pytest.fixture
def screenshots(tmp_path) -> Path:
    folder = Path(os.environ.get("PULSEBOARD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _download(page, card, fmt: str, folder: Path):
    """Open `card`'s export menu, click `fmt`, and save the file it downloads; returns its path
    and the name the browser was given."""
    card.locator(".pb-export-toggle").click()
    item = card.locator(".dropdown-menu.show .pb-export-item", has_text=fmt)
    with page.expect_download() as info:
        item.click()  # fails if anything covers the item: a clipped menu cannot be clicked
    download = info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    return path, download.suggested_filename


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _svg_groups(svg: bytes, prefix: str) -> list:
    """The <g> elements of a plotly SVG whose class starts with `prefix`, in document order."""
    root = ET.fromstring(svg)  # noqa: S314 (drawn by our own renderer from our own figure)
    return [group for group in root.iter(f"{SVG}g") if group.get("class", "").startswith(prefix)]


def _x_ticks(svg: bytes) -> list[str]:
    """The x axis's tick labels in a plotly SVG, left to right."""
    return ["".join(tick.itertext()).strip() for tick in _svg_groups(svg, "xtick")]


def _drawn_lines(svg: bytes) -> int:
    """How many line traces a plotly SVG draws in its plot; a trace hidden from the legend is not."""
    return len(_svg_groups(svg, "trace scatter"))


def test_a_chart_downloads_as_shown_on_screen_zoomed_and_with_a_legend_entry_hidden(
        page, live_server, live_database, sign_in_as, tmp_path, screenshots):
    dashboard_id = chart_dashboard(live_database, "analyst", "Chart menus", [
        chart_widget("daily", "line", "Revenue by day and region", dimensions=["region"], time_grain="day"),
        chart_widget("kpi", "kpi", "Revenue"),
        chart_widget("regions", "bar", "Revenue by region", dimensions=["region"]),
        chart_widget("countries", "table", "Top countries", dimensions=["country"], limit=10),
    ], layout=[{"i": "daily", "x": 0, "y": 0, "w": 6, "h": 4},
               {"i": "kpi", "x": 6, "y": 0, "w": 6, "h": 2},
               {"i": "regions", "x": 6, "y": 2, "w": 6, "h": 2},
               {"i": "countries", "x": 0, "y": 4, "w": 12, "h": 3}])
    sign_in_as("analyst", f"/dashboards/{dashboard_id}")
    drawn = page.locator("#pb-dashboard [data-widget]:has(.js-plotly-plot .main-svg)")
    expect(drawn).to_have_count(3, timeout=20_000)

    # The menu of a card two rows high is taller than the card: it shows in full, over the card
    # below, and its last item downloads.
    kpi = page.locator("#pb-dashboard [data-widget='kpi']")
    kpi.locator(".pb-export-toggle").click()
    items = kpi.locator(".dropdown-menu.show .pb-export-item")
    expect(items).to_have_text(["PNG", "SVG", "PDF", "Excel", "CSV"])
    page.wait_for_function(ALL_ON_TOP, arg=items.element_handles(), timeout=5_000)
    page.screenshot(path=screenshots / "export-menu.png")
    kpi.locator(".pb-export-toggle").click()
    expect(kpi.locator(".dropdown-menu.show")).to_have_count(0)
    path, name = _download(page, kpi, "CSV", tmp_path)
    assert re.fullmatch(rf"Revenue {STAMP}\.csv", name)
    assert _csv_rows(path)[0] == ["Time", "Revenue"]

    # A table has no picture to give, so its menu offers no PNG or SVG.
    table = page.locator("#pb-dashboard [data-widget='countries']")
    table.locator(".pb-export-toggle").click()
    expect(table.locator(".dropdown-menu.show .pb-export-item:visible")).to_have_text(["PDF", "Excel", "CSV"])
    table.locator(".pb-export-toggle").click()

    chart = page.locator("#pb-dashboard [data-widget='daily']")
    path, name = _download(page, chart, "PDF", tmp_path)
    assert re.fullmatch(rf"Revenue by day and region {STAMP}\.pdf", name)
    assert "Revenue by day and region" in "".join(p.extract_text() for p in PdfReader(path).pages)
    whole = _download(page, chart, "SVG", tmp_path)[0].read_bytes()
    assert _drawn_lines(whole) == len(REGIONS)

    # Zoom in by dragging across the middle of the plot, then hide LATAM from its legend entry.
    plot = chart.locator(".nsewdrag").bounding_box()
    middle = plot["y"] + plot["height"] / 2
    page.mouse.move(plot["x"] + plot["width"] * 0.3, middle)
    page.mouse.down()
    page.mouse.move(plot["x"] + plot["width"] * 0.6, middle, steps=8)
    page.mouse.up()
    graph = chart.locator(".js-plotly-plot").element_handle()
    page.wait_for_function("graph => graph.layout.xaxis.autorange === false", arg=graph)
    chart.locator(".legend .traces", has_text="LATAM").click()
    page.wait_for_function("graph => graph.data.some(t => t.name === 'LATAM' && t.visible === 'legendonly')",
                           arg=graph)
    ticks_on_screen = chart.locator(".xaxislayer-above .xtick").all_text_contents()

    zoomed = _download(page, chart, "SVG", tmp_path)[0].read_bytes()
    assert _x_ticks(zoomed) == [tick.strip() for tick in ticks_on_screen]
    assert _x_ticks(zoomed) != _x_ticks(whole)
    assert _drawn_lines(zoomed) == len(REGIONS) - 1


def test_an_overview_chart_downloads_as_csv_with_its_header(page, live_server, sign_in_as, tmp_path):
    sign_in_as("viewer", "/")
    card = page.locator("[data-export='regions']")
    expect(card.locator(".scatterlayer .trace").first).to_be_attached(timeout=20_000)
    path, name = _download(page, card, "CSV", tmp_path)
    assert re.fullmatch(rf"Revenue by region {STAMP}\.csv", name)
    rows = _csv_rows(path)
    assert rows[0] == ["Time", *REGIONS]
    assert len(rows) > 1


def _open_dialog(page) -> None:
    """Click Export and wait until the dialog has filled in the user's last choices."""
    page.click("#xd-open")
    expect(page.locator("#xd-modal")).to_be_visible()
    page.wait_for_function(DASH_IDLE)
    expect(page.locator("#xd-start")).to_be_enabled()


def test_a_dashboard_exports_to_excel_through_the_dialog_and_stays_in_reports(
        page, live_server, live_database, sign_in_as, screenshots):
    charts = [chart_widget(f"w{n}", "bar", title, dimensions=[dimension])
              for n, (title, dimension) in enumerate(
        [("By region", "region"), ("By country", "country"), ("By segment", "segment"),
         ("By category", "category"), ("By sub-category", "sub_category"), ("By product", "product")])]
    widgets = [*charts, chart_widget("mix", "pie", "Revenue mix", dimensions=["category"])]
    dashboard_id = chart_dashboard(live_database, "analyst", "Workbook pulse", widgets)
    sign_in_as("analyst", f"/dashboards/{dashboard_id}")
    expect(page.locator("#pb-dashboard [data-widget]")).to_have_count(len(widgets))

    _open_dialog(page)
    dialog = page.locator("#xd-modal")
    dialog.get_by_label("Excel workbook").check()
    dialog.get_by_label("Detailed report").check()
    dialog.locator("#xd-widgets").get_by_label("Revenue mix").uncheck()
    page.evaluate(RECORD_STATUS)
    with page.expect_download(timeout=60_000) as info:
        page.click("#xd-start")
        expect(page.locator("#xd-cancel")).to_be_enabled()
        expect(page.locator("#xd-start")).to_be_disabled()
        page.wait_for_function(RENDERING_OR_DONE, timeout=60_000)
        page.screenshot(path=screenshots / "export-dialog-running.png")
    download = info.value
    expect(page.locator("#xd-status")).to_contain_text("Done: the file is downloading")
    expect(page.locator("#xd-progress .progress-bar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#xd-cancel")).to_be_disabled()
    lines = page.evaluate("window.pbStatusLines")
    # The status follows the job: "Starting…", then whatever progress Dash polled while it ran
    # (the export is fast, so how many of those show depends on timing), then "Done".
    progress = rf"Rendering \d of {len(charts)}: By .+|Writing the file"
    assert lines[0] == "Starting…" and lines[-1].startswith("Done: the file is downloading"), lines
    assert all(re.fullmatch(progress, line) for line in lines[1:-1]), lines
    assert re.fullmatch(rf"Workbook pulse {STAMP}\.xlsx", download.suggested_filename)
    workbook = Path(download.path()).read_bytes()
    sheets = openpyxl.load_workbook(io.BytesIO(workbook)).sheetnames
    assert {widget["title"] for widget in charts} <= set(sheets)
    assert "Revenue mix" not in sheets

    # The status links to Reports, where the export is kept; its Download gives the same file.
    page.locator("#xd-status").get_by_role("link", name="Reports").click()
    page.wait_for_url(f"{live_server}/reports")
    row = page.locator("#xp-history tbody tr", has_text="Workbook pulse")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Excel")
    expect(row).to_contain_text("Ready")
    with page.expect_download() as again:
        row.get_by_role("link", name="Download").click()
    assert again.value.suggested_filename == download.suggested_filename
    assert Path(again.value.path()).read_bytes() == workbook

    # Back on the dashboard, after a full page load, the dialog opens with the last choices.
    page.goto(f"{live_server}/dashboards/{dashboard_id}")
    _open_dialog(page)
    expect(dialog.get_by_label("Excel workbook")).to_be_checked()
    expect(dialog.get_by_label("Detailed report")).to_be_checked()
    expect(dialog.locator("#xd-widgets").get_by_label("Revenue mix")).not_to_be_checked()
    expect(dialog.locator("#xd-widgets").get_by_label("By region")).to_be_checked()
    expect(dialog.locator("#xd-range option:checked")).to_have_text("The dashboard's own")
    expect(dialog.locator("#xd-dates")).to_be_disabled()  # the custom dates wait for "Custom dates"
    dialog.locator("#xd-range").select_option(label="Custom dates")
    expect(dialog.locator("#xd-dates")).to_be_enabled()


def test_a_cancelled_dashboard_export_stops_and_leaves_nothing_to_download(
        page, live_server, live_database, sign_in_as):
    # Cancel, clicked as soon as it can be, always lands while the 24-chart job still runs.
    widgets = twenty_four_charts()
    dashboard_id = chart_dashboard(live_database, "editor", "Twenty-four charts", widgets)
    sign_in_as("editor", f"/dashboards/{dashboard_id}")
    expect(page.locator("#pb-dashboard [data-widget]")).to_have_count(len(widgets))

    _open_dialog(page)
    page.locator("#xd-modal").get_by_label("PDF report").check()
    page.click("#xd-start")
    cancel = page.locator("#xd-cancel")
    expect(cancel).to_be_enabled()
    cancel.click()
    expect(page.locator("#xd-status")).to_contain_text("Cancelled: nothing was saved", timeout=30_000)
    expect(cancel).to_be_disabled()
    expect(cancel).to_have_text("Cancel export")
    expect(page.locator("#xd-start")).to_be_enabled()

    expect_in_history_without_download(page, "Twenty-four charts", "PDF", "Cancelled")
