"""The bell's notifications as data: each person counts, reads and marks only their own."""

from __future__ import annotations

import datetime as dt

import pytest

from data.notifications import mark_read, notify, recent, unread_count
from tests.conftest import DEMO_END
from tests.helpers import account_of

NOW = DEMO_END + dt.timedelta(minutes=5)


@pytest.fixture
def people(database) -> dict[str, int]:
    return {name: account_of(database, name).id for name in ("analyst", "viewer")}


def _add(database, user_id: int, title: str, minutes: int = 0, kind: str = "fired") -> int:
    with database.session() as session:
        return notify(session, user_id, kind, title, f"{title} body", "/dashboards/1",
                      NOW + dt.timedelta(minutes=minutes))


def test_unread_count_counts_only_the_users_own_unread_notifications(database, people):
    _add(database, people["analyst"], "one")
    _add(database, people["analyst"], "two", 1)
    _add(database, people["viewer"], "theirs")
    with database.session() as session:
        assert unread_count(session, people["analyst"]) == 2
        assert unread_count(session, people["viewer"]) == 1


def test_recent_lists_the_users_notifications_newest_first_up_to_the_limit(database, people):
    for minute in range(5):
        _add(database, people["analyst"], f"n{minute}", minute)
    _add(database, people["viewer"], "theirs", 10)
    with database.session() as session:
        records = recent(session, people["analyst"], limit=3)
    assert [record.title for record in records] == ["n4", "n3", "n2"]
    assert all(record.unread and record.link == "/dashboards/1" for record in records)
    assert records[0].body == "n4 body" and records[0].kind == "fired"


def test_marking_read_changes_only_the_given_ids_of_the_user_and_ignores_another_users(database, people):
    mine = [_add(database, people["analyst"], f"n{i}", i) for i in range(3)]
    theirs = _add(database, people["viewer"], "theirs")
    with database.session() as session:
        changed = mark_read(session, people["analyst"], [mine[0], theirs], NOW)
    with database.session() as session:
        assert changed == 1
        assert unread_count(session, people["analyst"]) == 2
        assert unread_count(session, people["viewer"]) == 1  # not theirs to mark
        read = {record.id: record.read_at for record in recent(session, people["analyst"])}
    assert read[mine[0]] == NOW and read[mine[1]] is None


def test_marking_all_read_leaves_other_users_unread(database, people):
    for minute in range(3):
        _add(database, people["analyst"], f"n{minute}", minute)
    _add(database, people["viewer"], "theirs")
    with database.session() as session:
        assert mark_read(session, people["analyst"], None, NOW) == 3
    with database.session() as session:
        assert unread_count(session, people["analyst"]) == 0
        assert unread_count(session, people["viewer"]) == 1
        assert mark_read(session, people["analyst"], [], NOW) == 0


def test_a_notification_refuses_an_unknown_kind_or_a_link_outside_the_app(database, people):
    with database.session() as session, pytest.raises(ValueError, match="one of"):
        notify(session, people["analyst"], "spam", "t", "", None, NOW)
    with database.session() as session, pytest.raises(ValueError, match="inside the app"):
        notify(session, people["analyst"], "fired", "t", "", "https://evil.example/x", NOW)
    with database.session() as session, pytest.raises(ValueError, match="inside the app"):
        notify(session, people["analyst"], "fired", "t", "", "//evil.example/x", NOW)


def test_long_titles_and_bodies_are_cut_to_what_the_table_holds(database, people):
    _add(database, people["analyst"], "x" * 500)
    with database.session() as session:
        record = recent(session, people["analyst"])[0]
    assert len(record.title) == 200 and record.title.endswith("…")
