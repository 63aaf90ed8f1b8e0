"""The sign-in and sign-out routes and the health check: plain Flask, no Dash needed."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, jsonify, redirect, render_template, request, session, url_for
from flask_login import login_user, logout_user
from sqlalchemy import text

from auth.account import Account, current_account
from auth.csrf import csrf_token, valid_csrf
from auth.guard import safe_next
from context import database, settings
from data.users import TooManyAttempts, UserError, authenticate

blueprint = Blueprint("auth", __name__)


def _form(error: str | None = None, status: int = 200, email: str = ""):
    notice = "You have been signed out." if request.args.get("signed_out") else None
    return render_template(
        "login.html", error=error, notice=notice, email=email, csrf_token=csrf_token(),
        next=safe_next(request.values.get("next"), ""),
    ), status


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_account() is not None:
            return redirect(safe_next(request.args.get("next")))
        return _form()
    email = request.form.get("email", "")
    if not valid_csrf(request.form.get("csrf_token")):
        return _form("The form expired. Please try again.", 400, email)
    config = settings()
    try:
        with database().session() as db_session:
            user = authenticate(
                db_session, email, request.form.get("password", ""), request.remote_addr or "",
                limit=config.login_max_failures, window_seconds=config.login_failure_window_seconds,
            )
            account = Account.from_user(user)
    except TooManyAttempts as error:
        return _form(str(error), 429, email)
    except UserError as error:
        return _form(str(error), 200, email)
    target = safe_next(request.form.get("next"))
    session.clear()  # a fresh session on sign-in: nothing carries over from before
    remember = request.form.get("remember") == "on"
    login_user(account, remember=remember, duration=dt.timedelta(days=config.session_days))
    session.permanent = remember
    return redirect(target)


@blueprint.route("/logout", methods=["GET", "POST"])
def logout():
    if request.method == "GET":
        # Following a link must never sign anyone out; ask, and post the form.
        return render_template("logout.html", csrf_token=csrf_token())
    if not valid_csrf(request.form.get("csrf_token")):
        return redirect("/")
    logout_user()
    session.clear()
    return redirect(url_for("auth.login", signed_out=1))


@blueprint.route("/healthz")
def healthz():
    """200 when the app and its database answer, 503 otherwise; never needs sign-in."""
    try:
        with database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
