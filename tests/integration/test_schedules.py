"""Report schedules as data (data/schedules.py) on a real database: who may schedule which
dashboard for whom, validation with readable messages, next runs recomputed on every change,
pause and resume without replaying what was missed, and delete."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from data.dashboards import Forbidden, NotFound
from data.db import Database
from data.delivery_models import Schedule, ScheduleRun
from data.migrate import upgrade
from data.schedules import (
    ScheduleError,
    ScheduleForm,
    ScheduleNotFound,
    create_schedule,
    delete_schedule,
    export_options,
    get_schedule,
    list_schedules,
    set_paused,
    update_schedule,
)
from tests.conftest import PEOPLE, seed_users
from tests.helpers import SALES_PULSE, account_of, shared_board

DOCUMENT = SALES_PULSE
# A Monday, 10:00 UTC (11:00 in Madrid).
NOW = dt.datetime(2026, 11, 23, 10, 0)


@pytest.fixture(autouse=True)
def in_app(app):
    """Inside the test app, whose settings (no external recipients) the rules read."""
    with app.server.app_context():
        yield


@pytest.fixture
def board(database):
    return shared_board(database, DOCUMENT)


def form_of(board_id: int, **changes) -> ScheduleForm:
    data = {"dashboard_id": board_id, "subject": "Sales pulse report", "formats": ["pdf", "xlsx"],
            "recipient_users": [], "recipient_emails": [PEOPLE["viewer"][0]],
            "recurrence": {"frequency": "daily", "time_of_day": "08:00", "timezone": "Europe/Madrid"}}
    return ScheduleForm.from_browser({**data, **changes})


def create(database, person: str, form: ScheduleForm, now: dt.datetime = NOW, **kwargs) -> int:
    with database.session() as session:
        return create_schedule(session, account_of(database, person), form, now, **kwargs)


def test_an_analyst_schedules_a_dashboard_and_it_next_runs_at_the_next_local_eight(database, board):
    schedule_id = create(database, "analyst", form_of(board.id, template="executive",
                                                      time_range={"relative": "last_7_days"}))
    with database.session() as session:
        record = get_schedule(session, account_of(database, "analyst"), schedule_id)
        row = session.get(Schedule, schedule_id)
        choices = json.loads(row.options)
        pdf, xlsx = export_options(choices, "pdf"), export_options(choices, "xlsx")
    # 08:00 in Madrid in winter is 07:00 UTC; 10:00 UTC today is past it, so tomorrow.
    assert record.next_run_at == dt.datetime(2026, 11, 24, 7, 0)
    assert record.formats == ("pdf", "xlsx") and record.dashboard_title == "Sales pulse"
    assert record.description == "Daily at 08:00 (Europe/Madrid)"
    # A recipient typed as the email of a user is that user.
    assert record.recipient_emails == ()
    assert record.recipient_names == (f"Vera Viewer <{PEOPLE['viewer'][0]}>",)
    assert (pdf.format, pdf.template, pdf.time_range.relative) == ("pdf", "executive", "last_7_days")
    assert xlsx.format == "xlsx" and xlsx.widgets is None


def test_a_viewer_may_not_schedule_even_a_dashboard_shared_with_them(app, database, board):
    with pytest.raises(Forbidden, match="Only analysts and admins can schedule reports"):
        create(database, "viewer", form_of(board.id))


def test_a_dashboard_the_user_cannot_view_is_refused_as_not_found(app, database, board):
    with pytest.raises(NotFound) as hidden:
        create(database, "stranger", form_of(board.id))
    with pytest.raises(NotFound) as missing:
        create(database, "stranger", form_of(999_999))
    assert str(hidden.value) == str(missing.value)
    assert str(hidden.value) == "This dashboard does not exist, or you do not have access to it."
    with database.session() as session:
        assert session.query(Schedule).count() == 0


def test_an_external_address_is_refused_unless_an_admin_allows_them(app, database, board):
    outside = form_of(board.id, recipient_emails=["partner@elsewhere.example"])
    with pytest.raises(ScheduleError, match=r"partner@elsewhere\.example has no Pulseboard account"):
        create(database, "analyst", outside)  # the test app's setting: not allowed
    schedule_id = create(database, "analyst", outside, allow_external=True)
    with database.session() as session:
        assert get_schedule(session, account_of(database, "analyst"), schedule_id).recipient_emails == (
            "partner@elsewhere.example",)


@pytest.mark.parametrize(("recurrence", "message"), [
    ({"frequency": "cron", "cron": "0 8 * *"}, "A cron expression has 5 fields"),
    ({"frequency": "cron", "cron": "61 8 * * *"}, "The cron expression '61 8 * * *' is not valid"),
    ({"frequency": "daily", "timezone": "Europe/Atlantis"}, "'Europe/Atlantis' is not a known timezone"),
    ({"frequency": "daily", "time_of_day": "25:00"}, "The time of day must be HH:MM"),
    ({"frequency": "weekly"}, "A weekly schedule needs a day of the week"),
    ({"frequency": "monthly", "day_of_month": 32}, "A monthly schedule needs a day of the month"),
])
def test_a_bad_recurrence_is_refused_with_a_readable_message(recurrence, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        form_of(1, recurrence=recurrence)


@pytest.mark.parametrize(("changes", "message"), [
    ({"formats": []}, "Choose PDF, Excel or both"),
    ({"formats": ["csv"]}, "formats"),
    ({"subject": "  "}, "Give the report a subject"),
    ({"recipient_emails": []}, "Add at least one recipient"),
    ({"recipient_emails": ["not an address"]}, "is not an email address"),
    ({"widgets": []}, "Choose at least one widget"),
    ({"missed": "replay"}, "missed"),
])
def test_a_bad_form_is_refused_with_a_readable_message(changes, message):
    with pytest.raises(ValueError, match=message):
        form_of(1, **changes)


def test_a_subject_cannot_carry_a_line_break_into_the_mail_headers():
    subject = form_of(1, subject="Report\r\nBcc: someone@evil.example").subject
    assert subject == "Report Bcc: someone@evil.example"


def test_an_update_recomputes_the_next_run_from_now(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    weekly = form_of(board.id, recurrence={"frequency": "weekly", "weekday": 4, "time_of_day": "17:30",
                                           "timezone": "America/New_York"})
    with database.session() as session:
        update_schedule(session, account_of(database, "analyst"), schedule_id, weekly,
                        NOW + dt.timedelta(hours=1))
        record = get_schedule(session, account_of(database, "analyst"), schedule_id)
    # Friday 27 November, 17:30 in New York (UTC-5) is 22:30 UTC.
    assert record.next_run_at == dt.datetime(2026, 11, 27, 22, 30)
    assert record.description == "Weekly on Friday at 17:30 (America/New_York)"


def test_an_edit_keeping_the_recurrence_keeps_a_run_that_is_due_and_not_yet_picked_up(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    due = dt.datetime(2026, 11, 24, 7, 0)  # 08:00 in Madrid; the scheduler has not ticked yet
    analyst = account_of(database, "analyst")
    with database.session() as session:
        assert get_schedule(session, analyst, schedule_id).next_run_at == due
        update_schedule(session, analyst, schedule_id, form_of(board.id, subject="Renamed", formats=["xlsx"]),
                        due + dt.timedelta(seconds=30))
        record = get_schedule(session, analyst, schedule_id)
    assert record.subject == "Renamed" and record.next_run_at == due  # still due: the tick sends it
    changed = form_of(board.id, recurrence={"frequency": "daily", "time_of_day": "09:00",
                                            "timezone": "Europe/Madrid"})
    with database.session() as session:
        update_schedule(session, analyst, schedule_id, changed, due + dt.timedelta(seconds=30))
        assert get_schedule(session, analyst, schedule_id).next_run_at == dt.datetime(2026, 11, 24, 8, 0)


@pytest.mark.parametrize("address", ["a(b)@example.com", "a:b@example.com", "x@[10.0.0.1]",
                                     "back\\slash@example.com", "no-dot@localhost", "dot@example."])
def test_an_address_the_mailer_would_refuse_is_refused_by_the_form(address):
    with pytest.raises(ValueError, match="is not an email address"):
        form_of(1, recipient_emails=[address])


def test_typed_addresses_are_kept_lowercased_once_each():
    assert form_of(1, recipient_emails=["Vera@Example.com", "vera@example.COM"]).recipient_emails == [
        "vera@example.com"]


def test_a_schedule_does_not_move_to_another_dashboard(app, database, board):
    other = shared_board(database, {**DOCUMENT, "title": "Other"})
    schedule_id = create(database, "analyst", form_of(board.id))
    with database.session() as session, pytest.raises(ScheduleError, match="stays on its dashboard"):
        update_schedule(session, account_of(database, "analyst"), schedule_id, form_of(other.id), NOW)


def test_only_the_owner_or_an_admin_sees_and_changes_a_schedule(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    for person in ("editor", "viewer", "stranger"):
        account = account_of(database, person)
        with database.session() as session:
            assert list_schedules(session, account) == []
            assert list_schedules(session, account, everyone=True) == []
            attempts = ((get_schedule, ()), (update_schedule, (form_of(board.id), NOW)),
                        (set_paused, (True, NOW)), (delete_schedule, ()))
            for action, extra in attempts:
                with pytest.raises(ScheduleNotFound, match="does not exist, or you do not have access"):
                    action(session, account, schedule_id, *extra)
    admin = account_of(database, "admin")
    with database.session() as session:
        assert list_schedules(session, admin) == []
        assert [s.id for s in list_schedules(session, admin, everyone=True)] == [schedule_id]
        set_paused(session, admin, schedule_id, True, NOW)
        assert get_schedule(session, admin, schedule_id).paused


def test_resuming_counts_from_now_and_never_replays_the_runs_missed_while_paused(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    analyst = account_of(database, "analyst")
    with database.session() as session:
        assert set_paused(session, analyst, schedule_id, True, NOW) is None
        record = get_schedule(session, analyst, schedule_id)
    assert record.paused and record.next_run_at is None
    later = NOW + dt.timedelta(days=5, hours=2)  # five 08:00 runs went by while paused
    with database.session() as session:
        resumed = set_paused(session, analyst, schedule_id, False, later)
    assert resumed == dt.datetime(2026, 11, 29, 7, 0) and resumed > later
    with database.session() as session:
        assert session.query(ScheduleRun).count() == 0


def test_changing_a_paused_schedule_keeps_it_paused(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    analyst = account_of(database, "analyst")
    with database.session() as session:
        set_paused(session, analyst, schedule_id, True, NOW)
        update_schedule(session, analyst, schedule_id, form_of(board.id, subject="Renamed"), NOW)
        record = get_schedule(session, analyst, schedule_id)
    assert record.paused and record.next_run_at is None and record.subject == "Renamed"


def test_deleting_a_schedule_removes_it_and_its_runs(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    with database.session() as session:
        session.add(ScheduleRun(schedule_id=schedule_id, planned_at=NOW, status="sent"))
    analyst = account_of(database, "analyst")
    with database.session() as session:
        delete_schedule(session, analyst, schedule_id)
    with database.session() as session:
        assert session.query(Schedule).count() == 0 and session.query(ScheduleRun).count() == 0
        with pytest.raises(ScheduleNotFound):
            get_schedule(session, analyst, schedule_id)


def test_an_owner_who_lost_access_can_no_longer_change_the_schedule(app, database, board):
    from data.dashboards import set_share

    schedule_id = create(database, "editor", form_of(board.id))
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), board.id, PEOPLE["editor"][0], None)
    with database.session() as session, pytest.raises(NotFound):
        update_schedule(session, account_of(database, "editor"), schedule_id, form_of(board.id), NOW)


def test_the_last_run_status_shows_in_the_list(app, database, board):
    schedule_id = create(database, "analyst", form_of(board.id))
    with database.session() as session:
        session.add(ScheduleRun(schedule_id=schedule_id, planned_at=NOW, status="sent"))
        session.add(ScheduleRun(schedule_id=schedule_id, planned_at=NOW + dt.timedelta(days=1),
                                status="failed"))
    with database.session() as session:
        [record] = list_schedules(session, account_of(database, "analyst"))
    assert record.last_status == "failed"


@pytest.mark.postgres
def test_the_schedule_rules_hold_on_postgresql(postgres_url):
    database = Database(postgres_url)
    try:
        upgrade(postgres_url)
        seed_users(database)
        board = shared_board(database, DOCUMENT)
        analyst, stranger = account_of(database, "analyst"), account_of(database, "stranger")
        with database.session() as session:
            schedule_id = create_schedule(session, analyst, form_of(board.id), NOW, allow_external=False)
            session.add(ScheduleRun(schedule_id=schedule_id, planned_at=NOW, status="sent"))
        with database.session() as session:
            [record] = list_schedules(session, analyst)
            assert record.last_status == "sent" and record.next_run_at == dt.datetime(2026, 11, 24, 7, 0)
            assert set_paused(session, analyst, schedule_id, True, NOW) is None
            with pytest.raises(ScheduleNotFound):
                get_schedule(session, stranger, schedule_id)
        with database.session() as session:
            delete_schedule(session, analyst, schedule_id)
        with database.session() as session:
            assert list_schedules(session, analyst) == []
    finally:
        database.dispose()
