"""Gallery callbacks called as plain functions, as each person, on the real app database."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from dash import no_update
from sqlalchemy import func, select

from callbacks.gallery import (
    ask_to_delete,
    confirm_delete,
    create_new_dashboard,
    duplicate,
    import_dashboard,
    render_gallery,
)
from components import ids
from components.gallery import relative_time
from data.dashboard_spec import DashboardSpec, parse_document
from data.dashboards import (
    NotFound,
    create_dashboard,
    list_shares,
    load_dashboard,
    publish,
    set_share,
)
from data.models import Dashboard
from tests.conftest import PEOPLE
from tests.helpers import account_of, nodes, text_of

TWO_WIDGETS = {
    "title": "Sales pulse",
    "widgets": [
        {"id": "w1", "type": "kpi", "title": "Revenue", "dataset": "sales", "measures": ["revenue"]},
        {"id": "w2", "type": "text", "title": "Notes", "options": {"markdown": "Hello **team**"}},
    ],
    "layout": [{"i": "w1", "x": 0, "y": 0, "w": 4, "h": 3}, {"i": "w2", "x": 4, "y": 0, "w": 4, "h": 3}],
}


# -- helpers ----------------------------------------------------------------------------------





def _card_ids(tree) -> set[int]:
    """The dashboard ids of the cards in a rendered gallery."""
    return {int(node.href.rsplit("/", 1)[1]) for node in nodes(tree)
            if "pb-gal-title-link" in (getattr(node, "className", "") or "")}


def _card(tree, dashboard_id: int):
    for node in nodes(tree):
        if node.to_plotly_json()["props"].get("data-dashboard") == str(dashboard_id):
            return node
    raise AssertionError(f"no card for dashboard {dashboard_id}")


def _hrefs(tree) -> set[str]:
    return {node.href for node in nodes(tree) if getattr(node, "href", None)}


def _button_types(tree) -> set[str]:
    return {node.id["type"] for node in nodes(tree) if isinstance(getattr(node, "id", None), dict)}




def _count(database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Dashboard))


def _upload(document) -> str:
    """What dcc.Upload sends for a file: a base64 data URL."""
    raw = document if isinstance(document, bytes) else json.dumps(document).encode()
    return "data:application/json;base64," + base64.b64encode(raw).decode()




@pytest.fixture
def board(database):
    """The analyst owns "Sales pulse" (shared: editor can edit, viewer can view) and "Public
    pulse" (public); the editor owns "Editor's own". Returns their ids by name."""
    analyst, editor = account_of(database, "analyst"), account_of(database, "editor")
    with database.session() as session:
        sales = create_dashboard(session, analyst, parse_document(TWO_WIDGETS)).id
        public = create_dashboard(session, analyst, DashboardSpec(title="Public pulse")).id
        own = create_dashboard(session, editor, DashboardSpec(title="Editor's own")).id
        set_share(session, analyst, sales, PEOPLE["editor"][0], "edit")
        set_share(session, analyst, sales, PEOPLE["viewer"][0], "view")
        publish(session, analyst, public)
    return {"sales": sales, "public": public, "own": own}


# -- the list ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("person", "mine", "shared"), [
    ("analyst", {"sales", "public"}, set()),
    ("editor", {"own"}, {"sales"}),
    ("viewer", set(), {"sales"}),
    ("stranger", set(), set()),
])
def test_each_tab_lists_the_dashboards_of_that_person(acting_as, board, person, mine, shared):
    with acting_as(person):
        tabs = {tab: _card_ids(render_gallery(tab, "", 0)) for tab in ("mine", "shared", "public")}
    assert tabs["mine"] == {board[name] for name in mine}
    assert tabs["shared"] == {board[name] for name in shared}
    assert tabs["public"] == {board["public"]}


def test_empty_tabs_say_what_to_do(acting_as, board):
    with acting_as("stranger"):
        mine = text_of(render_gallery("mine", "", 0))
        shared = text_of(render_gallery("shared", "", 0))
    with acting_as("viewer"):
        viewer_mine = text_of(render_gallery("mine", "", 0))
    assert "New dashboard" in mine and "import" in mine
    assert "shares a dashboard with you" in shared
    assert "Viewers cannot create dashboards" in viewer_mine and "Shared with me" in viewer_mine


def test_search_matches_part_of_a_title_in_any_case(acting_as, board):
    with acting_as("analyst"):
        found = render_gallery("mine", "  PULSE ", 0)
        one = render_gallery("mine", "sales", 0)
        none = render_gallery("mine", "100%_", 0)
    assert _card_ids(found) == {board["sales"], board["public"]}
    assert _card_ids(one) == {board["sales"]}
    assert _card_ids(none) == set() and "No dashboards match “100%_”" in text_of(none)


