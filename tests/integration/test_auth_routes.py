"""Sign-in, the deny-by-default guard, sessions and cookies, through the Flask test client."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from auth.guard import PUBLIC_ENDPOINTS
from data import users as user_commands
from public_link.plotly_bundle import PLOTLY_URL
from tests.conftest import PEOPLE, can_sign_in, sign_in

# Every route the app serves, classified. A route nobody classified fails the walk below.
ROUTE_CLASSES = {
    "/login": "public",
    "/healthz": "public",
    "/assets/<path:filename>": "public",
    "/_favicon.ico": "public",
    "/public/<string(length=43):token>": "public",
    "/public/<string(length=43):token>/widgets/<string(maxlength=40):widget_id>": "public",
    "/deliveries/files/<token>": "public",
    PLOTLY_URL: "public",
    "/logout": "protected",
    "/_dash-layout": "protected",
    "/_dash-dependencies": "protected",
    "/_dash-update-component": "protected",
    "/_reload-hash": "protected",
    "/_dash-component-suites/<string:package_name>/<path:fingerprinted_path>": "protected",
    "/": "protected",
    "/<path:path>": "protected",
    "/exports/<int:job_id>/download": "protected",
}


def _sample_url(rule) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[^:<>]+:)?{name}>", "dash/dash-renderer/build/dash_renderer.min.js"
                     if name in ("fingerprinted_path",) else "dash" if name == "package_name"
                     else "css/pulseboard.css" if name == "filename" else "x" * 43 if name == "token"
                     else "w1" if name == "widget_id" else "1" if name == "job_id" else "dashboards", url)
    return url


def test_every_route_is_classified_and_closed_unless_public(app, client):
    rules = list(app.server.url_map.iter_rules())
    unclassified = sorted({rule.rule for rule in rules} - set(ROUTE_CLASSES))
    assert unclassified == [], f"classify these routes in ROUTE_CLASSES: {unclassified}"
    checked = 0
    for rule in rules:
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            with client.open(url, method=method) as response:
                status = response.status_code
                body = response.get_json(silent=True) or {}
            if ROUTE_CLASSES[rule.rule] == "public":
                assert status not in (401, 302), f"{method} {url} should be public"
                continue
            checked += 1
            if url.startswith("/_") or method != "GET":
                assert status == 401, f"{method} {url} answered {status}"
                assert body.get("error") == "Sign in required."
            else:
                assert status == 302, f"{method} {url} answered {status}"
                assert response.headers["Location"].startswith("/login?next=")
    assert checked >= sum(1 for rule in rules if ROUTE_CLASSES[rule.rule] == "protected")


def test_public_endpoints_are_exactly_the_documented_allowlist(app):
    endpoints = {rule.endpoint for rule in app.server.url_map.iter_rules()
                 if ROUTE_CLASSES[rule.rule] == "public"}
    assert endpoints == set(PUBLIC_ENDPOINTS)


def test_anonymous_page_request_redirects_to_login_with_next(client):
    response = client.get("/dashboards?tab=mine")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/dashboards?tab%3Dmine"


def test_anonymous_callback_post_gets_401_json(client):
    response = client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert response.status_code == 401
    assert response.get_json() == {"error": "Sign in required.", "login": "/login"}


def test_healthz_answers_without_sign_in(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_sign_in_follows_a_local_next(client):
    email, _, password = PEOPLE["analyst"]
    response = sign_in(client, email, password, next_path="/reports?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/reports?x=1"
    assert client.get("/_dash-layout").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil.example"])
def test_sign_in_never_follows_an_external_next(client, target):
    email, _, password = PEOPLE["analyst"]
    response = sign_in(client, email, password, next_path=target)
    assert response.headers["Location"] == "/"


def test_wrong_password_is_refused_with_a_message(client):
    email, _, _ = PEOPLE["analyst"]
    response = sign_in(client, email, "not-the-password")
    assert response.status_code == 200  # the form again, with the message; no session
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_five_failures_for_one_account_lock_it_with_429(app):
    email, _, password = PEOPLE["viewer"]
    for attempt in range(5):
        # A new client and address each time: the account limit alone must trigger.
        client = app.server.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{attempt + 1}"
        assert "Wrong email" in sign_in(client, email, "wrong-password").get_data(as_text=True)
    client = app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = "10.0.0.99"
    response = sign_in(client, email, password)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)


def test_five_failures_from_one_address_lock_that_address_with_429(client):
    for number in range(5):
        assert "Wrong email" in sign_in(client, f"nobody{number}@example.com", "x").get_data(as_text=True)
    email, _, password = PEOPLE["admin"]
    assert sign_in(client, email, password).status_code == 429


def test_failures_older_than_the_window_no_longer_count(app, database):
    email, _, password = PEOPLE["viewer"]
    long_ago = dt.datetime(2020, 1, 1)
    with database.session() as session:
        for _ in range(5):
            user_commands.record_failure(session, email, "127.0.0.1", now=long_ago)
    assert can_sign_in(app, email, password)


def test_login_form_without_csrf_token_is_refused(client):
    email, _, password = PEOPLE["admin"]
    client.get("/login")
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    assert client.get("/_dash-layout").status_code == 401


def test_session_cookie_is_httponly_and_samesite_lax(client):
    email, _, password = PEOPLE["admin"]
    response = sign_in(client, email, password, remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    remember_cookie = next(c for c in cookies if c.startswith("remember_token="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_remember_me_keeps_the_user_signed_in_after_the_session_cookie_is_gone(client):
    email, _, password = PEOPLE["analyst"]
    sign_in(client, email, password, remember=True)
    client.delete_cookie("session")
    assert client.get("/_dash-layout").status_code == 200


def test_without_remember_me_losing_the_session_cookie_signs_out(client):
    email, _, password = PEOPLE["analyst"]
    sign_in(client, email, password)
    client.delete_cookie("session")
    assert client.get("/_dash-layout").status_code == 401


def _props(node):
    """Yield the props of every component in a serialised Dash layout."""
    if isinstance(node, dict):
        if "props" in node:
            yield node["props"]
        for value in node.values():
            yield from _props(value)
    elif isinstance(node, list):
        for item in node:
            yield from _props(item)


def _layout_token(client) -> str:
    layout = client.get("/_dash-layout").get_json()
    tokens = [p["value"] for p in _props(layout) if p.get("name") == "csrf_token"]
    assert len(tokens) == 1, "the signed-in layout has no sign-out token"
    return tokens[0]


def test_get_logout_only_asks_to_confirm(admin_client):
    page = admin_client.get("/logout")
    assert page.status_code == 200
    assert "Sign out of Pulseboard?" in page.get_data(as_text=True)
    assert admin_client.get("/_dash-layout").status_code == 200


def test_sign_out_needs_the_csrf_token(admin_client):
    admin_client.post("/logout", data={"csrf_token": "forged"})
    assert admin_client.get("/_dash-layout").status_code == 200
    response = admin_client.post("/logout", data={"csrf_token": _layout_token(admin_client)})
    assert response.headers["Location"] == "/login?signed_out=1"
    assert admin_client.get("/_dash-layout").status_code == 401


def test_deactivating_a_user_ends_their_session(analyst_client, database):
    with database.session() as session:
        user = user_commands.find_by_email(session, PEOPLE["analyst"][0])
        user_commands.set_active(session, user.id, False)
    assert analyst_client.get("/_dash-layout").status_code == 401


def test_a_password_reset_signs_out_existing_sessions(analyst_client, database):
    with database.session() as session:
        user = user_commands.find_by_email(session, PEOPLE["analyst"][0])
        user_commands.set_password(session, user.id, "a-brand-new-password")
    assert analyst_client.get("/_dash-layout").status_code == 401


def _links(client) -> set[str]:
    return {p["href"] for p in _props(client.get("/_dash-layout").get_json()) if "href" in p}


def test_signed_in_layout_shows_admin_link_only_to_admins(admin_client, viewer_client):
    assert {"/", "/dashboards", "/reports", "/data", "/admin"} <= _links(admin_client)
    assert {"/", "/dashboards", "/reports", "/data"} <= _links(viewer_client)
    assert "/admin" not in _links(viewer_client)


def test_security_headers_are_set(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
