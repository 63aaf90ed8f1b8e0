"""Admin callbacks called as plain functions, as each role, on a real database."""

from __future__ import annotations

import pytest
from dash import no_update

from callbacks.account import change_password
from callbacks.admin import change_user, create_user, render_users
from components import ids
from data import users as user_commands
from tests.conftest import PEOPLE, can_sign_in
from tests.helpers import text_of


def _temporary_password(tree) -> str:
    """The password shown in the admin's dialog (the element with its id)."""
    nodes = list(tree) if isinstance(tree, list) else [tree]
    while nodes:
        node = nodes.pop()
        if getattr(node, "id", None) == "admin-temporary-password":
            return node.children
        children = getattr(node, "children", None)
        nodes.extend(children if isinstance(children, list) else [children] if children else [])
    raise AssertionError("no temporary password shown")


def _user(database, email):
    with database.session() as session:
        return user_commands.find_by_email(session, email)




def test_admin_sees_every_user_in_the_table(acting_as):
    with acting_as("admin"):
        table = render_users(0)
    text = text_of(table)
    for email, _, _ in PEOPLE.values():
        assert email in text
    assert "(you)" in text


@pytest.mark.parametrize("role", ["analyst", "viewer", None])
def test_non_admins_get_no_user_list(acting_as, role):
    with acting_as(role):
        table = render_users(0)
    assert "@example.com" not in text_of(table)
    assert "permission" in text_of(table) or "Sign in" in text_of(table)


def test_admin_creates_a_user_with_a_generated_password_shown_once(acting_as, app, database):
    with acting_as("admin"):
        message, refresh, modal_open, secret, email_value, name_value, _ = create_user(
            1, "new.person@example.com", "New Person", "viewer", "", 3)
    assert "Added new.person@example.com" in text_of(message)
    assert refresh == 4 and modal_open is True and email_value == "" and name_value == ""
    password = _temporary_password(secret)
    user = _user(database, "new.person@example.com")
    assert user.role == "viewer" and user.display_name == "New Person"
    assert can_sign_in(app, "new.person@example.com", password)


def test_creating_a_duplicate_or_invalid_user_shows_why_and_writes_nothing(acting_as, database):
    with acting_as("admin"):
        duplicate = create_user(1, PEOPLE["viewer"][0], "", "viewer", "long-enough-pw", 0)
        invalid = create_user(1, "not-an-email", "", "viewer", "long-enough-pw", 0)
        short = create_user(1, "short@example.com", "", "viewer", "short", 0)
    assert "already exists" in text_of(duplicate[0])
    assert "valid email" in text_of(invalid[0])
    assert "at least 10 characters" in text_of(short[0])
    with database.session() as session:
        assert user_commands.count_users(session) == len(PEOPLE)


@pytest.mark.parametrize("role", ["analyst", "viewer", None])
def test_non_admin_cannot_create_users_even_by_calling_the_callback(acting_as, database, role):
    with acting_as(role):
        message, *_ = create_user(1, "sneaky@example.com", "", "admin", "long-enough-pw", 0)
    assert "permission" in text_of(message) or "Sign in" in text_of(message)
    assert _user(database, "sneaky@example.com") is None


def test_admin_changes_a_role(acting_as, database, fire):
    viewer = _user(database, PEOPLE["viewer"][0])
    fire({"type": ids.ADMIN_ROLE, "user": viewer.id}, "value", "analyst")
    with acting_as("admin"):
        message, refresh, *_ = change_user([], [], [], 0)
    assert "is now analyst" in text_of(message) and refresh == 1
    assert _user(database, PEOPLE["viewer"][0]).role == "analyst"


def test_a_forged_role_change_from_an_analyst_changes_nothing(acting_as, database, fire):
    analyst = _user(database, PEOPLE["analyst"][0])
    fire({"type": ids.ADMIN_ROLE, "user": analyst.id}, "value", "admin")
    with acting_as("analyst"):
        message, *_ = change_user([], [], [], 0)
    assert "permission" in text_of(message)
    assert _user(database, PEOPLE["analyst"][0]).role == "analyst"


def test_a_forged_user_id_gets_a_clear_message(acting_as, fire):
    fire({"type": ids.ADMIN_TOGGLE_ACTIVE, "user": "1 OR 1=1"}, "value", 1)
    with acting_as("admin"):
        message, *_ = change_user([], [], [], 0)
    assert "No such user" in text_of(message)


def test_the_last_admin_cannot_demote_themselves(acting_as, database, fire):
    admin = _user(database, PEOPLE["admin"][0])
    fire({"type": ids.ADMIN_ROLE, "user": admin.id}, "value", "viewer")
    with acting_as("admin"):
        message, *_ = change_user([], [], [], 0)
    assert "last active admin" in text_of(message)
    assert _user(database, PEOPLE["admin"][0]).role == "admin"


def test_admin_deactivates_a_user_who_then_cannot_sign_in(acting_as, app, database, fire):
    viewer = _user(database, PEOPLE["viewer"][0])
    fire({"type": ids.ADMIN_TOGGLE_ACTIVE, "user": viewer.id}, "value", 1)
    with acting_as("admin"):
        message, *_ = change_user([], [], [], 0)
    assert "deactivated" in text_of(message)
    email, _, password = PEOPLE["viewer"]
    assert not can_sign_in(app, email, password)


def test_admin_cannot_deactivate_themselves(acting_as, database, fire):
    admin = _user(database, PEOPLE["admin"][0])
    fire({"type": ids.ADMIN_TOGGLE_ACTIVE, "user": admin.id}, "value", 1)
    with acting_as("admin"):
        message, *_ = change_user([], [], [], 0)
    assert "your own account" in text_of(message)
    assert _user(database, PEOPLE["admin"][0]).active


def test_a_button_appearing_is_not_a_click(acting_as, database, fire):
    viewer = _user(database, PEOPLE["viewer"][0])
    fire({"type": ids.ADMIN_TOGGLE_ACTIVE, "user": viewer.id}, "value", None)
    with acting_as("admin"):
        result = change_user([], [], [], 0)
    assert all(isinstance(value, type(no_update)) for value in result)
    assert _user(database, PEOPLE["viewer"][0]).active


def test_admin_resets_a_password_and_the_new_one_works(acting_as, app, database, fire):
    analyst = _user(database, PEOPLE["analyst"][0])
    fire({"type": ids.ADMIN_RESET_PASSWORD, "user": analyst.id}, "value", 1)
    with acting_as("admin"):
        message, _, modal_open, secret = change_user([], [], [], 0)
    assert modal_open is True and "Password reset" in text_of(message)
    password = _temporary_password(secret)
    email, _, old_password = PEOPLE["analyst"]
    assert not can_sign_in(app, email, old_password)
    assert can_sign_in(app, email, password)


def test_a_user_changes_their_own_password(acting_as, app):
    email, _, old_password = PEOPLE["viewer"]
    with acting_as("viewer"):
        mismatch = change_password(1, old_password, "new-password-123", "different-123")
        wrong = change_password(1, "wrong-current", "new-password-123", "new-password-123")
        done = change_password(1, old_password, "new-password-123", "new-password-123")
    assert "do not match" in text_of(mismatch[0])
    assert "not right" in text_of(wrong[0])
    assert "Password changed" in text_of(done[0])
    assert not can_sign_in(app, email, old_password)
    assert can_sign_in(app, email, "new-password-123")


def test_a_new_password_equal_to_the_current_one_is_refused(acting_as):
    _, _, password = PEOPLE["viewer"]
    with acting_as("viewer"):
        result = change_password(1, password, password, password)
    assert "must differ" in text_of(result[0])
