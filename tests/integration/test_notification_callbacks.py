"""The bell's callbacks called as plain functions, as each person, on the real app database: the
count, the popover that marks what it shows read, "Mark all read", and one person's
notifications never reaching another."""

from __future__ import annotations

import datetime as dt

import pytest
from dash import no_update

from callbacks.notifications import open_or_mark_read, refresh_count
from components import ids
from components.notifications import badge_class, badge_text, safe_link
from data.delivery_models import Notification
from data.notifications import notify, unread_count
from tests.conftest import DEMO_END
from tests.helpers import account_of, nodes, text_of

NOW = DEMO_END + dt.timedelta(minutes=5)  # where the `clock` fixture pins the app's time


def _notify(database, person: str, title: str, minutes_ago: int = 0, link: str | None = "/dashboards/1",
            kind: str = "fired") -> int:
    user = account_of(database, person)
    with database.session() as session:
        return notify(session, user.id, kind, title, f"{title}: the body", link,
                      NOW - dt.timedelta(minutes=minutes_ago))


def _unread(database, person: str) -> int:
    with database.session() as session:
        return unread_count(session, account_of(database, person).id)


def _items(tree) -> list:
    """The list's items, in the order shown."""
    return [node for node in getattr(tree, "children", None) or [] if "pb-bell-item" in node.className] \
        if isinstance(getattr(tree, "children", None), list) else []


def _unread_titles(tree) -> set[str]:
    return {text_of(item.children).split(":")[0].split(" ")[0] for item in _items(tree)
            if "pb-bell-unread" in item.className}


def test_the_badge_shows_the_unread_count_and_hides_at_zero(acting_as, database, clock):
    with acting_as("analyst"):
        assert refresh_count("/", None, None) == ("0", badge_class(0), 0)
    _notify(database, "analyst", "Revenue")
    _notify(database, "analyst", "Orders")
    with acting_as("analyst"):
        text, class_name, count = refresh_count("/reports", 1, 0)
    assert (text, count) == ("2", 2) and "d-none" not in class_name
    assert "d-none" in badge_class(0) and badge_text(150) == "99+"


def test_an_unchanged_count_sends_nothing_back(acting_as, database, clock):
    _notify(database, "analyst", "Revenue")
    with acting_as("analyst"):
        assert refresh_count("/", 3, 1) == (no_update, no_update, no_update)


def test_a_signed_out_request_counts_and_marks_nothing(acting_as, database, clock, fire):
    _notify(database, "analyst", "Revenue")
    fire(ids.NT_MARK_ALL, "n_clicks", 1)
    with acting_as(None):
        assert refresh_count("/", None, None) == (no_update, no_update, no_update)
        assert open_or_mark_read(True, None) == (no_update, no_update, no_update, no_update)
    assert _unread(database, "analyst") == 1


def test_opening_the_bell_lists_the_newest_first_marks_them_new_then_read(acting_as, database, clock, fire):
    _notify(database, "analyst", "Older", minutes_ago=90)
    read_id = _notify(database, "analyst", "Seen", minutes_ago=60)
    _notify(database, "analyst", "Newest", minutes_ago=2, link="/reports")
    with database.session() as session:
        session.get(Notification, read_id).read_at = NOW - dt.timedelta(minutes=30)

    fire(ids.NT_POPOVER, "is_open", True)
    with acting_as("analyst"):
        listed, text, class_name, count = open_or_mark_read(True, None)
    items = _items(listed)
    assert [text_of(item).split(" ")[0] for item in items] == ["Newest", "Seen", "Older"]
    assert _unread_titles(listed) == {"Newest", "Older"}
    assert "2 minutes ago" in text_of(items[0]) and "1 hour ago" in text_of(items[2])
    assert {getattr(node, "href", None) for node in nodes(listed)} >= {"/reports", "/dashboards/1"}
    assert (text, count) == ("0", 0) and "d-none" in class_name
    assert _unread(database, "analyst") == 0

    with acting_as("analyst"):  # opened again: nothing is new any more
        again = open_or_mark_read(True, None)[0]
    assert _unread_titles(again) == set()


def test_closing_the_bell_changes_nothing(acting_as, database, clock, fire):
    _notify(database, "analyst", "Revenue")
    fire(ids.NT_POPOVER, "is_open", False)
    with acting_as("analyst"):
        assert open_or_mark_read(False, None) == (no_update, no_update, no_update, no_update)
    assert _unread(database, "analyst") == 1


def test_opening_marks_only_what_it_shows_and_mark_all_read_marks_the_rest(acting_as, database, clock, fire):
    for minutes in range(25):
        _notify(database, "analyst", f"Alert{minutes}", minutes_ago=minutes)
    fire(ids.NT_POPOVER, "is_open", True)
    with acting_as("analyst"):
        listed, text, _class_name, count = open_or_mark_read(True, None)
    assert len(_items(listed)) == 20 and (text, count) == ("5", 5)

    fire(ids.NT_MARK_ALL, "n_clicks", 1)
    with acting_as("analyst"):
        listed, text, class_name, count = open_or_mark_read(True, 1)
    assert (text, count) == ("0", 0) and "d-none" in class_name and _unread_titles(listed) == set()
    assert _unread(database, "analyst") == 0


def test_one_person_never_counts_sees_or_marks_anothers_notifications(acting_as, database, clock, fire):
    _notify(database, "viewer", "Secret revenue")
    _notify(database, "analyst", "Mine")
    with acting_as("analyst"):
        assert refresh_count("/", None, None)[2] == 1
        fire(ids.NT_MARK_ALL, "n_clicks", 1)
        listed = open_or_mark_read(True, 1)[0]
    assert "Secret" not in text_of(listed)
    assert _unread(database, "viewer") == 1 and _unread(database, "analyst") == 0
    with acting_as("viewer"):
        fire(ids.NT_POPOVER, "is_open", True)
        listed = open_or_mark_read(True, None)[0]
    assert text_of(listed).startswith("Secret revenue") and "Mine" not in text_of(listed)


def test_an_empty_bell_says_so(acting_as, database, clock, fire):
    fire(ids.NT_POPOVER, "is_open", True)
    with acting_as("stranger"):
        listed = open_or_mark_read(True, None)[0]
    assert text_of(listed) == "No notifications yet."


@pytest.mark.parametrize("link", ["javascript:alert(1)", "//evil.example/x", "https://evil.example/",
                                  "/\\evil.example", None, ""])
def test_a_link_leaving_the_app_is_not_followed(link):
    assert safe_link(link) is None


def test_a_stored_link_leaving_the_app_shows_as_text_only(acting_as, database, clock, fire):
    user = account_of(database, "analyst")
    with database.session() as session:  # written past notify(), which refuses such links
        session.add(Notification(user_id=user.id, kind="report", title="Odd", body="", link="javascript:x()",
                                 created_at=NOW))
    fire(ids.NT_POPOVER, "is_open", True)
    with acting_as("analyst"):
        listed = open_or_mark_read(True, None)[0]
    assert "Odd" in text_of(listed)
    assert not any(getattr(node, "href", None) for node in nodes(listed))
