"""Share dialog, public link and JSON download callbacks, called as plain functions on the real
app database, with the public route checked through the Flask test client."""

from __future__ import annotations

import base64
import json

import pytest
from dash import no_update
from sqlalchemy import select

from callbacks.sharing import (
    add_share,
    change_share,
    download_json,
    open_share_dialog,
    render_sharing,
    slugify,
    toggle_public_link,
)
from components import ids
from components.sharing import download_json_button, share_button, share_modal
from data import users as user_commands
from data.dashboard_spec import parse_document
from data.dashboards import create_dashboard, load_dashboard, set_share
from data.models import Dashboard, DashboardShare
from tests.conftest import PEOPLE
from tests.helpers import account_of, find_component, text_of

DOCUMENT = {
    "title": "Sales pulse (EMEA) — Q3",
    "description": "Revenue at a glance",
    "filters": {"time_range": {"relative": "last_30_days"}, "region": ["EMEA"]},
    "widgets": [
        {"id": "w1", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "w2", "type": "text", "title": "Notes", "options": {"markdown": "Hello **team**"}},
    ],
    "layout": [{"i": "w1", "x": 0, "y": 0, "w": 4, "h": 3}, {"i": "w2", "x": 4, "y": 0, "w": 4, "h": 3}],
}


# -- helpers ----------------------------------------------------------------------------------









def _user_id(database, person: str) -> int:
    return account_of(database, person).id


def _shares(database, dashboard_id: int) -> dict[str, str]:
    """email -> permission, read straight from the tables."""
    with database.session() as session:
        rows = session.execute(select(DashboardShare.user_id, DashboardShare.permission)
                               .where(DashboardShare.dashboard_id == dashboard_id)).all()
        return {user_commands.get_user(session, user_id).email: permission for user_id, permission in rows}


def _token(database, dashboard_id: int) -> str | None:
    with database.session() as session:
        return session.scalar(select(Dashboard.public_token).where(Dashboard.id == dashboard_id))




@pytest.fixture
def board(database) -> int:
    """A dashboard the analyst owns, shared with the viewer (view); not public."""
    analyst = account_of(database, "analyst")
    with database.session() as session:
        dashboard_id = create_dashboard(session, analyst, parse_document(DOCUMENT)).id
        set_share(session, analyst, dashboard_id, PEOPLE["viewer"][0], "view")
    return dashboard_id


def _ref(dashboard_id) -> dict:
    return {"id": dashboard_id, "mode": "view"}


# -- components -------------------------------------------------------------------------------

def test_the_embeddable_components_carry_the_shared_ids():
    assert share_button().id == ids.SHARE_OPEN
    assert share_modal().id == ids.SHARE_MODAL and share_modal().is_open is False
    download = download_json_button()
    assert find_component(download, ids.DB_DOWNLOAD_JSON) is not None
    assert find_component(download, ids.DB_DOWNLOAD) is not None


def test_the_share_button_opens_the_dialog(acting_as):
    with acting_as("analyst"):
        assert open_share_dialog(1) == (True, None)
        assert open_share_dialog(None) == (no_update, no_update)


# -- the dialog -------------------------------------------------------------------------------

def test_the_owner_sees_who_it_is_shared_with_and_that_it_is_not_public(acting_as, board):
    with acting_as("analyst"):
        body = render_sharing(True, 0, _ref(board))
    assert "Vera Viewer" in text_of(body) and PEOPLE["viewer"][0] in text_of(body)
    assert find_component(body, ids.SHARE_PUBLIC_SWITCH).value is False
    assert find_component(body, ids.SHARE_PUBLIC_URL) is None
    assert render_sharing(False, 0, _ref(board)) is no_update


@pytest.mark.parametrize("person", ["viewer", "editor"])
def test_people_who_do_not_manage_it_get_a_forbidden_message_and_no_controls(acting_as, database,
                                                                               board, person):
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), board, PEOPLE["editor"][0], "edit")
    with acting_as(person):
        body = render_sharing(True, 0, _ref(board))
    assert "do not have permission" in text_of(body) and "Only the owner and admins" in text_of(body)
    assert "@example.com" not in text_of(body) and find_component(body, ids.SHARE_PUBLIC_SWITCH) is None


def test_an_admin_can_manage_anyones_sharing(acting_as, board):
    with acting_as("admin"):
        body = render_sharing(True, 0, _ref(board))
    assert "Vera Viewer" in text_of(body) and find_component(body, ids.SHARE_PUBLIC_SWITCH) is not None


