"""`flask schedules list`, `flask schedules run ID` and `flask scheduler tick`: schedules from the
command line, with the next run in the schedule's own timezone, and a report sent in the
foreground with its outcome printed."""

from __future__ import annotations

import datetime as dt
import json

from data.dashboards import set_share
from tests.helpers import account_of
from tests.integration.schedule_helpers import (
    START,
    board,
    database_of,
    email_of,
    make_schedule,
    pin_clock,
    runs_of,
    schedule_row,
)


def run(app, *args: str):
    return app.server.test_cli_runner().invoke(args=list(args))


def test_list_shows_each_schedule_with_its_next_run_in_its_own_timezone(mail_app):
    pin_clock(mail_app)
    assert "No schedules yet" in run(mail_app, "schedules", "list").output
    database = database_of(mail_app)
    dashboard_id = board(database)
    madrid = make_schedule(database, dashboard_id, START, frequency="weekdays", timezone="Europe/Madrid")
    paused = make_schedule(database, dashboard_id, START, owner="admin", frequency="cron", cron="0 7 1 * *")
    with database.session() as session:
        session.get(type(schedule_row(database, paused)), paused).paused = True
    result = run(mail_app, "schedules", "list")
    assert result.exit_code == 0, result.output
    header, first, second = result.output.splitlines()
    assert header.split()[:4] == ["id", "dashboard", "owner", "frequency"]
    assert first.split()[0] == str(madrid)
    for text in ("Weekly pulse", "Alan Analyst", "Weekdays at 08:00 (Europe/Madrid)",
                 "2026-11-23 08:00 Europe/Madrid", " no ", "never"):  # Friday 20th: next is Monday
        assert text in first, (text, first)
    assert "Ada Admin" in second and "Cron 0 7 1 * *" in second and " yes " in second and " - " in second


def test_run_sends_now_in_the_foreground_and_prints_the_outcome(mail_app, smtp_server):
    pin_clock(mail_app)
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"),
                                formats="pdf,xlsx")
    result = run(mail_app, "schedules", "run", str(schedule_id))
    assert result.exit_code == 0, result.output
    [record] = runs_of(database, schedule_id)
    assert (record.trigger, record.status) == ("manual", "sent")
    lines = result.output.splitlines()
    assert lines[0] == f"Run {record.id} of schedule {schedule_id} started."
    assert lines[1].startswith("Files: Weekly pulse") and ".pdf (" in lines[1] and ".xlsx (" in lines[1]
    assert lines[2] == f"Sent to: {email_of('viewer')}, {email_of('admin')}"
    assert lines[3] == f"Run {record.id} sent."
    assert len(smtp_server.wait_for(2)) == 2
    assert "never" not in run(mail_app, "schedules", "list").output.splitlines()[1]


def test_run_of_an_unknown_or_failing_schedule_exits_with_the_reason(mail_app, smtp_server):
    pin_clock(mail_app)
    database = database_of(mail_app)
    missing = run(mail_app, "schedules", "run", "999")
    assert missing.exit_code != 0 and "There is no schedule 999." in missing.output
    dashboard_id = board(database)
    schedule_id = make_schedule(database, dashboard_id, START, owner="editor")
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), dashboard_id, email_of("editor"), None)
    failed = run(mail_app, "schedules", "run", str(schedule_id))
    assert failed.exit_code != 0
    assert "failed: Edith Editor can no longer view dashboard 'Weekly pulse'." in failed.output
    assert "Sent to: nobody" in failed.output and not smtp_server.messages


def test_scheduler_tick_runs_what_is_due_once(mail_app, smtp_server):
    move_to = pin_clock(mail_app)
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    move_to(schedule_row(database, schedule_id).next_run_at + dt.timedelta(seconds=3))
    first = run(mail_app, "scheduler", "tick")
    assert first.exit_code == 0, first.output
    [record] = runs_of(database, schedule_id)
    assert json.loads(first.output)["runs"] == [record.id] and record.status == "sent"
    assert json.loads(run(mail_app, "scheduler", "tick").output)["runs"] == []
    assert len(smtp_server.wait_for(1)) == 1
