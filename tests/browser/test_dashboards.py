"""A person builds a dashboard in Chromium: creates it, adds widgets, drags and resizes them, saves,
shares it with a viewer, and publishes and revokes its public link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from components.widgets import ROW_HEIGHT
from data.dashboard_edit import add_widget
from data.dashboard_spec import GRID_COLUMNS, WIDGET_TYPES, DashboardSpec
from data.dashboards import create_dashboard, load_dashboard
from tests.conftest import PEOPLE
from tests.helpers import account_of

pytestmark = pytest.mark.browser

MARGIN = 12  # px between grid cells, as components/dashboard.py sets them
ROW_PITCH = ROW_HEIGHT + MARGIN

# Where the grid shows each card, in grid units, from the pixels it placed the card at:
# {widget id: [x, y, w, h]}. Once a drag or resize ends, the grid writes each card's snapped place
# into its style (a CSS transition then animates the card there), so this reads where cards end up.
GRID_PLACES = f"""() => {{
    const grid = document.querySelector('#pb-dashboard .react-grid-layout');
    const pitch = (grid.clientWidth + {MARGIN}) / {GRID_COLUMNS};
    const places = {{}};
    for (const item of grid.querySelectorAll(':scope > .react-grid-item:not(.react-grid-placeholder)')) {{
        const card = item.querySelector('[data-widget]');
        const [, left, top] = /translate\\((-?[\\d.]+)px, *(-?[\\d.]+)px\\)/.exec(item.style.transform);
        places[card.dataset.widget] = [
            Math.round(parseFloat(left) / pitch), Math.round(parseFloat(top) / {ROW_PITCH}),
            Math.round((parseFloat(item.style.width) + {MARGIN}) / pitch),
            Math.round((parseFloat(item.style.height) + {MARGIN}) / {ROW_PITCH})];
    }}
    return places;
}}"""

# Whether the Dash renderer has no callback waiting, running or about to apply its result
# (the condition Dash's own test harness waits for).
DASH_IDLE = """() => {
    if (!window.store) { return false; }
    const callbacks = Object.assign({}, window.store.getState().callbacks);
    delete callbacks.stored;
    delete callbacks.completed;
    return Object.values(callbacks).every((list) => list.length === 0);
}"""


def _palette_button(kind: str) -> str:
    return f"""[id*='"kind":"{kind}"']"""


def _card(widget_id: str) -> str:
    return f".react-grid-item:has(#wg-{widget_id})"


def _wait_until_drawn(page, count: int) -> None:
    """Wait for `count` widget cards, each with its plotly graph drawn."""
    cards = page.locator("#pb-dashboard [data-widget]")
    expect(cards).to_have_count(count)
    drawn = page.locator("#pb-dashboard [data-widget]:has(.js-plotly-plot .main-svg)")
    expect(drawn).to_have_count(count, timeout=20_000)


def _places(page) -> dict[str, tuple[int, int, int, int]]:
    """Where the grid shows each widget: {widget id: (x, y, w, h)}."""
    return {widget: tuple(place) for widget, place in page.evaluate(GRID_PLACES).items()}


def _wait_for_place(page, widget_id: str, changed_from: tuple) -> tuple:
    """Wait until the grid shows the widget at a new place and the app has taken the change in;
    returns the new place."""
    page.wait_for_function(f"([id, old]) => JSON.stringify(({GRID_PLACES})()[id]) !== JSON.stringify(old)",
                           arg=[widget_id, list(changed_from)])
    page.wait_for_function(DASH_IDLE)
    return _places(page)[widget_id]


def _drag(page, widget_id: str, dx: float, dy: float) -> None:
    """Press on the card's header and move it by (dx, dy) pixels, in steps, as a hand would."""
    box = page.locator(f"{_card(widget_id)} .pb-widget-handle").bounding_box()
    x, y = box["x"] + min(40, box["width"] / 4), box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=10)
    page.mouse.up()


