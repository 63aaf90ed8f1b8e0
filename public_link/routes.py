"""The public read-only page of a dashboard, for people without an account.

It is a plain server-rendered page, not the Dash app: anonymous visitors get no callback
endpoints at all, only this dashboard's figures, drawn through the same `widget_view` as the
app. A revoked or unknown token is a 404 that says nothing about what once was there.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, jsonify, render_template, send_file

from auth.account import Account
from context import database, settings
from data.catalog import reading_as
from data.dashboards import NotFound, load_public
from data.users import get_user
from pipeline import widget_view
from public_link.plotly_bundle import PLOTLY_JS, PLOTLY_URL

blueprint = Blueprint("public", __name__)
LINK_RULE = "<string(length=43):token>"  # secrets.token_urlsafe(32) is 43 characters


def _record(token: str):
    try:
        with database().session() as session:
            return load_public(session, token)
    except NotFound:
        abort(404)


def _owner(record) -> Account | None:
    with database().session() as session:
        user = get_user(session, record.owner_id)
        return Account.from_user(user) if user is not None else None


def _payloads(record, widgets) -> list[dict]:
    """What each widget shows, read as the dashboard's owner: publishing a link is their act, so
    the page shows what they can see (and nothing of a dataset they lost access to)."""
    with reading_as(database(), _owner(record), settings()):
        return [_widget_payload(record, widget) for widget in widgets]


def _widget_payload(record, widget) -> dict:
    view = widget_view(widget, record.spec, [], theme="light")
    if view.error:
        return {"error": view.error}
    if view.markdown is not None:
        return {"html": view.markdown}
    if view.rows is not None:
        return {"columns": [c["headerName"] for c in view.columns],
                "rows": [[row.get(c["field"]) for c in view.columns] for row in view.rows]}
    return {"figure": json.loads(view.figure.to_json())}


@blueprint.get(f"/public/{LINK_RULE}")
def view(token: str):
    record = _record(token)
    placed = {item.i: item for item in record.spec.layout}
    payloads = _payloads(record, record.spec.widgets)
    widgets = [{"id": w.id, "title": w.title, "type": w.type, "refresh": w.refresh_seconds,
                "place": placed[w.id], "payload": payload}
               for w, payload in zip(record.spec.widgets, payloads, strict=True)]
    response = render_template("public_dashboard.html", record=record, widgets=widgets, token=token,
                               plotly_url=PLOTLY_URL)
    return response, 200, {"Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                           "Referrer-Policy": "no-referrer"}


@blueprint.get(f"/public/{LINK_RULE}/widgets/<string(maxlength=40):widget_id>")
def widget(token: str, widget_id: str):
    record = _record(token)
    try:
        spec = record.spec.widget(widget_id)
    except KeyError:
        abort(404)
    response = jsonify(_payloads(record, [spec])[0])
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.get(PLOTLY_URL)
def plotly_js():
    """Pulseboard's plotly.js, for the public page and the app's dashboards."""
    response = send_file(PLOTLY_JS, mimetype="text/javascript", max_age=31_536_000, conditional=True)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
