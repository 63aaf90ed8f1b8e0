"""The command line: users create/list, the demo admin, and demo seed, through Flask's CLI runner."""

from __future__ import annotations

import os
import stat

from data import users as user_commands
from tests.conftest import can_sign_in


def test_users_create_reads_the_password_from_stdin_and_the_user_can_sign_in(app):
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["users", "create", "Cli.User@Example.com", "--role", "analyst"],
                           input="cli-password-123\n")
    assert result.exit_code == 0, result.output
    assert "Created cli.user@example.com (analyst)" in result.output
    assert can_sign_in(app, "cli.user@example.com", "cli-password-123")


def test_users_create_refuses_a_weak_password_or_duplicate_with_a_message(app):
    runner = app.server.test_cli_runner()
    weak = runner.invoke(args=["users", "create", "weak@example.com"], input="short\n")
    duplicate = runner.invoke(args=["users", "create", "ada@example.com"], input="long-enough-pw\n")
    assert weak.exit_code == 1 and "at least 10 characters" in weak.output
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output


def test_users_list_shows_every_user_with_role_and_status(app):
    result = app.server.test_cli_runner().invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert any("ada@example.com" in line and "admin" in line and "active" in line for line in lines)
    assert any("vera@example.com" in line and "viewer" in line for line in lines)


def test_demo_admin_is_created_only_when_there_are_no_users(app, database):
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == 0 and result.output == ""  # users exist: nothing to do
    with database.session() as session:
        for user in user_commands.list_users(session):
            session.delete(user)
    first = runner.invoke(args=["users", "ensure-demo-admin"])
    second = runner.invoke(args=["users", "ensure-demo-admin"])
    assert "email: admin@pulseboard.local" in first.output and first.output == second.output
    password = first.output.split("password: ")[1].split()[0]
    credentials = app.server.extensions["pulseboard"].settings.instance_path / "demo-admin.txt"
    assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600
    with database.session() as session:
        assert user_commands.count_users(session) == 1
    assert can_sign_in(app, "admin@pulseboard.local", password)


def test_demo_seed_does_nothing_when_data_is_present(app):
    result = app.server.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0
    assert "already present (5,000 order lines)" in result.output


def test_a_forgotten_admin_password_is_recovered_from_the_command_line(app):
    runner = app.server.test_cli_runner()
    result = runner.invoke(args=["users", "set-password", "ada@example.com"],
                           input="recovered-password-1\n")
    assert result.exit_code == 0, result.output
    assert "Password changed for ada@example.com" in result.output
    assert can_sign_in(app, "ada@example.com", "recovered-password-1")


def test_roles_and_access_change_from_the_command_line(app, database):
    runner = app.server.test_cli_runner()
    assert "is now analyst" in runner.invoke(args=["users", "set-role", "vera@example.com",
                                                   "analyst"]).output
    assert "is deactivated" in runner.invoke(args=["users", "deactivate", "vera@example.com"]).output
    assert not can_sign_in(app, "vera@example.com", "viewer-password-1")
    assert "is active" in runner.invoke(args=["users", "activate", "vera@example.com"]).output
    assert can_sign_in(app, "vera@example.com", "viewer-password-1")
    last_admin = runner.invoke(args=["users", "set-role", "ada@example.com", "viewer"])
    assert last_admin.exit_code == 1 and "last active admin" in last_admin.output
    unknown = runner.invoke(args=["users", "deactivate", "nobody@example.com"])
    assert unknown.exit_code == 1 and "no user with the email" in unknown.output