def test_an_unknown_tab_falls_back_to_mine(acting_as, board):
    with acting_as("analyst"):
        cards = render_gallery("all'; --", None, 0)
    assert _card_ids(cards) == {board["sales"], board["public"]}


def test_a_card_shows_owner_last_edit_widgets_public_and_access(acting_as, board):
    with acting_as("analyst"):
        mine = render_gallery("mine", "", 0)
    sales, public = _card(mine, board["sales"]), _card(mine, board["public"])
    text = text_of(sales)
    assert "Sales pulse" in text and "Alan Analyst" in text and "2 widgets" in text
    assert "Edited just now" in text and "Owner access" in text and "Public" not in text
    exact = [node.title for node in nodes(sales) if getattr(node, "title", None)
             and str(node.title).endswith(" UTC")]
    assert len(exact) == 1 and dt.datetime.strptime(exact[0], "%Y-%m-%d %H:%M UTC")
    assert "Public" in text_of(public) and "0 widgets" in text_of(public)


def test_card_actions_follow_each_persons_access(acting_as, board):
    sales = board["sales"]
    with acting_as("analyst"):
        owner = _card(render_gallery("mine", "", 0), sales)
    with acting_as("editor"):
        editor = _card(render_gallery("shared", "", 0), sales)
    with acting_as("viewer"):
        viewer = _card(render_gallery("shared", "", 0), sales)
    assert f"/dashboards/{sales}/edit" in _hrefs(owner)
    assert _button_types(owner) == {ids.GAL_DUPLICATE, ids.GAL_DELETE}
    assert f"/dashboards/{sales}/edit" in _hrefs(editor) and _button_types(editor) == {ids.GAL_DUPLICATE}
    assert "Can edit" in text_of(editor)
    assert _hrefs(viewer) == {f"/dashboards/{sales}"} and _button_types(viewer) == set()
    assert "View only" in text_of(viewer)


@pytest.mark.parametrize(("seconds", "expected"), [
    (5, "just now"), (90, "1 minute ago"), (180, "3 minutes ago"), (3 * 3600, "3 hours ago"),
    (86_400 + 60, "1 day ago"), (5 * 86_400, "5 days ago"), (-30, "just now"),
])
def test_relative_time_reads_like_a_person_would_say_it(seconds, expected):
    now = dt.datetime(2026, 11, 20, 15, 30)
    assert relative_time(now - dt.timedelta(seconds=seconds), now) == expected


def test_relative_time_falls_back_to_the_date():
    now = dt.datetime(2026, 11, 20, 15, 30)
    assert relative_time(dt.datetime(2026, 3, 2, 9, 0), now) == "2 Mar"
    assert relative_time(dt.datetime(2025, 3, 2, 9, 0), now) == "2 Mar 2025"


# -- creating ---------------------------------------------------------------------------------

def test_an_analyst_creates_an_empty_dashboard_and_lands_in_the_builder(acting_as, database):
    with acting_as("analyst"):
        href, message = create_new_dashboard(1, None, "  Q3 pulse  ")
    assert message is None and href.startswith("/dashboards/") and href.endswith("/edit")
    dashboard_id = int(href.split("/")[2])
    with database.session() as session:
        record = load_dashboard(session, account_of(database, "analyst"), dashboard_id, "manage")
    assert record.title == "Q3 pulse" and record.widget_count == 0 and record.version == 1
    assert record.owner_name == "Alan Analyst"


@pytest.mark.parametrize("person", ["viewer", None])
def test_viewers_and_anonymous_cannot_create_and_nothing_is_created(acting_as, database, person):
    before = _count(database)
    with acting_as(person):
        href, message = create_new_dashboard(1, None, "Sneaky")
    assert href is no_update
    said = text_of(message)
    assert "Only analysts and admins can create dashboards" in said or "Sign in" in said
    assert _count(database) == before


def test_drawing_the_page_is_not_a_request_to_create(acting_as, database):
    before = _count(database)
    with acting_as("analyst"):
        assert create_new_dashboard(None, None, None) == (no_update, no_update)
    assert _count(database) == before


@pytest.mark.parametrize("title", ["", "   ", None, "x" * 201])
def test_a_blank_or_overlong_title_is_refused(acting_as, database, title):
    before = _count(database)
    with acting_as("analyst"):
        href, message = create_new_dashboard(1, None, title)
    assert href is no_update and ("title" in text_of(message))
    assert _count(database) == before


