"""The "Schedule report" dialog and the Schedules tab, their callbacks called as plain functions
on a real database, signed in as each person: what opens, what saves, and that ids forged in the
browser (a dashboard, a schedule) change nothing. "Send now" runs for real, to a real SMTP server,
and its run shows in the history with a file that downloads."""

from __future__ import annotations

import io

import openpyxl
import pytest
from dash import no_update

from callbacks.schedule_dialog import FIELDS, open_dialog, preview, save
from callbacks.schedules import (
    ask_delete,
    confirm_delete,
    history,
    open_history,
    pause_or_resume,
    schedule_list,
)
from components import ids
from data.delivery_models import ScheduleRun
from data.schedules import get_schedule, list_schedules
from tests.conftest import PEOPLE, sign_in, wait_until
from tests.helpers import SALES_PULSE, account_of, nodes, shared_board, text_of

DOCUMENT = SALES_PULSE
OPEN = {"type": ids.SC_OPEN, "page": "dashboard"}


@pytest.fixture
def app(mail_app):
    """Every test here runs on an app whose email goes to a real local SMTP server."""
    return mail_app


@pytest.fixture
def board(database, clock):
    return shared_board(database, DOCUMENT)


def choices(**changes) -> list:
    """The dialog's values, in the order of FIELDS."""
    values = {ids.SC_SUBJECT: "Sales pulse report", ids.SC_FORMATS: ["xlsx"], ids.SC_TEMPLATE: "detailed",
              ids.SC_PAGE_SIZE: "A4", ids.SC_ORIENTATION: "portrait", ids.SC_RANGE: "dashboard",
              ids.SC_WIDGETS: ["kpi", "regions"], ids.SC_USERS: [], ids.SC_EMAILS: PEOPLE["analyst"][0],
              ids.SC_FREQUENCY: "weekdays", ids.SC_WEEKDAY: "0", ids.SC_DAY: 1, ids.SC_CRON: "",
              ids.SC_TIME: "08:00", ids.SC_TIMEZONE: "Europe/Madrid", ids.SC_MISSED: "latest"}
    values.update(changes)
    return [values[field] for field in FIELDS]


def create(acting_as, fire, person: str, dashboard_id: int, **changes):
    with acting_as(person):
        fire(ids.SC_SAVE, "n_clicks", 1)
        return save(1, {"dashboard": dashboard_id}, 0, "Europe/Madrid", *choices(**changes))


def schedules(database, person: str = "admin") -> list:
    with database.session() as session:
        return list_schedules(session, account_of(database, person), everyone=True)


def test_schedule_report_opens_filled_in_for_an_analyst(acting_as, fire, board):
    with acting_as("analyst"):
        fire(OPEN, "n_clicks", 1)
        result = open_dialog([1], [], 0, {"dashboard": board.id}, "America/New_York")
    is_open, context, title, heading, widgets, users, *_rest = result
    values = dict(zip(FIELDS, result[-len(FIELDS):], strict=True))
    assert is_open and context == {"dashboard": board.id} and title == "Schedule report"
    assert heading == "Dashboard: Sales pulse"
    assert [option["value"] for option in widgets] == ["kpi", "regions"]
    assert any(option["label"] == f"Vera Viewer <{PEOPLE['viewer'][0]}>" for option in users)
    assert values[ids.SC_SUBJECT] == "Sales pulse report"
    assert values[ids.SC_TIMEZONE] == "America/New_York"  # the browser's
    assert values[ids.SC_WIDGETS] == ["kpi", "regions"] and values[ids.SC_FORMATS] == ["pdf"]


@pytest.mark.parametrize("person", ["viewer", "stranger"])
def test_the_dialog_does_not_open_for_a_viewer_or_on_a_dashboard_the_user_cannot_see(acting_as, fire, board,
                                                                                  person):
    with acting_as(person):
        fire(OPEN, "n_clicks", 1)
        result = open_dialog([1], [], 0, {"dashboard": board.id}, "UTC")
    assert all(value is no_update for value in result)


def test_saving_creates_the_schedule_and_says_when_it_next_runs(acting_as, fire, board, database):
    is_open, message, saved, toast, note = create(acting_as, fire, "analyst", board.id)
    assert is_open is False and message is None and saved == 1 and toast is True
    # The clock stands on Friday 20 November 2026, 15:35 UTC: the next weekday 08:00 is Monday's.
    assert "next run Mon 23 Nov 2026, 08:00 CET" in text_of(note)
    [schedule] = schedules(database)
    assert schedule.owner_id == account_of(database, "analyst").id and schedule.recipient_emails == ()
    assert schedule.options.get("widgets") is None  # every widget ticked: all, new ones too