def _resize(page, widget_id: str, dx: float, dy: float) -> None:
    """Press on the card's bottom-right corner handle and pull it by (dx, dy) pixels."""
    box = page.locator(f"{_card(widget_id)} .react-resizable-handle-se").bounding_box()
    x, y = box["x"] + box["width"] - 3, box["y"] + box["height"] - 3
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + dx, y + dy, steps=10)
    page.mouse.up()


def _saved_places(live_database, dashboard_id: int) -> dict[str, tuple[int, int, int, int]]:
    """The layout of the saved document, read back as its owner."""
    with live_database.session() as session:
        record = load_dashboard(session, account_of(live_database, "analyst"), dashboard_id)
    return {item.i: (item.x, item.y, item.w, item.h) for item in record.spec.layout}


def _create_dashboard(page, live_server, title: str) -> int:
    """From the gallery: New dashboard, give it a title, land in its builder; returns its id."""
    page.click("#gal-new-open")
    page.fill("#gal-new-title", title)
    page.click("#gal-new-submit")
    page.wait_for_url(f"{live_server}/dashboards/*/edit")
    expect(page.locator("#db-title")).to_have_value(title)
    return int(page.url.split("/")[-2])


def _add_widgets(page, kinds) -> list[str]:
    """Click each palette button, waiting for its card as a person would; returns the new ids."""
    cards = page.locator("#pb-dashboard [data-widget]")
    for count, kind in enumerate(kinds, 1):
        page.click(_palette_button(kind))
        expect(cards).to_have_count(count)
        expect(cards.nth(count - 1)).to_have_class(f"pb-card pb-widget pb-widget--{kind}")
    return [cards.nth(index).get_attribute("data-widget") for index in range(len(kinds))]


def _open_share_dialog(page) -> None:
    page.click("#share-open")
    expect(page.locator("#share-modal")).to_be_visible()
    expect(page.locator("#share-public-switch")).to_be_visible()


