"""A person signs in, moves through every page, switches theme, and signs out, in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

NAV_PAGES = [("Overview", "/", "Overview"), ("Dashboards", "/dashboards", "Dashboards"),
             ("Reports", "/reports", "Reports"), ("Data", "/data", "Data"),
             ("Admin", "/admin", "Admin")]


def test_admin_signs_in_visits_every_page_and_signs_out(page, live_server, sign_in_as):
    sign_in_as("admin", "/dashboards")
    for link, path, heading in NAV_PAGES:
        page.click(f".pb-navbar a.nav-link[href='{path}']")
        page.wait_for_url(f"{live_server}{path}")
        expect(page.locator("h1.pb-page-title")).to_have_text(heading)
        expect(page).to_have_title(re.compile(rf"^{heading} · Pulseboard$"))
        expect(page.locator(".pb-navbar .nav-link.active")).to_have_text(link)
    expect(page.locator("#admin-users-table")).to_contain_text("vera@example.com")

    page.goto(f"{live_server}/no/such/page")
    expect(page.locator("#pb-not-found")).to_contain_text("This page doesn't exist")

    page.click("#pb-user-menu")
    page.click("#pb-sign-out")
    page.wait_for_url(f"{live_server}/login?signed_out=1")
    expect(page.locator(".alert-success")).to_have_text("You have been signed out.")
    for _, path, _ in NAV_PAGES:
        page.goto(f"{live_server}{path}")
        page.wait_for_url(re.compile(r".*/login\?next=.*"))
        expect(page.locator("#sign-in")).to_be_visible()


def test_a_viewer_has_no_admin_link_and_the_admin_page_is_closed(page, live_server, sign_in_as):
    sign_in_as("viewer")
    expect(page.locator(".pb-navbar a.nav-link[href='/dashboards']")).to_be_visible()
    expect(page.locator(".pb-navbar a.nav-link[href='/admin']")).to_have_count(0)
    page.goto(f"{live_server}/admin")
    expect(page.locator("#pb-forbidden")).to_contain_text("You don't have access")
    expect(page.locator("#admin-users-table")).to_have_count(0)


def test_the_theme_switch_is_remembered_across_reloads(page, live_server, sign_in_as):
    sign_in_as("analyst")
    html = page.locator("html")
    expect(html).to_have_attribute("data-bs-theme", "light")
    page.click("#pb-theme-toggle")
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.goto(f"{live_server}/logout")  # the confirmation page follows the theme too
    expect(html).to_have_attribute("data-bs-theme", "dark")
    page.goto(f"{live_server}/")
    page.click("#pb-theme-toggle")
    expect(html).to_have_attribute("data-bs-theme", "light")


def test_wrong_password_shows_a_message_and_keeps_the_email(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("#email", "ada@example.com")
    page.fill("#password", "definitely-wrong")
    page.click("#sign-in")
    expect(page.locator("#login-error")).to_contain_text("Wrong email or password")
    expect(page.locator("#email")).to_have_value("ada@example.com")


def test_admin_adds_a_user_in_the_browser_and_sees_the_temporary_password(page, live_server,
                                                                          sign_in_as):
    sign_in_as("admin", "/admin")
    page.fill("#admin-create-email", "browser.user@example.com")
    page.fill("#admin-create-name", "Browser User")
    page.click("#admin-create-submit")
    expect(page.locator("#admin-temporary-password")).to_be_visible()
    password = page.locator("#admin-temporary-password").inner_text()
    assert re.fullmatch(r"[A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5}", password)
    expect(page.locator("#admin-users-table")).to_contain_text("browser.user@example.com")
    expect(page.locator("#admin-message")).to_contain_text("Added browser.user@example.com")