# -- importing --------------------------------------------------------------------------------

def test_importing_a_bad_file_lists_every_problem_and_creates_nothing(acting_as, database):
    bad = {"title": "Broken", "widgets": [
        {"id": "w1", "type": "gauge", "dataset": "sales", "measures": ["revenue"]},
        {"id": "w2", "type": "kpi", "dataset": "sales", "measures": ["no_such_measure"]}],
        "layout": [{"i": "w1", "x": 0, "y": 0, "w": 4, "h": 3}, {"i": "w3", "x": 10, "y": 0, "w": 4, "h": 3}]}
    before = _count(database)
    with acting_as("analyst"):
        href, message, cleared = import_dashboard(_upload(bad), "broken.json")
    assert href is no_update and cleared is None
    items = [node for node in nodes(message) if type(node).__name__ == "Li"]
    assert len(items) >= 2, text_of(message)
    assert "broken.json was not imported; nothing was created" in text_of(message)
    assert "gauge" in text_of(message) or "type" in text_of(message)
    assert _count(database) == before


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe\x00garbage", b"[1, 2, 3]"])
def test_importing_a_file_that_is_not_a_document_says_so(acting_as, database, raw):
    before = _count(database)
    with acting_as("analyst"):
        href, message, _ = import_dashboard(_upload(raw), "notes.txt")
    assert href is no_update and "nothing was created" in text_of(message)
    assert _count(database) == before


def test_import_ignores_owner_ids_shares_and_tokens_in_the_file(acting_as, database, board):
    admin = account_of(database, "admin")
    document = {**TWO_WIDGETS, "title": "From git", "id": board["sales"], "owner": PEOPLE["admin"][0],
                "owner_id": admin.id, "version": 42, "public_token": "a" * 43,
                "shares": [{"email": PEOPLE["stranger"][0], "permission": "edit"}]}
    with acting_as("analyst"):
        href, message, _ = import_dashboard(_upload(document), "from-git.json")
    assert message is None and href.startswith("/dashboards/") and not href.endswith("/edit")
    new_id = int(href.rsplit("/", 1)[1])
    assert new_id != board["sales"]
    analyst = account_of(database, "analyst")
    with database.session() as session:
        record = load_dashboard(session, analyst, new_id, "manage")
        shares = list_shares(session, analyst, new_id)
        original = load_dashboard(session, analyst, board["sales"])
    assert record.owner_id == analyst.id and record.version == 1 and not record.is_public
    assert shares == [] and record.widget_count == 2 and record.title == "From git"
    assert original.title == "Sales pulse" and original.version == 1


def test_viewers_cannot_import(acting_as, database):
    before = _count(database)
    with acting_as("viewer"):
        href, message, _ = import_dashboard(_upload(TWO_WIDGETS), "sales.json")
    assert href is no_update and "Only analysts and admins can import" in text_of(message)
    assert _count(database) == before


def test_a_cleared_upload_does_nothing(acting_as):
    with acting_as("analyst"):
        assert import_dashboard(None, None) == (no_update, no_update, no_update)


# -- duplicating and deleting -----------------------------------------------------------------

def test_duplicate_makes_a_copy_owned_by_the_caller_and_shows_mine(acting_as, database, board, fire):
    fire({"type": ids.GAL_DUPLICATE, "d": board["sales"]}, "n_clicks", 1)
    with acting_as("editor"):
        message, refresh, tab = duplicate([1], 3)
        mine = render_gallery("mine", "", refresh)
    assert "Created Copy of Sales pulse" in text_of(message)
    assert refresh == 4 and tab == "mine"
    copy_id = (_card_ids(mine) - {board["own"]}).pop()
    with database.session() as session:
        copy = load_dashboard(session, account_of(database, "editor"), copy_id, "manage")
    assert copy.owner_name == "Edith Editor" and copy.widget_count == 2 and copy.access == "manage"


def test_viewers_cannot_duplicate(acting_as, database, board, fire):
    before = _count(database)
    fire({"type": ids.GAL_DUPLICATE, "d": board["sales"]}, "n_clicks", 1)
    with acting_as("viewer"):
        message, refresh, tab = duplicate([1], 0)
    assert "Only analysts and admins can duplicate" in text_of(message)
    assert refresh is no_update and tab is no_update and _count(database) == before


