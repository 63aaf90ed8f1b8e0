"""Who may do what to a dashboard, asked of the real pages, callbacks and routes.

People: the owner (an analyst), an editor (analyst with an edit share), a viewer with a view
share, a stranger (analyst, no share), anonymous visitors, and anonymous visitors holding the
public link. Actions: view, edit (open the builder), save, delete, share, export (JSON).
"""

from __future__ import annotations

import json

import pytest

from callbacks.builder import save
from callbacks.gallery import confirm_delete
from callbacks.sharing import add_share, download_json
from callbacks.widgets import render_widget
from components import ids
from data.dashboards import DashboardError, list_shares, load_dashboard, publish
from pages.dashboard_edit import layout as edit_layout
from pages.dashboard_view import layout as view_layout
from tests.conftest import PEOPLE
from tests.helpers import account_of, find_component, shared_board

DOCUMENT = {"title": "Quarterly numbers",
            "widgets": [{"id": "w1", "type": "bar", "title": "By region", "dataset": "sales",
                         "measures": ["revenue"], "dimensions": ["region"]}],
            "layout": [{"i": "w1", "x": 0, "y": 0, "w": 6, "h": 4}]}
ACTIONS = ("view", "edit", "save", "delete", "share", "export")
ALLOWED = {
    "owner": set(ACTIONS),
    "editor": {"view", "edit", "save", "export"},
    "viewer-shared": {"view", "export"},
    "stranger": set(),
    "anonymous": set(),
    "public-link": {"view"},
}
SIGNED_IN = {"owner": "analyst", "editor": "editor", "viewer-shared": "viewer", "stranger": "stranger"}


@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)


def _state(database, dashboard_id):
    """What a person could have changed: the version, whether it exists, and its shares."""
    owner = account_of(database, "analyst")
    with database.session() as session:
        try:
            record = load_dashboard(session, owner, dashboard_id)
        except DashboardError:
            return None
        shares = list_shares(session, owner, dashboard_id)
        return record.version, sorted((share.email, share.permission) for share in shares)


def _attempt(action: str, record, fire, database) -> bool:
    """Try one action as the signed-in person through the page or callback the app uses."""
    ref = {"id": record.id, "mode": "edit" if action in ("edit", "save") else "view"}
    if action == "view":
        page = view_layout(dashboard_id=str(record.id))
        fire({"type": ids.W_SPEC, "w": "w1"}, "data", {"id": "w1"})
        try:
            drawn = render_widget({"id": "w1"}, None, [], "light", None, None, ref)
        except Exception:  # PreventUpdate: nothing drawn
            drawn = None
        shown = find_component(page, "pb-dashboard-missing") is None
        assert shown == (drawn is not None), "the page and its widgets disagree about access"
        return shown
    if action == "edit":
        return find_component(edit_layout(dashboard_id=str(record.id)), ids.DB_SAVE) is not None
    if action == "save":
        document = {**DOCUMENT, "title": "Changed"}
        save(1, document, record.version, None, ref)
        return _saved_title(database, record) == "Changed"
    if action == "delete":
        fire(ids.GAL_DELETE_CONFIRM, "n_clicks", 1)
        confirm_delete(1, 0, record.id, 0)
        return _saved_title(database, record) is None
    if action == "share":
        add_share(1, None, PEOPLE["admin"][0], "view", ref, 0)
        state = _state(database, record.id)
        return any(email == PEOPLE["admin"][0] for email, _ in (state[1] if state else []))
    if action == "export":
        sent, failed, _ = download_json(1, ref)
        return not failed and json.loads(sent["content"])["title"] == DOCUMENT["title"]
    raise AssertionError(action)


def _saved_title(database, record):
    with database.session() as session:
        try:
            return load_dashboard(session, account_of(database, "analyst"), record.id).title
        except DashboardError:
            return None


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("person", list(ALLOWED))
def test_permission_matrix(person, action, board, acting_as, fire, clock, client, database):
    record, token = board, None
    if person == "public-link":  # published only here: signed-in people may view public ones
        with database.session() as session:
            token = publish(session, account_of(database, "analyst"), record.id)
    before = _state(database, record.id)
    if person in SIGNED_IN:
        with acting_as(SIGNED_IN[person]):
            allowed = _attempt(action, record, fire, database)
    else:
        allowed = _anonymous_attempt(action, record, token, client)
    assert allowed == (action in ALLOWED[person]), f"{person} {'could' if allowed else 'could not'} {action}"
    if not allowed:
        assert _state(database, record.id) == before, f"a refused {action} by {person} changed something"


def _anonymous_attempt(action: str, record, token, client) -> bool:
    """Anonymous visitors reach no page or callback of the app; a public link shows one dashboard."""
    if action == "view" and token:
        page = client.get(f"/public/{token}")
        widget = client.get(f"/public/{token}/widgets/w1")
        return page.status_code == 200 and widget.status_code == 200 and \
            DOCUMENT["title"] in page.get_data(as_text=True)
    path = f"/dashboards/{record.id}" + ("/edit" if action == "edit" else "")
    page = client.get(path)
    callback = client.post("/_dash-update-component", json={"output": "x.children", "inputs": []})
    assert page.status_code == 302 and callback.status_code == 401
    if token:  # the link gives nothing beyond the read-only page
        assert client.post(f"/public/{token}").status_code in (401, 405)
    return False
