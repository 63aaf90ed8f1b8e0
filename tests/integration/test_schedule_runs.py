"""One run of a schedule from claim to email, on a real database, the real renderer and a real
SMTP server: claimed once per planned instant, rendered as the owner (checked again at every
run), one message per recipient with the files attached and the KPIs inline, recorded in the
history with downloadable files; transient SMTP failures retried (in the run, then by the
scheduler), permanent ones not; an executor that lost its run, or whose schedule was paused or
deleted, stops sending; and "Send now" clicked twice sends once."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy.exc import OperationalError

from context import EXTENSION
from data import schedule_runs
from data import users as user_commands
from data.dashboards import set_share
from data.delivery_models import Schedule
from data.export_jobs import get_job
from data.notifications import recent
from data.schedules import ScheduleNotFound, export_options
from delivery import emails, runs, send_now
from delivery.kpi_summary import kpi_summary
from delivery.scheduler import tick
from tests.conftest import PEOPLE, build_app, close_app, free_port, wait_until
from tests.helpers import account_of
from tests.integration.schedule_helpers import (
    START,
    ScriptedSmtp,
    board,
    database_of,
    email_of,
    export_count,
    make_schedule,
    pin_clock,
    runs_of,
    stale_later,
    user_id,
)


@pytest.fixture
def external_app(template_db, tmp_path, smtp_server):
    """An app mailing `smtp_server` whose schedules may send to addresses of non-users."""
    application = build_app(template_db, tmp_path, allow_external_recipients=True, **smtp_server.settings())
    pin_clock(application)
    yield application
    close_app(application)


def claim(database, schedule_id: int, when=START, trigger: str = "schedule") -> int | None:
    with database.session() as session:
        return schedule_runs.claim_run(session, schedule_id, when, trigger, START)


def execute(app, run_id: int, steps=None) -> str:
    """Execute a run here; `steps`: a list collecting its checkpoints, or a checkpoint."""
    with app.server.app_context():
        return runs.execute_run(run_id, steps.append if isinstance(steps, list) else steps)


def test_a_planned_instant_is_claimed_once(mail_app):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    first = claim(database, schedule_id)
    assert first is not None
    assert claim(database, schedule_id) is None  # the idempotency key: the same (schedule, instant)
    assert claim(database, schedule_id, trigger="catchup") is None  # a slot is one slot, caught up or not
    assert claim(database, schedule_id, START.replace(hour=1)) not in (None, first)
    assert len(runs_of(database, schedule_id)) == 2


def test_a_send_now_at_a_slot_s_instant_never_takes_the_scheduled_run_s_place(mail_app):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    slot = START + dt.timedelta(hours=1)
    manual = claim(database, schedule_id, slot, "manual")
    scheduled = claim(database, schedule_id, slot)
    assert None not in (manual, scheduled) and manual != scheduled
    assert claim(database, schedule_id, slot, "manual") not in (None, manual, scheduled)
    assert claim(database, schedule_id, slot, "catchup") is None
    assert [run.trigger for run in runs_of(database, schedule_id)] == ["manual", "schedule", "manual"]


def test_recipients_are_active_users_and_external_addresses_only_while_allowed(mail_app):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "editor"),
                                emails=("boss@elsewhere.test", email_of("admin")))
    with database.session() as session:
        user_commands.set_active(session, user_id(database, "editor"), False)
    with database.session() as session:
        row = session.get(schedule_runs.Schedule, schedule_id)
        assert schedule_runs.recipient_addresses(session, row, allow_external=False) == [
            email_of("viewer"), email_of("admin")]
        assert schedule_runs.recipient_addresses(session, row, allow_external=True) == [
            email_of("viewer"), "boss@elsewhere.test", email_of("admin")]


def test_a_run_mails_each_recipient_once_with_the_files_attached_and_the_kpis_inline(
        external_app, smtp_server):
    database = database_of(external_app)
    dashboard_id = board(database)
    schedule_id = make_schedule(database, dashboard_id, START, users=("viewer",),
                                emails=("boss@elsewhere.test",),
                                formats="pdf,xlsx", subject="Pulse for the board")
    run_id = claim(database, schedule_id)
    steps: list[str] = []
    assert execute(external_app, run_id, steps) == "sent"
    assert steps == ["rendered", f"sent:{email_of('viewer')}", "sent:boss@elsewhere.test", "done"]

    received = smtp_server.wait_for(2)
    assert sorted(message.recipients[0] for message in received) == sorted(
        [email_of("viewer"), "boss@elsewhere.test"])
    owner = account_of(database, "analyst")
    with external_app.server.app_context():
        kpis = kpi_summary(owner, dashboard_id, export_options({"template": "executive"}, "pdf"))
    assert kpis, "the dashboard has a KPI"
    for message in received:
        assert message.subject == "Pulse for the board" and len(message.recipients) == 1
        files = message.attachments()
        [pdf] = [name for name in files if name.endswith(".pdf")]
        [xlsx] = [name for name in files if name.endswith(".xlsx")]
        assert PdfReader(io.BytesIO(files[pdf])).metadata.title == "Weekly pulse"
        assert openpyxl.load_workbook(io.BytesIO(files[xlsx])).sheetnames
        for kpi in kpis:
            assert emails.kpi_line(kpi).value in message.body("plain")
            assert emails.kpi_line(kpi).value in message.body("html")

    [run] = runs_of(database, schedule_id)
    assert (run.status, run.attempts, run.error) == ("sent", 1, None)
    assert run.started_at == START and run.finished_at == START
    with database.session() as session:
        [record] = schedule_runs.list_runs(session, owner, schedule_id)
        assert record.recipients == {email_of("viewer"): "sent", "boss@elsewhere.test": "sent"}
        assert [file["name"].rsplit(".", 1)[1] for file in record.files] == ["pdf", "xlsx"]
        for file in record.files:  # downloadable from the history: the owner's own export jobs
            job = get_job(session, owner, file["job"])
            assert job.downloadable and job.size_bytes == file["size"]
        assert schedule_runs.list_runs(session, account_of(database, "admin"), schedule_id)
        with pytest.raises(ScheduleNotFound):
            schedule_runs.list_runs(session, account_of(database, "viewer"), schedule_id)
    assert execute(external_app, run_id) == "sent" and len(smtp_server.messages) == 2  # finished: no-op


def test_an_owner_who_lost_access_gets_a_failed_run_with_the_reason_and_no_email_goes(mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    dashboard_id = board(database)
    schedule_id = make_schedule(database, dashboard_id, START, owner="editor")
    with database.session() as session:
        set_share(session, account_of(database, "analyst"), dashboard_id, email_of("editor"), None)
    before = export_count(database)
    run_id = claim(database, schedule_id)
    assert execute(mail_app, run_id) == "failed"
    [run] = runs_of(database, schedule_id)
    assert run.error == "Edith Editor can no longer view dashboard 'Weekly pulse'."
    assert not smtp_server.messages and export_count(database) == before  # nothing made, nothing sent
    with database.session() as session:
        [note] = recent(session, user_id(database, "editor"))
    assert note.kind == "report" and "can no longer view" in note.body and note.link == "/reports"


def test_a_deactivated_owner_s_schedule_fails_with_the_reason(mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    with database.session() as session:
        user_commands.set_active(session, user_id(database, "analyst"), False)
    assert execute(mail_app, claim(database, schedule_id)) == "failed"
    [run] = runs_of(database, schedule_id)
    assert run.error == ("Alan Analyst can no longer view dashboard 'Weekly pulse': "
                         "their account is deactivated.")
    assert not smtp_server.messages


def test_a_transient_smtp_failure_is_retried_and_a_permanent_one_fails_at_once(
        template_db, tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "RETRY_DELAYS", (0.0, 0.0))
    refused = "550 5.1.1 No such user here"
    with ScriptedSmtp(refuse={email_of("editor"): refused}, busy=1) as server:
        app = build_app(template_db, tmp_path, **server.settings())
        try:
            pin_clock(app)
            database = database_of(app)
            schedule_id = make_schedule(database, board(database), START, users=("viewer", "editor", "admin"))
            assert execute(app, claim(database, schedule_id)) == "failed"
        finally:
            close_app(app)
    # The viewer's message met "451" once and went on the second try; the editor was refused
    # (5xx: no retry); the admin still got theirs.
    assert [recipients for recipients, _ in server.accepted] == [[email_of("viewer")], [email_of("admin")]]
    [run] = runs_of(database, schedule_id)
    assert run.status == "failed" and refused in run.error and email_of("editor") in run.error
    with database.session() as session:
        record = schedule_runs.get_run(session, run.id)
    assert record.recipients == {email_of("viewer"): "sent", email_of("editor"): "failed",
                                 email_of("admin"): "sent"}


def retried(app, move_to, when: dt.datetime) -> dt.datetime:
    """Move past the stale limit of a run left at `when` and tick: the scheduler retries it, here."""
    later = stale_later(app, when)
    move_to(later)
    with app.server.app_context():
        tick(later)
    return later


def test_smtp_down_on_the_first_attempt_sends_once_on_the_scheduler_s_retry(template_db, tmp_path,
                                                                          monkeypatch):
    monkeypatch.setattr(runs, "RETRY_DELAYS", (0.0, 0.0))
    port = free_port()  # nobody listens there yet: connections are refused
    app = build_app(template_db, tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    try:
        database = database_of(app)
        move_to = pin_clock(app)
        schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"))
        run_id = claim(database, schedule_id)
        assert execute(app, run_id) == "sending"  # not failed: left for a retry
        [run] = runs_of(database, schedule_id)
        assert (run.attempts, run.heartbeat_at) == (1, None)
        assert "Could not reach the mail server" in run.error
        assert json.loads(run.recipients) == {email_of("viewer"): "pending", email_of("admin"): "pending"}
        with ScriptedSmtp(port=port) as server:
            retried(app, move_to, START)
        [run] = runs_of(database, schedule_id)
        assert (run.status, run.attempts, run.error) == ("sent", 2, None)
        assert sorted(recipients[0] for recipients, _ in server.accepted) == sorted(
            [email_of("viewer"), email_of("admin")])
    finally:
        close_app(app)


def test_smtp_down_for_every_attempt_fails_the_run_and_tells_the_owner(template_db, tmp_path, monkeypatch):
    monkeypatch.setattr(runs, "RETRY_DELAYS", (0.0, 0.0))
    nobody_listens = {"smtp_host": "127.0.0.1", "smtp_port": free_port(), "smtp_security": "none"}
    app = build_app(template_db, tmp_path, **nobody_listens)
    try:
        database = database_of(app)
        move_to = pin_clock(app)
        schedule_id = make_schedule(database, board(database), START)
        assert execute(app, claim(database, schedule_id)) == "sending"
        when = START
        for _ in range(runs.MAX_ATTEMPTS - 1):
            when = retried(app, move_to, when)
        [run] = runs_of(database, schedule_id)
        assert (run.status, run.attempts) == ("failed", runs.MAX_ATTEMPTS)
        assert "Could not reach the mail server" in run.error
        assert f"Gave up after {runs.MAX_ATTEMPTS} attempts" in run.error
        assert retried(app, move_to, when) is not None and runs_of(database, schedule_id)[0].attempts == 3
        with database.session() as session:
            [note] = recent(session, user_id(database, "analyst"))
        assert note.kind == "report" and "Could not reach the mail server" in note.body
    finally:
        close_app(app)


def test_a_database_error_mid_run_leaves_it_for_a_retry_that_sends_once(mail_app, smtp_server, monkeypatch):
    database = database_of(mail_app)
    move_to = pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"))
    real_kpis, calls = runs._kpis, []

    def kpis_once_down(*args):
        calls.append(args)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return real_kpis(*args)

    monkeypatch.setattr(runs, "_kpis", kpis_once_down)
    run_id = claim(database, schedule_id)
    assert execute(mail_app, run_id) == "sending"
    [run] = runs_of(database, schedule_id)
    assert "database could not be reached" in run.error and not smtp_server.messages
    made = export_count(database)
    retried(mail_app, move_to, START)
    assert [run.status for run in runs_of(database, schedule_id)] == ["sent"]
    assert sorted(message.recipients[0] for message in smtp_server.wait_for(2)) == sorted(
        [email_of("viewer"), email_of("admin")])
    assert export_count(database) == made  # rendered once


def test_an_executor_whose_run_was_taken_over_sends_nothing_more(mail_app, smtp_server):
    """A stalled executor (its heartbeat went silent, the run was released and taken by
    another) that wakes up finds the run is not its own any more, and stops."""
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"))
    run_id = claim(database, schedule_id)
    taken_over: list[str] = []

    def stall_then_wake(step: str) -> None:
        if step == "rendered":  # as if stalled past the stale limit: released, and another executes it
            with database.session() as session:
                released = schedule_runs.release_stale(session, START + dt.timedelta(hours=1),
                                                       dt.timedelta(minutes=1))
            assert released["retry"] == [run_id]
            taken_over.append(runs.execute_run(run_id))

    assert execute(mail_app, run_id, stall_then_wake) == "sent"
    assert taken_over == ["sent"]
    assert sorted(message.recipients[0] for message in smtp_server.wait_for(2)) == sorted(
        [email_of("viewer"), email_of("admin")])
    [run] = runs_of(database, schedule_id)
    assert (run.status, run.attempts) == ("sent", 2)
    with database.session() as session:  # the first executor's token no longer writes anything
        assert not schedule_runs.save_run(session, run_id, 1, status="failed")
        assert not schedule_runs.beat(session, run_id, 2, START)  # finished: nobody's


def test_pausing_a_schedule_while_it_sends_stops_the_remaining_emails(mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"))

    def pause(step: str) -> None:
        if step.startswith("sent:"):
            with database.session() as session:
                session.get(Schedule, schedule_id).paused = True

    assert execute(mail_app, claim(database, schedule_id), pause) == "skipped"
    assert [message.recipients for message in smtp_server.wait_for(1)] == [[email_of("viewer")]]
    [run] = runs_of(database, schedule_id)
    assert "paused" in run.error and f"Not sent to: {email_of('admin')}" in run.error
    assert json.loads(run.recipients) == {email_of("viewer"): "sent", email_of("admin"): "pending"}


def test_deleting_a_schedule_while_it_sends_stops_the_remaining_emails(mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START, users=("viewer", "admin"))

    def delete(step: str) -> None:
        if step.startswith("sent:"):
            with database.session() as session:
                session.delete(session.get(Schedule, schedule_id))

    assert execute(mail_app, claim(database, schedule_id), delete) == "missing"
    assert [message.recipients for message in smtp_server.wait_for(1)] == [[email_of("viewer")]]
    assert runs_of(database, schedule_id) == []


def test_send_now_of_a_paused_schedule_still_sends(mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    with database.session() as session:
        row = session.get(Schedule, schedule_id)
        row.paused, row.updated_at = True, START - dt.timedelta(minutes=1)
    with mail_app.server.app_context():
        run_id = send_now.claim_manual(account_of(database, "analyst"), schedule_id)
    assert execute(mail_app, run_id) == "sent" and len(smtp_server.wait_for(1)) == 1


def test_without_smtp_settings_a_run_fails_before_making_anything(app):
    database = database_of(app)
    pin_clock(app)
    schedule_id = make_schedule(database, board(database), START)
    before = export_count(database)
    assert execute(app, claim(database, schedule_id)) == "failed"
    [run] = runs_of(database, schedule_id)
    assert "Email is not set up" in run.error and export_count(database) == before


def test_send_now_runs_in_the_background_for_the_owner_or_an_admin_only_and_a_double_click_sends_once(
        mail_app, smtp_server):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    with mail_app.server.app_context():
        for stranger in ("viewer", "editor"):
            with pytest.raises(ScheduleNotFound):
                send_now.send_now(account_of(database, stranger), schedule_id)
        first = send_now.send_now(account_of(database, "analyst"), schedule_id)
        second = send_now.send_now(account_of(database, "admin"), schedule_id)  # while the first is not done
    assert first == second
    wait_until(lambda: [run.status for run in runs_of(database, schedule_id)] == ["sent"], 90, "the run")
    assert [message.recipients for message in smtp_server.wait_for(1)] == [[PEOPLE["viewer"][0]]]
    with mail_app.server.app_context():  # once it is finished, Send now sends again (same instant)
        third = send_now.send_now(account_of(database, "analyst"), schedule_id)
    assert third != first
    wait_until(lambda: [run.status for run in runs_of(database, schedule_id)] == ["sent", "sent"], 90, "both")
    assert [run.trigger for run in runs_of(database, schedule_id)] == ["manual", "manual"]
    assert len(smtp_server.wait_for(2)) == 2
    assert mail_app.server.extensions[EXTENSION].settings.scheduler_mode == "off"


def test_two_send_now_clicks_at_the_same_moment_claim_one_run(mail_app):
    database = database_of(mail_app)
    pin_clock(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    owner, start = account_of(database, "analyst"), threading.Barrier(2)
    claimed: list[int] = []

    def click() -> None:
        with mail_app.server.app_context():
            start.wait(timeout=30)
            claimed.append(send_now.claim_manual(owner, schedule_id))

    clicks = [threading.Thread(target=click) for _ in range(2)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join(timeout=60)
    assert len(claimed) == 2 and claimed[0] == claimed[1]
    assert [run.id for run in runs_of(database, schedule_id)] == claimed[:1]