@pytest.mark.parametrize(("changes", "expected"), [
    ({ids.SC_FREQUENCY: "cron", ids.SC_CRON: "0 8 * *"}, "A cron expression has 5 fields"),
    ({ids.SC_TIMEZONE: "Mars/Olympus"}, "'Mars/Olympus' is not a known timezone"),
    ({ids.SC_FORMATS: []}, "Choose PDF, Excel or both."),
    ({ids.SC_WIDGETS: []}, "Choose at least one widget"),
    ({ids.SC_EMAILS: "partner@elsewhere.example"}, "partner@elsewhere.example has no Pulseboard account"),
    ({ids.SC_WIDGETS: ["forged"]}, "Choose at least one widget"),
])
def test_a_refused_save_says_why_and_saves_nothing(acting_as, fire, board, database, changes, expected):
    is_open, message, *_rest = create(acting_as, fire, "analyst", board.id, **changes)
    assert is_open is no_update and expected in text_of(message)
    assert schedules(database) == []


def test_a_forged_dashboard_id_saves_nothing(acting_as, fire, board, database):
    for person, dashboard_id in (("stranger", board.id), ("analyst", 999_999), ("viewer", board.id)):
        is_open, message, *_rest = create(acting_as, fire, person, dashboard_id)
        assert is_open is no_update and message is not None
    assert schedules(database) == []


def test_a_forged_schedule_id_changes_nothing(acting_as, fire, board, database):
    create(acting_as, fire, "analyst", board.id)
    [schedule] = schedules(database)
    with acting_as("editor"):  # may edit the dashboard, but the schedule is not theirs
        fire(ids.SC_SAVE, "n_clicks", 1)
        is_open, message, *_rest = save(1, {"schedule": schedule.id, "dashboard": board.id}, 0, "UTC",
                                        *choices(**{ids.SC_SUBJECT: "Hijacked"}))
        fire({"type": ids.SC_EDIT, "schedule": schedule.id}, "n_clicks", 1)
        opened = open_dialog([], [1], 0, None, "UTC")
    assert is_open is no_update and "does not exist" in text_of(message)
    assert all(value is no_update for value in opened)
    assert schedules(database)[0].subject == "Sales pulse report"


def test_edit_reopens_the_dialog_with_the_schedules_values_and_saves_them(acting_as, fire, board, database):
    create(acting_as, fire, "analyst", board.id, **{ids.SC_FREQUENCY: "weekly", ids.SC_WEEKDAY: "4",
                                                   ids.SC_WIDGETS: ["regions"]})
    [schedule] = schedules(database)
    with acting_as("analyst"):
        fire({"type": ids.SC_EDIT, "schedule": schedule.id}, "n_clicks", 1)
        result = open_dialog([], [1], 0, None, "UTC")
        values = dict(zip(FIELDS, result[-len(FIELDS):], strict=True))
        assert result[1] == {"schedule": schedule.id, "dashboard": board.id} and result[2] == "Edit schedule"
        assert (values[ids.SC_FREQUENCY], values[ids.SC_WEEKDAY], values[ids.SC_WIDGETS]) == ("weekly", "4",
                                                                                             ["regions"])
        fire(ids.SC_SAVE, "n_clicks", 1)
        changed = {**values, ids.SC_SUBJECT: "Friday numbers", ids.SC_TIME: "17:00"}
        save(1, result[1], 0, "UTC", *[changed[field] for field in FIELDS])
    with database.session() as session:
        record = get_schedule(session, account_of(database, "analyst"), schedule.id)
    assert record.subject == "Friday numbers"
    assert record.description == "Weekly on Friday at 17:00 (Europe/Madrid)"


def test_the_preview_shows_the_next_three_runs_or_what_is_wrong(acting_as, board):
    with acting_as("analyst"):
        good = text_of(preview("daily", "0", 1, "", "08:00", "Europe/Madrid", "Europe/Madrid"))
        bad = text_of(preview("cron", "0", 1, "every morning", "08:00", "Europe/Madrid", "UTC"))
    assert "Sat 21 Nov 2026, 08:00 CET" in good and "Mon 23 Nov 2026, 08:00 CET" in good
    assert "A cron expression has 5 fields" in bad


def test_the_list_shows_only_the_users_schedules_with_the_next_run_in_their_timezone(acting_as, fire, board):
    create(acting_as, fire, "analyst", board.id)
    with acting_as("analyst"):
        mine = text_of(schedule_list(0, False, "America/New_York", 0, None)[0])
    with acting_as("stranger"):
        theirs = text_of(schedule_list(0, True, "UTC", 0, None)[0])
    assert "Sales pulse report" in mine and "Weekdays at 08:00 (Europe/Madrid)" in mine
    assert "Mon 23 Nov 2026, 02:00 EST" in mine  # 08:00 in Madrid
    assert "No scheduled reports yet" in theirs