def test_the_owner_deletes_a_dashboard_after_confirming(acting_as, database, board, fire):
    fire({"type": ids.GAL_DELETE, "d": board["sales"]}, "n_clicks", 1)
    with acting_as("analyst"):
        is_open, question, target, message = ask_to_delete([1])
    assert is_open is True and target == board["sales"] and message is None
    assert "Sales pulse" in text_of(question) and "cannot be undone" in text_of(question)
    fire(ids.GAL_DELETE_CONFIRM, "n_clicks", 1)
    with acting_as("analyst"):
        is_open, target, message, refresh = confirm_delete(1, None, board["sales"], 0)
    assert is_open is False and target is None and "Deleted Sales pulse" in text_of(message) and refresh == 1
    with database.session() as session, pytest.raises(NotFound):
        load_dashboard(session, account_of(database, "analyst"), board["sales"])


def test_cancelling_the_delete_dialog_deletes_nothing(acting_as, database, board, fire):
    before = _count(database)
    fire(ids.GAL_DELETE_CANCEL, "n_clicks", 1)
    with acting_as("analyst"):
        is_open, target, message, _ = confirm_delete(None, 1, board["sales"], 0)
    assert is_open is False and target is None and message is no_update
    assert _count(database) == before


@pytest.mark.parametrize("person", ["editor", "viewer", "stranger"])
def test_only_someone_who_manages_it_can_delete(acting_as, database, board, fire, person):
    before = _count(database)
    fire({"type": ids.GAL_DELETE, "d": board["sales"]}, "n_clicks", 1)
    with acting_as(person):
        is_open, _, target, asked = ask_to_delete([1])
    fire(ids.GAL_DELETE_CONFIRM, "n_clicks", 1)
    with acting_as(person):
        _, _, confirmed, _ = confirm_delete(1, None, board["sales"], 0)  # a forged confirm
    assert is_open is False and target is None
    expected = "does not exist" if person == "stranger" else "do not have permission"
    assert expected in text_of(asked) and expected in text_of(confirmed)
    assert _count(database) == before


@pytest.mark.parametrize("forged", [999_999, "1 OR 1=1", -1, None, {"id": 1}, True])
def test_a_forged_dashboard_id_returns_nothing_and_changes_nothing(acting_as, database, board,
                                                                   fire, forged):
    before = _count(database)
    fire({"type": ids.GAL_DUPLICATE, "d": forged}, "n_clicks", 1)
    with acting_as("analyst"):
        duplicated = duplicate([1], 0)
    fire({"type": ids.GAL_DELETE, "d": forged}, "n_clicks", 1)
    with acting_as("analyst"):
        asked = ask_to_delete([1])
    fire(ids.GAL_DELETE_CONFIRM, "n_clicks", 1)
    with acting_as("analyst"):
        confirmed = confirm_delete(1, None, forged, 0)
    for message in (duplicated[0], asked[3], confirmed[2]):
        assert "does not exist, or you do not have access" in text_of(message)
    assert duplicated[1] is no_update and asked[0] is False and asked[2] is None
    assert _count(database) == before


def test_a_private_dashboard_of_someone_else_is_as_good_as_missing(acting_as, database, board, fire):
    before = _count(database)
    fire({"type": ids.GAL_DUPLICATE, "d": board["own"]}, "n_clicks", 1)
    with acting_as("stranger"):
        message, refresh, _ = duplicate([1], 0)
    assert "does not exist, or you do not have access" in text_of(message) and refresh is no_update
    assert _count(database) == before


def test_a_button_appearing_is_not_a_click(acting_as, database, board, fire):
    before = _count(database)
    fire({"type": ids.GAL_DUPLICATE, "d": board["sales"]}, "n_clicks", None)
    with acting_as("analyst"):
        assert duplicate([None], 0) == (no_update, no_update, no_update)
    fire({"type": ids.GAL_DELETE, "d": board["sales"]}, "n_clicks", None)
    with acting_as("analyst"):
        assert ask_to_delete([None]) == (no_update, no_update, no_update, no_update)
    assert _count(database) == before


def test_a_dashboard_with_a_renamed_measure_can_still_be_duplicated(acting_as, database, board, fire):
    with database.session() as session:
        row = session.get(Dashboard, board["sales"])
        document = json.loads(row.document)
        document["widgets"][0]["measures"] = ["gone_measure"]
        row.document = json.dumps(document)
    fire({"type": ids.GAL_DUPLICATE, "d": board["sales"]}, "n_clicks", 1)
    with acting_as("editor"):
        message, _, tab = duplicate([1], 0)
    assert "Created Copy of Sales pulse" in text_of(message) and tab == "mine"
