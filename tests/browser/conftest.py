"""Browser fixtures: the app on a free port in a thread, and Chromium driven by Playwright.

Every page a test opens records console errors and uncaught exceptions; a test fails if any
appeared, so a broken asset or callback never goes unnoticed.
"""

from __future__ import annotations

import subprocess
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from context import EXTENSION
from data.dashboard_spec import parse_document
from data.dashboards import create_dashboard
from tests.conftest import PEOPLE, build_app, close_app
from tests.helpers import account_of

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """Ask a process the tests started to end, and make sure it has."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_app(template_db, tmp_path_factory):
    app = build_app(template_db, tmp_path_factory.mktemp("live"))
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def live_database(live_app):
    """The live server's own database, for tests that write to it (as the demo feed does)."""
    return live_app.server.extensions[EXTENSION].database


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.set_default_timeout(15_000)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
           if message.type == "error" else None)
    tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    yield tab
    context.close()
    assert problems == [], "the browser console showed errors"


def sign_in(tab, server: str, role: str, next_path: str = "/") -> None:
    """Sign `tab` in through the real form as one of the seeded people, landing on `next_path`."""
    email, _, password = PEOPLE[role]
    tab.goto(f"{server}{next_path}")
    tab.wait_for_url(f"{server}/login**")
    tab.fill("#email", email)
    tab.fill("#password", password)
    tab.click("#sign-in")
    tab.wait_for_url(f"{server}{next_path}")
    tab.wait_for_selector(".pb-navbar")


@pytest.fixture
def sign_in_as(page, live_server):
    """Sign `page` in as `role` on `next_path`."""

    def _sign_in(role: str, next_path: str = "/"):
        sign_in(page, live_server, role, next_path)

    return _sign_in


@pytest.fixture
def open_page(browser, live_server):
    """Open a page in a fresh browser context of its own, signed in as `role` on `next_path`, or
    signed out when `role` is None: another person next to `page`. Like `page`, the test fails if
    any page opened this way showed console errors."""
    contexts = []
    problems: list[str] = []

    def _open(role: str | None = None, next_path: str = "/"):
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        tab = context.new_page()
        tab.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
               if message.type == "error" else None)
        tab.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        if role is not None:
            sign_in(tab, live_server, role, next_path)
        return tab

    yield _open
    for context in contexts:
        context.close()
    assert problems == [], "the browser console showed errors"


def chart_widget(widget_id: str, kind: str, title: str, **fields) -> dict:
    return {"id": widget_id, "type": kind, "title": title, "dataset": "sales", "measures": ["revenue"],
            **fields}


def twenty_four_charts() -> list[dict]:
    """Twenty-four charts: even with the warm renderer (about 0.1 s a chart) a PDF of them takes a
    few seconds, long enough to act on an export while it runs."""
    return [chart_widget(f"w{n}", kind, f"Chart {n}", dimensions=["region"],
                         **({"time_grain": "day"} if kind == "line" else {}))
            for n, kind in enumerate(["line", "bar"] * 12, 1)]


def chart_dashboard(database, owner: str, title: str, widgets: list[dict], layout: list[dict] | None = None
                    ) -> int:
    """A dashboard of `widgets` owned by `owner`; by default two per row, 6 columns by 4 rows each."""
    layout = layout or [{"i": w["id"], "x": 6 * (n % 2), "y": 4 * (n // 2), "w": 6, "h": 4}
                        for n, w in enumerate(widgets)]
    spec = parse_document({"schema_version": 1, "title": title, "widgets": widgets, "layout": layout})
    with database.session() as session:
        return create_dashboard(session, account_of(database, owner), spec).id


def expect_in_history_without_download(page, title: str, *texts: str):
    """Close the export dialog, open /reports, and check `title`'s one row shows `texts` and has
    nothing to download; returns the row."""
    page.click("#xd-close")
    page.click(".pb-navbar a.nav-link[href='/reports']")
    row = page.locator("#xp-history tbody tr", has_text=title)
    expect(row).to_have_count(1)
    for text in texts:
        expect(row).to_contain_text(text)
    expect(row.get_by_role("link", name="Download")).to_have_count(0)
    return row