def test_a_built_dashboard_keeps_its_layout_and_is_shared_read_only_and_publicly(
        page, live_server, live_database, sign_in_as, open_page):
    sign_in_as("analyst", "/dashboards")
    dashboard_id = _create_dashboard(page, live_server, "Browser pulse")
    widgets = _add_widgets(page, ["line", "bar", "kpi"])
    line, _, kpi = widgets
    _wait_until_drawn(page, 3)
    page.wait_for_function(DASH_IDLE)  # the grid reports its layout once drawn; let that pass
    added = _places(page)

    # Drag the KPI card eight columns to the right, then pull the line chart's corner out.
    pitch = page.evaluate("(document.querySelector('#pb-dashboard .react-grid-layout').clientWidth"
                          f" + {MARGIN}) / {GRID_COLUMNS}")
    _drag(page, kpi, 8 * pitch, 0)
    dragged = _wait_for_place(page, kpi, added[kpi])
    assert dragged[0] > added[kpi][0] and dragged[2:] == added[kpi][2:], (added[kpi], dragged)
    _resize(page, line, 150, 100)
    resized = _wait_for_place(page, line, added[line])
    assert resized[:2] == added[line][:2], (added[line], resized)
    assert resized[2] > added[line][2] and resized[3] > added[line][3], (added[line], resized)
    shown = _places(page)
    expect(page.locator("#db-dirty")).to_have_text("Unsaved changes")

    page.click("#db-save")
    expect(page.locator("#db-message")).to_contain_text("Saved as version 2")
    expect(page.locator("#db-dirty")).to_have_text("All changes saved")
    assert _saved_places(live_database, dashboard_id) == shown

    page.reload()
    _wait_until_drawn(page, 3)
    page.wait_for_function(DASH_IDLE)
    assert _places(page) == shown
    expect(page.locator("#db-dirty")).to_have_text("All changes saved")

    # Share it with the viewer, from the view page.
    page.click("#db-done")
    page.wait_for_url(f"{live_server}/dashboards/{dashboard_id}")
    expect(page.locator("#db-edit-link")).to_be_visible()
    _open_share_dialog(page)
    viewer_email, viewer_name, _ = PEOPLE["viewer"]
    page.fill("#share-email", viewer_email)
    expect(page.locator("#share-new-permission")).to_have_value("view")
    page.click("#share-add")
    expect(page.locator("#share-message")).to_contain_text(f"Shared with {viewer_name}")
    expect(page.locator(f"#share-list tr[data-email='{viewer_email}'] select")).to_have_value("view")

    viewer = open_page("viewer", f"/dashboards/{dashboard_id}")
    expect(viewer.locator("h1.pb-page-title")).to_have_text("Browser pulse")
    _wait_until_drawn(viewer, 3)
    assert _places(viewer) == shown
    expect(viewer.locator("#db-edit-link")).to_have_count(0)
    expect(viewer.locator("#share-open")).to_have_count(0)
    expect(viewer.locator("#pb-dashboard .pb-widget-handle")).to_have_count(0)
    expect(viewer.locator("#pb-dashboard .react-grid-item.react-draggable")).to_have_count(0)
    # The grid keeps its corner handles in the page, hidden, when resizing is off.
    expect(viewer.locator("#pb-dashboard .react-grid-item.react-resizable-hide")).to_have_count(3)
    expect(viewer.locator("#pb-dashboard .react-resizable-handle:visible")).to_have_count(0)
    viewer.goto(f"{live_server}/dashboards/{dashboard_id}/edit")
    expect(viewer.locator("#pb-dashboard-missing")).to_contain_text("Dashboard not found")
    expect(viewer.locator("#db-save")).to_have_count(0)

    # Publish the public link, open it signed out, then revoke it.
    page.click("#share-public-switch")
    expect(page.locator("#share-message")).to_contain_text("The public link is on")
    link = page.locator("#share-public-url").input_value()
    assert link.startswith(f"{live_server}/public/")

    stranger = open_page()
    stranger.goto(link)
    expect(stranger.locator("h1.pb-page-title")).to_have_text("Browser pulse")
    sections = stranger.locator("section[data-widget]")
    expect(sections).to_have_count(3)
    assert [sections.nth(index).get_attribute("data-widget") for index in range(3)] == widgets
    expect(stranger.locator("section[data-widget] [data-body][data-drawn='1']")).to_have_count(3)

    page.click("#share-public-switch")
    expect(page.locator("#share-message")).to_contain_text("The public link is revoked")
    expect(page.locator("#share-public-url")).to_have_count(0)
    # Asked from the signed-out context: opening a 404 in a tab would log a console error.
    assert stranger.request.get(link).status == 404


