"""Wire sign-in into a Flask server: login manager, guard, routes, cookies and error pages."""

from __future__ import annotations

import datetime as dt

from flask import Flask, jsonify, request
from flask_login import LoginManager

from auth.account import Account, current_account, fingerprint
from auth.guard import require_sign_in
from auth.routes import blueprint
from context import database, settings
from data.catalog import begin_reading, end_reading
from data.users import get_user


def _load_account(session_id: str) -> Account | None:
    user_id, _, print_ = (session_id or "").partition(".")
    with database().session() as db_session:
        user = get_user(db_session, user_id)
        if user is None or not user.active or fingerprint(user.password_hash) != print_:
            return None
        return Account.from_user(user)


def read_as_signed_in():
    """Users' datasets resolve as the signed-in user for the rest of the request (data/catalog.py)."""
    begin_reading(database(), current_account, settings())


def _stop_reading(_error=None):
    end_reading()


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def _server_error(_error):
    # No stack trace ever leaves the server outside debug; the log has it.
    if request.path.startswith("/_"):
        return jsonify(error="Something went wrong on the server. It has been logged."), 500
    return ("<h1>Something went wrong</h1><p>The error has been logged. "
            "<a href='/'>Back to Pulseboard</a></p>"), 500


def init_auth(server: Flask, secure_cookies: bool, session_days: int) -> None:
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True, REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure_cookies,
        REMEMBER_COOKIE_DURATION=dt.timedelta(days=session_days),
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=session_days),
    )
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.session_protection = "basic"
    manager.user_loader(_load_account)
    manager.init_app(server)
    server.register_blueprint(blueprint)
    server.before_request(require_sign_in)
    server.before_request(read_as_signed_in)
    server.teardown_request(_stop_reading)
    server.after_request(_security_headers)
    if not server.debug:
        server.register_error_handler(500, _server_error)