def test_pause_resume_and_delete_for_the_owner_and_not_for_a_forger(acting_as, fire, board, database):
    create(acting_as, fire, "analyst", board.id)
    [schedule] = schedules(database)
    pause = {"type": ids.SC_PAUSE, "schedule": schedule.id}
    with acting_as("stranger"):
        fire(pause, "n_clicks", 1)
        _refresh, message = pause_or_resume([1], 0, "UTC")
        assert "does not exist" in text_of(message)
        fire(ids.SC_DELETE_CONFIRM, "n_clicks", 1)
        assert "does not exist" in text_of(confirm_delete(1, {"schedule": schedule.id}, 0)[2])
    assert not schedules(database)[0].paused
    with acting_as("analyst"):
        fire(pause, "n_clicks", 1)
        assert "is paused" in text_of(pause_or_resume([1], 0, "UTC")[1])
        assert schedules(database)[0].paused and schedules(database)[0].next_run_at is None
        fire(pause, "n_clicks", 1)
        resumed = text_of(pause_or_resume([1], 0, "UTC")[1])
        assert "resumed: the next run is Mon 23 Nov 2026, 07:00 UTC" in resumed
        fire({"type": ids.SC_DELETE, "schedule": schedule.id}, "n_clicks", 1)
        is_open, body, target = ask_delete([1], 0)
        assert is_open and "Sales pulse report" in text_of(body) and target == {"schedule": schedule.id}
        fire(ids.SC_DELETE_CONFIRM, "n_clicks", 1)
        assert "deleted" in text_of(confirm_delete(1, target, 0)[2])
    assert schedules(database) == []


def test_a_redrawn_list_does_not_act_on_its_buttons(acting_as, fire, board, database):
    create(acting_as, fire, "analyst", board.id)
    [schedule] = schedules(database)
    with acting_as("analyst"):
        fire({"type": ids.SC_PAUSE, "schedule": schedule.id}, "n_clicks", 0)
        assert pause_or_resume([0], 0, "UTC") == (no_update, no_update)
    assert not schedules(database)[0].paused


def test_send_now_sends_the_report_and_the_run_shows_in_the_history_with_its_file(
        acting_as, fire, board, database, smtp_server, app):
    create(acting_as, fire, "analyst", board.id)
    [schedule] = schedules(database)
    send = {"type": ids.SC_SEND, "schedule": schedule.id}
    with acting_as("stranger"):
        fire(send, "n_clicks", 1)
        is_open, target, _refresh, message = open_history([], [1], 0)
        assert is_open is False and "does not exist" in text_of(message)
    with acting_as("analyst"):
        fire(send, "n_clicks", 1)
        is_open, target, _refresh, message = open_history([], [1], 0)
        assert is_open and target == {"schedule": schedule.id}
        assert "Sending “Sales pulse report”" in text_of(message)
    smtp_server.wait_for(1)
    assert smtp_server.messages[0].subject == "Sales pulse report"

    def finished():
        with acting_as("analyst"):
            body = history(target, 1, True, "Europe/Madrid")
        return body if "Sent" in text_of(body) else None

    body = wait_until(finished, 60, "the run to show as sent")
    assert "Send now" in text_of(body) and f"{PEOPLE['analyst'][0]}: sent" in text_of(body)
    link = next(node for node in _links(body) if node.href.startswith("/exports/"))
    client = app.server.test_client()
    sign_in(client, PEOPLE["analyst"][0], PEOPLE["analyst"][2])
    with client.get(link.href) as response:
        assert response.status_code == 200
        workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert "By region" in " ".join(workbook.sheetnames)
    with acting_as("stranger"):
        assert "does not exist" in text_of(history(target, 1, True, "UTC"))


def _send_button(tree, schedule_id: int):
    return next(node for node in nodes(tree)
                if getattr(node, "id", None) == {"type": ids.SC_SEND, "schedule": schedule_id})


def test_send_now_is_off_while_a_run_of_the_schedule_is_in_flight(acting_as, fire, board, database):
    create(acting_as, fire, "analyst", board.id)
    [schedule] = schedules(database)
    with acting_as("analyst"):
        assert not _send_button(schedule_list(0, False, "UTC", 0, None)[0], schedule.id).disabled
    for status, off in [("pending", True), ("rendering", True), ("sending", True), ("sent", False),
                        ("failed", False)]:
        with database.session() as session:
            session.query(ScheduleRun).filter(ScheduleRun.schedule_id == schedule.id).delete()
            session.add(ScheduleRun(schedule_id=schedule.id, planned_at=schedule.next_run_at,
                                    trigger="manual", status=status, recipients="{}", files="[]"))
        with acting_as("analyst"):
            listed, poll_off = schedule_list(0, False, "UTC", 0, None)
        assert bool(_send_button(listed, schedule.id).disabled) is off and poll_off is not off


def _links(tree):
    return [node for node in nodes(tree) if getattr(node, "href", None)]