def test_leaving_the_builder_with_unsaved_changes_asks_first(page, live_server, sign_in_as):
    sign_in_as("analyst", "/dashboards")
    dashboard_id = _create_dashboard(page, live_server, "Half done")
    expect(page.locator("#db-dirty")).to_have_text("All changes saved")
    _add_widgets(page, ["bar"])
    expect(page.locator("#db-dirty")).to_have_text("Unsaved changes")
    questions = []

    def stay(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    def leave(dialog):
        questions.append(dialog.message)
        dialog.accept()

    # The click returns once the confirm dialog is answered.
    page.once("dialog", stay)
    page.click(".pb-navbar a.nav-link[href='/dashboards']")
    assert questions == ["You have unsaved changes. Leave this dashboard without saving them?"]
    assert page.url == f"{live_server}/dashboards/{dashboard_id}/edit"
    expect(page.locator("#db-dirty")).to_have_text("Unsaved changes")
    expect(page.locator("#pb-dashboard [data-widget]")).to_have_count(1)

    # The browser's Back button asks too; staying keeps the page and the work.
    page.once("dialog", stay)
    page.go_back(wait_until="commit")
    page.wait_for_function("document.body.dataset.unsaved === '1' && !!document.getElementById('db-save')")
    assert len(questions) == 2 and page.url == f"{live_server}/dashboards/{dashboard_id}/edit"
    expect(page.locator("#pb-dashboard [data-widget]")).to_have_count(1)

    page.once("dialog", leave)
    page.click("#db-done")
    page.wait_for_url(f"{live_server}/dashboards/{dashboard_id}")
    assert len(questions) == 3
    expect(page.locator("#pb-dashboard")).to_contain_text("No widgets yet")  # nothing was saved


def test_every_widget_type_draws_on_the_view_and_a_click_cross_filters(
        page, live_server, live_database, sign_in_as):
    """Every widget type draws with the dashboards' partial plotly.js (a trace it lacked would
    fail in the console), and a click on a bar filters the other widgets."""
    spec = DashboardSpec(title="Every widget")
    for kind in WIDGET_TYPES:
        spec, _ = add_widget(spec, kind)
    with live_database.session() as session:
        dashboard_id = create_dashboard(session, account_of(live_database, "analyst"), spec).id
    sign_in_as("analyst", f"/dashboards/{dashboard_id}")
    charts = len([kind for kind in WIDGET_TYPES if kind not in ("table", "text")])
    page.wait_for_function(f"""() => document.querySelectorAll(
        '#pb-dashboard .js-plotly-plot .main-svg').length >= {charts}""")
    table = page.locator("#pb-dashboard .pb-widget--table")
    table.scroll_into_view_if_needed()  # AG Grid shows its rows once the grid is on screen
    expect(table.locator(".ag-center-cols-container .ag-row").first).to_be_visible()
    expect(page.locator("#pb-dashboard .pb-widget--text h3")).to_have_text("Notes")
    assert page.locator("#pb-dashboard .pb-widget-error").count() == 0
    bar = page.locator("#pb-dashboard .pb-widget--bar .bars .point path").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] - 4)
    chip = page.locator("[data-chip^='cross:']")
    expect(chip).to_contain_text("Region:")
    page.wait_for_function(DASH_IDLE)
    chip.locator("button").click()
    expect(chip).to_have_count(0)


PLOTLY_TIMING = """() => {
    const entries = performance.getEntriesByType("resource");
    const plotly = entries.filter((e) => /\\/public\\/plotly-[0-9a-f]+\\.min\\.js/.test(e.name));
    const answers = entries.filter((e) => e.name.includes("/_dash-update-component"));
    const page = answers.reduce((big, e) => (!big || e.decodedBodySize > big.decodedBodySize ? e : big),
                                null);
    return {plotly: plotly.map((e) => e.startTime), pageAnswered: page && page.responseEnd};
}"""


def test_plotly_js_loads_while_a_dashboard_is_answered_and_not_on_pages_without_graphs(
        page, live_server, live_database, sign_in_as):
    """plotly.js is requested as a dashboard's page callback goes out, so it compiles while the
    server computes the widgets (dcc.Graph alone would ask for it only once a graph mounts, after
    the answer); the history page, which draws no graph, never loads it."""
    spec, _ = add_widget(DashboardSpec(title="One chart"), "bar")
    with live_database.session() as session:
        dashboard_id = create_dashboard(session, account_of(live_database, "analyst"), spec).id
    page.add_init_script("performance.setResourceTimingBufferSize(2000)")
    sign_in_as("analyst", "/reports")
    page.wait_for_function(DASH_IDLE)
    assert page.evaluate(PLOTLY_TIMING)["plotly"] == []

    page.goto(f"{live_server}/dashboards/{dashboard_id}")
    page.wait_for_selector("#pb-dashboard .js-plotly-plot .main-svg")
    timing = page.evaluate(PLOTLY_TIMING)
    assert len(timing["plotly"]) == 1  # once: dcc.Graph took the script already loading
    assert timing["plotly"][0] < timing["pageAnswered"]