def test_the_owner_adds_changes_and_removes_a_share(acting_as, database, board, fire):
    with acting_as("analyst"):
        message, refresh, email_box = add_share(1, None, f"  {PEOPLE['editor'][0].upper()} ", "view",
                                                _ref(board), 0)
    assert "Shared with Edith Editor" in text_of(message) and "can view" in text_of(message)
    assert refresh == 1 and email_box == ""
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view", PEOPLE["editor"][0]: "view"}

    editor_id = _user_id(database, "editor")
    fire({"type": ids.SHARE_PERMISSION, "u": editor_id}, "value", "edit")
    with acting_as("analyst"):
        message, refresh = change_share(["view", "edit"], [None, None], _ref(board), 1)
    assert "Edith Editor now can edit" in text_of(message) and refresh == 2
    assert _shares(database, board)[PEOPLE["editor"][0]] == "edit"

    fire({"type": ids.SHARE_REMOVE, "u": editor_id}, "n_clicks", 1)
    with acting_as("analyst"):
        message, refresh = change_share(["view", "edit"], [None, 1], _ref(board), 2)
    assert "Stopped sharing with Edith Editor" in text_of(message) and refresh == 3
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view"}
    with acting_as("analyst"):
        body = render_sharing(True, refresh, _ref(board))
    assert "Edith Editor" not in text_of(body) and "Vera Viewer" in text_of(body)


def test_a_share_gives_the_person_access(acting_as, database, board):
    with acting_as("analyst"):
        add_share(1, None, PEOPLE["stranger"][0], "edit", _ref(board), 0)
    with database.session() as session:
        record = load_dashboard(session, account_of(database, "stranger"), board, "edit")
    assert record.access == "edit"


@pytest.mark.parametrize(("email", "expected"), [
    ("", "Enter the email"), ("nobody@example.com", "There is no user"),
    (PEOPLE["analyst"][0], "owner already has full access"),
])
def test_a_share_that_cannot_be_made_says_why_and_changes_nothing(acting_as, database, board, email,
                                                                  expected):
    with acting_as("analyst"):
        message, refresh, email_box = add_share(1, None, email, "edit", _ref(board), 0)
    assert expected in text_of(message) and refresh is no_update and email_box is no_update
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view"}


def test_drawing_the_dialog_is_not_a_request_to_share(acting_as, database, board):
    with acting_as("analyst"):
        assert add_share(None, None, None, "view", _ref(board), 0) == (no_update, no_update, no_update)
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view"}


def test_a_redrawn_row_or_an_appearing_button_changes_nothing(acting_as, database, board, fire):
    viewer_id = _user_id(database, "viewer")
    fire({"type": ids.SHARE_PERMISSION, "u": viewer_id}, "value", "view")
    with acting_as("analyst"):
        assert change_share(["view"], [None], _ref(board), 0) == (no_update, no_update)
    fire({"type": ids.SHARE_REMOVE, "u": viewer_id}, "n_clicks", None)
    with acting_as("analyst"):
        assert change_share(["view"], [None], _ref(board), 0) == (no_update, no_update)
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view"}


@pytest.mark.parametrize("person", ["viewer", "editor", "stranger"])
def test_only_those_who_manage_it_can_change_sharing(acting_as, database, board, fire, person):
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), board, PEOPLE["editor"][0], "edit")
    before = _shares(database, board)
    with acting_as(person):
        added = add_share(1, None, PEOPLE["stranger"][0], "edit", _ref(board), 0)
    fire({"type": ids.SHARE_REMOVE, "u": _user_id(database, "viewer")}, "n_clicks", 1)
    with acting_as(person):
        removed = change_share([None], [1], _ref(board), 0)
    with acting_as(person):
        published = toggle_public_link(True, _ref(board), 0)
    expected = "does not exist" if person == "stranger" else "do not have permission"
    for message in (added[0], removed[0], published[0]):
        assert expected in text_of(message)
    assert _shares(database, board) == before and _token(database, board) is None


# -- the public link --------------------------------------------------------------------------

def test_publishing_shows_the_full_public_url_with_a_long_random_token(acting_as, app, database, board):
    with acting_as("analyst"):
        message, refresh = toggle_public_link(True, _ref(board), 0)
        body = render_sharing(True, refresh, _ref(board))
    assert "public link is on" in text_of(message) and refresh == 1
    token = _token(database, board)
    url = find_component(body, ids.SHARE_PUBLIC_URL).value
    assert url == f"http://localhost/public/{token}"
    assert find_component(body, ids.SHARE_PUBLIC_SWITCH).value is True
    assert "breaks" in text_of(body) or "stops working" in text_of(body)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 >= 128
    page = app.server.test_client().get(f"/public/{token}")
    assert page.status_code == 200 and "Sales pulse" in page.get_data(as_text=True)


def test_publishing_twice_keeps_one_link(acting_as, database, board):
    with acting_as("analyst"):
        toggle_public_link(True, _ref(board), 0)
        token = _token(database, board)
        again = toggle_public_link(True, _ref(board), 1)
    assert again == (no_update, no_update) and _token(database, board) == token


def test_revoking_the_link_makes_the_old_address_a_404(acting_as, app, database, board):
    with acting_as("analyst"):
        toggle_public_link(True, _ref(board), 0)
    old_token = _token(database, board)
    anonymous = app.server.test_client()
    assert anonymous.get(f"/public/{old_token}").status_code == 200
    with acting_as("analyst"):
        message, _ = toggle_public_link(False, _ref(board), 1)
        body = render_sharing(True, 2, _ref(board))
    assert "revoked" in text_of(message) and _token(database, board) is None
    assert find_component(body, ids.SHARE_PUBLIC_URL) is None
    assert anonymous.get(f"/public/{old_token}").status_code == 404
    with acting_as("analyst"):
        toggle_public_link(True, _ref(board), 3)
    assert _token(database, board) not in (None, old_token)
    assert anonymous.get(f"/public/{old_token}").status_code == 404


# -- forged ids -------------------------------------------------------------------------------

@pytest.mark.parametrize("ref", [{"id": 999_999}, {"id": "1 OR 1=1"}, {"id": -1}, {"id": None},
                                 {"id": True}, None, "1", {"mode": "edit"}])
def test_a_forged_dashboard_id_returns_nothing_and_changes_nothing(acting_as, database, board,
                                                                   fire, ref):
    before = _shares(database, board)
    with acting_as("analyst"):
        body = render_sharing(True, 0, ref)
        added = add_share(1, None, PEOPLE["editor"][0], "edit", ref, 0)
        published = toggle_public_link(True, ref, 0)
        downloaded = download_json(1, ref)
    fire({"type": ids.SHARE_REMOVE, "u": _user_id(database, "viewer")}, "n_clicks", 1)
    with acting_as("analyst"):
        removed = change_share([None], [1], ref, 0)
    for message in (body, added[0], published[0], removed[0]):
        assert "does not exist, or you do not have access" in text_of(message)
    assert "@example.com" not in text_of(body)
    assert downloaded[0] is no_update and downloaded[1] is True
    assert _shares(database, board) == before and _token(database, board) is None


def test_a_stranger_cannot_reach_a_private_dashboard_by_its_real_id(acting_as, database, board):
    with acting_as("stranger"):
        body = render_sharing(True, 0, _ref(board))
        downloaded = download_json(1, _ref(board))
    assert "does not exist, or you do not have access" in text_of(body)
    assert downloaded[0] is no_update and "does not exist" in downloaded[2]


def test_a_user_id_outside_the_share_list_changes_nothing(acting_as, database, board, fire):
    fire({"type": ids.SHARE_PERMISSION, "u": _user_id(database, "stranger")}, "value", "edit")
    with acting_as("analyst"):
        message, _ = change_share(["edit"], [None], _ref(board), 0)
    assert "no longer has access" in text_of(message)
    assert _shares(database, board) == {PEOPLE["viewer"][0]: "view"}


# -- download ---------------------------------------------------------------------------------

@pytest.mark.parametrize("person", ["analyst", "viewer", "admin"])
def test_the_json_download_round_trips_through_parse_document(acting_as, database, board, person):
    with acting_as(person):
        sent, error_open, _ = download_json(1, _ref(board))
    assert error_open is False
    assert sent["filename"] == "sales-pulse-emea-q3.json" and sent["type"] == "application/json"
    document = json.loads(sent["content"])
    assert not {"id", "owner", "owner_id", "shares", "public_token", "version"} & set(document)
    with database.session() as session:
        saved = load_dashboard(session, account_of(database, "analyst"), board)
    assert parse_document(sent["content"]) == saved.spec == parse_document(DOCUMENT)


def test_the_download_of_a_public_dashboard_works_for_anyone_signed_in(acting_as, board):
    with acting_as("analyst"):
        toggle_public_link(True, _ref(board), 0)
    with acting_as("stranger"):
        sent, error_open, _ = download_json(1, _ref(board))
    assert error_open is False and parse_document(sent["content"]).title == DOCUMENT["title"]
    with acting_as(None):
        sent, error_open, message = download_json(1, _ref(board))
    assert sent is no_update and error_open is True and "does not exist" in message


@pytest.mark.parametrize(("title", "slug"), [
    ("Sales pulse", "sales-pulse"), ("  Ünïcode Café — 2026!  ", "unicode-cafe-2026"),
    ("../../etc/passwd", "etc-passwd"), ("日本語", "dashboard"), ("x" * 300, "x" * 80),
])
def test_download_file_names_are_safe_slugs(title, slug):
    assert slugify(title) == slug



@pytest.mark.parametrize("user_id", [[1], {"a": 1}, "1"])
def test_a_tampered_share_row_id_changes_nothing(acting_as, database, board, fire, user_id):
    before = _shares(database, board)
    fire({"type": ids.SHARE_REMOVE, "u": user_id}, "n_clicks", 1)
    with acting_as("analyst"):
        message, _ = change_share([None], [1], _ref(board), 0)
    assert "no longer has access" in text_of(message)
    assert _shares(database, board) == before
