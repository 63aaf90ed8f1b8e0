"""The scheduler on a real database with a pinned clock (never sleeping until 8 a.m.): due
schedules become one run each and move to their next slot, across daylight-saving changes;
missed runs follow the schedule's policy; runs killed (SIGKILL, in a process of their own)
before or after sending are retried by the scheduler's recovery with exactly one email per
recipient; and of two app processes started together, only the lease holder runs the schedule."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import types

import pytest
from sqlalchemy import select

from data.db import Database
from data.delivery_models import SchedulerLease
from data.migrate import upgrade
from delivery import scheduler
from delivery.scheduler import acquire_lease, tick
from tests.conftest import free_port, seed_users, wait_until
from tests.integration.schedule_helpers import (
    ROOT,
    START,
    TEXT_ONLY,
    board,
    database_of,
    email_of,
    export_count,
    make_schedule,
    pin_clock,
    process_env,
    runs_of,
    schedule_row,
    stale_later,
    start_engine_process,
    user_id,
)

D = dt.datetime


@pytest.fixture
def move_to(mail_app):
    return pin_clock(mail_app)


def ticked(app, when: dt.datetime, dispatch=None) -> dict:
    with app.server.app_context():
        return tick(when, dispatch)


def test_a_due_schedule_runs_once_at_its_instant_and_moves_on_to_the_next(mail_app, smtp_server,
                                                                           move_to):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START, frequency="daily", time_of_day="08:00",
                                timezone="Europe/Madrid")
    slot = schedule_row(database, schedule_id).next_run_at
    assert slot == D(2026, 11, 21, 7)  # 08:00 CET
    assert ticked(mail_app, slot - dt.timedelta(seconds=1))["runs"] == []
    report = ticked(mail_app, slot + dt.timedelta(seconds=20))
    [run] = runs_of(database, schedule_id)
    assert report["runs"] == [run.id]
    assert (run.planned_at, run.trigger, run.status) == (slot, "schedule", "sent")
    assert [message.recipients for message in smtp_server.wait_for(1)] == [[email_of("viewer")]]
    row = schedule_row(database, schedule_id)
    assert (row.next_run_at, row.last_run_at) == (D(2026, 11, 22, 7), slot)
    assert ticked(mail_app, slot + dt.timedelta(minutes=1))["runs"] == []
    assert len(smtp_server.messages) == 1


@pytest.mark.parametrize(("recurrence", "start", "expected"), [
    # Madrid, spring: 02:30 does not exist on 29 March; it runs at 03:30 CEST.
    ({"frequency": "daily", "time_of_day": "02:30", "timezone": "Europe/Madrid"}, D(2026, 3, 27, 12),
     [D(2026, 3, 28, 1, 30), D(2026, 3, 29, 1, 30), D(2026, 3, 30, 0, 30)]),
    # Madrid, autumn: 02:30 happens twice on 25 October; it runs at the first.
    ({"frequency": "weekly", "weekday": 6, "time_of_day": "02:30", "timezone": "Europe/Madrid"},
     D(2026, 10, 17), [D(2026, 10, 18, 0, 30), D(2026, 10, 25, 0, 30), D(2026, 11, 1, 1, 30)]),
    # New York: a monthly on the 8th across the spring change, a cron across the autumn one.
    ({"frequency": "monthly", "day_of_month": 8, "time_of_day": "02:30", "timezone": "America/New_York"},
     D(2026, 2, 1), [D(2026, 2, 8, 7, 30), D(2026, 3, 8, 7, 30), D(2026, 4, 8, 6, 30)]),
    ({"frequency": "cron", "cron": "30 1 * * *", "timezone": "America/New_York"}, D(2026, 10, 30, 12),
     [D(2026, 10, 31, 5, 30), D(2026, 11, 1, 5, 30), D(2026, 11, 2, 6, 30)]),
])
def test_ticks_through_a_daylight_saving_change_plan_runs_at_the_right_instants(
        mail_app, move_to, recurrence, start, expected):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database, TEXT_ONLY), start, **recurrence)
    dispatched: list[int] = []
    for slot in expected:  # each tick a few seconds after the slot, as a running scheduler would
        move_to(slot + dt.timedelta(seconds=15))
        ticked(mail_app, slot + dt.timedelta(seconds=15), dispatched.append)
    assert [run.planned_at for run in runs_of(database, schedule_id)] == expected
    assert {run.trigger for run in runs_of(database, schedule_id)} == {"schedule"}
    # Every run was dispatched (never taken here, each was dispatched again by the next tick's recovery).
    assert set(dispatched) == {run.id for run in runs_of(database, schedule_id)}


@pytest.mark.parametrize("policy", ["latest", "skip"])
def test_runs_missed_while_down_send_the_latest_once_or_none(mail_app, smtp_server, move_to, policy):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START - dt.timedelta(days=4), missed=policy)
    assert schedule_row(database, schedule_id).next_run_at == D(2026, 11, 17, 8)
    back_up = D(2026, 11, 20, 9, 40)  # 17th, 18th, 19th and 20th at 08:00 were missed
    move_to(back_up)
    report = ticked(mail_app, back_up)
    [run] = runs_of(database, schedule_id)
    assert run.planned_at == D(2026, 11, 20, 8)
    if policy == "latest":
        assert report["runs"] == [run.id] and (run.trigger, run.status) == ("catchup", "sent")
        assert len(smtp_server.wait_for(1)) == 1
    else:
        assert report["skipped"] == [run.id] and run.status == "skipped" and "skips missed runs" in run.error
        assert not smtp_server.messages
    assert schedule_row(database, schedule_id).next_run_at == D(2026, 11, 21, 8)
    assert ticked(mail_app, back_up + dt.timedelta(minutes=1)) == {**report, "runs": [], "skipped": []}
    assert len(runs_of(database, schedule_id)) == 1


def test_a_slot_found_a_little_late_is_not_missed(mail_app, smtp_server, move_to):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START, missed="skip")
    move_to(D(2026, 11, 21, 8, 10))
    ticked(mail_app, D(2026, 11, 21, 8, 10))
    [run] = runs_of(database, schedule_id)
    assert (run.trigger, run.status) == ("schedule", "sent") and len(smtp_server.wait_for(1)) == 1


def _crash(mail_app, tmp_path, run_id: int, when: dt.datetime, kill_at: str) -> None:
    """Execute the run in a process of its own that SIGKILLs itself at `kill_at`."""
    settings = mail_app.server.extensions["pulseboard"].settings
    config = {"env": "test", "instance_path": str(tmp_path), "database_url": settings.database_url,
              "secret_key": settings.secret_key, "demo_feed": False, "scheduler": "off",
              "smtp_host": settings.smtp_host, "smtp_port": settings.smtp_port, "smtp_security": "none",
              "mail_from": settings.mail_from}
    process = start_engine_process(tmp_path, settings.database_url, {
        "mode": "execute", "config": config, "clock": when.isoformat(), "run_id": run_id, "kill_at": kill_at})
    out, err = process.communicate(timeout=180)
    assert process.returncode == -9, f"the run was not killed at {kill_at}: {out}\n{err}"


def _claimed(mail_app, move_to, **schedule) -> tuple[int, int, dt.datetime]:
    """A schedule and its due run, claimed by a tick whose dispatch was lost."""
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START, **schedule)
    slot = schedule_row(database, schedule_id).next_run_at
    move_to(slot + dt.timedelta(seconds=5))
    [run_id] = ticked(mail_app, slot + dt.timedelta(seconds=5), lambda _run: None)["runs"]
    return schedule_id, run_id, slot + dt.timedelta(seconds=5)


def _recover(mail_app, move_to, when: dt.datetime) -> dict:
    """Move past the stale limit and tick: the scheduler retries the dead run, here."""
    later = stale_later(mail_app, when)
    move_to(later)
    return ticked(mail_app, later)


def test_a_run_killed_before_sending_sends_on_retry_without_rendering_again(
        mail_app, smtp_server, move_to, tmp_path):
    database = database_of(mail_app)
    schedule_id, run_id, when = _claimed(mail_app, move_to, users=("viewer", "admin"), formats="pdf,xlsx")
    _crash(mail_app, tmp_path, run_id, when, "rendered")
    [run] = runs_of(database, schedule_id)
    assert run.status == "sending" and len(json.loads(run.files)) == 2 and not smtp_server.messages
    made = export_count(database)

    assert _recover(mail_app, move_to, when)["retried"] == [run_id]
    smtp_server.wait_for(2)
    assert sorted(message.recipients[0] for message in smtp_server.messages) == [
        email_of("admin"), email_of("viewer")]
    [run] = runs_of(database, schedule_id)
    assert (run.status, run.attempts) == ("sent", 2) and export_count(database) == made  # no second render
    assert len(smtp_server.messages[0].attachments()) == 2


def test_a_run_killed_after_sending_does_not_send_again_on_retry(mail_app, smtp_server, move_to, tmp_path):
    database = database_of(mail_app)
    schedule_id, run_id, when = _claimed(mail_app, move_to, users=("viewer", "admin"))
    addresses = [email_of("viewer"), email_of("admin")]
    _crash(mail_app, tmp_path, run_id, when, f"sent:{addresses[0]}")
    assert [message.recipients for message in smtp_server.wait_for(1)] == [[addresses[0]]]

    assert _recover(mail_app, move_to, when)["retried"] == [run_id]
    smtp_server.wait_for(2)
    assert [message.recipients for message in smtp_server.messages] == [[addresses[0]], [addresses[1]]]
    [run] = runs_of(database, schedule_id)
    assert (run.status, run.attempts) == ("sent", 2)


def test_a_run_killed_after_its_last_email_sends_nothing_on_retry(mail_app, smtp_server, move_to, tmp_path):
    database = database_of(mail_app)
    schedule_id, run_id, when = _claimed(mail_app, move_to, users=("viewer",))
    _crash(mail_app, tmp_path, run_id, when, f"sent:{email_of('viewer')}")
    assert len(smtp_server.wait_for(1)) == 1
    _recover(mail_app, move_to, when)
    [run] = runs_of(database, schedule_id)
    assert run.status == "sent" and len(smtp_server.messages) == 1


def test_a_run_that_keeps_dying_is_failed_after_its_last_attempt(mail_app, move_to):
    database = database_of(mail_app)
    schedule_id, run_id, when = _claimed(mail_app, move_to)
    with database.session() as session:  # as if its process had died MAX_ATTEMPTS times
        run = session.get(scheduler.runs.ScheduleRun, run_id)
        run.attempts, run.heartbeat_at, run.status = scheduler.MAX_ATTEMPTS, when, "rendering"
    report = _recover(mail_app, move_to, when)
    assert report["gave_up"] == [run_id] and report["retried"] == []
    [run] = runs_of(database, schedule_id)
    assert run.status == "failed" and "Stopped after 3 attempts" in run.error


def test_the_tick_evaluates_due_alerts_when_alerts_are_installed(mail_app, move_to, monkeypatch):
    seen = []
    monkeypatch.setitem(sys.modules, "delivery.alerts", types.SimpleNamespace(
        evaluate_due=lambda now: seen.append(now) or 2))
    assert ticked(mail_app, START)["alerts"] == 2 and seen == [START]


def test_the_latest_slot_found_seconds_late_is_sent_even_when_earlier_ones_were_missed(
        mail_app, smtp_server, move_to):
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database, TEXT_ONLY), START - dt.timedelta(hours=3),
                                frequency="cron", cron="0 * * * *", missed="skip")
    latest = START.replace(minute=0, second=0, microsecond=0)
    assert schedule_row(database, schedule_id).next_run_at < latest  # several slots due at once
    move_to(latest + dt.timedelta(seconds=10))
    report = ticked(mail_app, latest + dt.timedelta(seconds=10))
    [run] = runs_of(database, schedule_id)
    assert report["runs"] == [run.id] and report["skipped"] == []
    assert (run.planned_at, run.trigger, run.status) == (latest, "schedule", "sent")
    assert len(smtp_server.wait_for(1)) == 1


def test_a_schedule_whose_next_run_cannot_be_worked_out_stops_and_tells_its_owner_once(mail_app, move_to):
    from data.delivery_models import Schedule
    from data.notifications import recent

    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database), START)
    slot = schedule_row(database, schedule_id).next_run_at
    with database.session() as session:
        session.get(Schedule, schedule_id).timezone = "Mars/Olympus_Mons"
    for seconds in (5, 65):
        move_to(slot + dt.timedelta(seconds=seconds))
        assert ticked(mail_app, slot + dt.timedelta(seconds=seconds))["runs"] == []
    assert schedule_row(database, schedule_id).next_run_at is None and runs_of(database, schedule_id) == []
    with database.session() as session:
        [note] = recent(session, user_id(database, "analyst"))
    assert note.title == "Schedule stopped: Weekly pulse" and "Mars/Olympus_Mons" in note.body


def test_a_run_waiting_for_an_executor_is_handed_out_again_once_per_stale_period(mail_app, move_to):
    database = database_of(mail_app)
    _schedule_id, run_id, when = _claimed(mail_app, move_to)

    def lost(_run_id: int) -> None:  # every dispatch is lost: no executor ever takes the run
        return None

    stale = stale_later(mail_app, when)
    assert ticked(mail_app, stale - dt.timedelta(seconds=2), lost)["retried"] == []
    assert ticked(mail_app, stale, lost)["retried"] == [run_id]
    for seconds in (1, 10, 30):  # handed out at `stale`: not again until that is stale too
        assert ticked(mail_app, stale + dt.timedelta(seconds=seconds), lost)["retried"] == []
    assert ticked(mail_app, stale_later(mail_app, stale), lost)["retried"] == [run_id]
    [run] = runs_of(database, _schedule_id)
    assert (run.status, run.attempts) == ("pending", 0)


def test_a_stale_run_of_a_paused_schedule_is_closed_not_retried(mail_app, smtp_server, move_to):
    from data.delivery_models import Schedule

    database = database_of(mail_app)
    schedule_id, run_id, when = _claimed(mail_app, move_to)
    with database.session() as session:
        session.get(Schedule, schedule_id).paused = True
    report = _recover(mail_app, move_to, when)
    assert report["paused"] == [run_id] and report["retried"] == []
    [run] = runs_of(database, schedule_id)
    assert run.status == "skipped" and "paused" in run.error and not smtp_server.messages
    with database.session() as session:
        session.get(Schedule, schedule_id).paused = False
    assert _recover(mail_app, move_to, when + dt.timedelta(minutes=5))["retried"] == []
    assert not smtp_server.messages


def test_a_tick_that_lost_the_lease_stops_before_the_alerts(mail_app, move_to, monkeypatch):
    seen = []
    monkeypatch.setitem(sys.modules, "delivery.alerts", types.SimpleNamespace(
        evaluate_due=lambda now: seen.append(now) or 2))
    database = database_of(mail_app)
    schedule_id = make_schedule(database, board(database, TEXT_ONLY), START)
    slot = schedule_row(database, schedule_id).next_run_at
    dispatched: list[int] = []
    with mail_app.server.app_context():
        report = tick(slot, dispatched.append, renew=lambda: False)
    [run] = runs_of(database, schedule_id)
    assert report["stopped"] and report["alerts"] is None and seen == []
    assert report["runs"] == dispatched == [run.id]  # what it planned before, it still started
    with mail_app.server.app_context():
        assert tick(slot, dispatched.append, renew=lambda: True)["alerts"] == 2 and seen == [slot]


# -- the lease, and two processes ---------------------------------------------------------------

def test_the_lease_is_renewed_by_its_holder_and_taken_over_only_once_expired(mail_app):
    database, ttl = database_of(mail_app), dt.timedelta(seconds=30)
    assert acquire_lease(database, "web-1", START, ttl)
    assert not acquire_lease(database, "web-2", START + dt.timedelta(seconds=1), ttl)
    assert acquire_lease(database, "web-1", START + dt.timedelta(seconds=20), ttl)  # renewed to +50 s
    assert not acquire_lease(database, "web-2", START + dt.timedelta(seconds=45), ttl)
    assert acquire_lease(database, "web-2", START + dt.timedelta(seconds=51), ttl)
    assert not acquire_lease(database, "web-1", START + dt.timedelta(seconds=52), ttl)
    with database.session() as session:
        assert session.scalars(select(SchedulerLease.holder)).all() == ["web-2"]


def _two_processes_run_it_once(folder, database_url: str, smtp_server) -> None:
    database = Database(database_url)
    try:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        schedule_id = make_schedule(database, board(database, TEXT_ONLY), now - dt.timedelta(days=1),
                                    time_of_day=f"{(now - dt.timedelta(minutes=2)):%H:%M}")
        assert schedule_row(database, schedule_id).next_run_at <= now
        # Ticks every second; the lease lasts 30 s, so a holder stalled on a busy machine keeps it,
        # and neither process gives it up when it stops (see schedule_process).
        config = {"env": "test", "instance_path": str(folder), "database_url": database_url,
                  "demo_feed": False, "scheduler": "inprocess", "scheduler_tick_seconds": 1.0,
                  **smtp_server.settings()}
        job = {"mode": "scheduler", "config": config, "schedule_id": schedule_id, "lease_seconds": 30}
        processes = [start_engine_process(folder, database_url, job) for _ in range(2)]
        results = []
        for process in processes:
            out, err = process.communicate(timeout=180)
            assert process.returncode == 0, err
            results.append(json.loads(out.strip().splitlines()[-1]))
        # What matters: one run, one email per recipient.
        smtp_server.wait_for(1)
        [run] = runs_of(database, schedule_id)
        assert (run.status, run.attempts) == ("sent", 1)
        assert [message.recipients for message in smtp_server.messages] == [[email_of("viewer")]]
        assert all(result["attempts"] >= 1 for result in results), results  # both asked for the lease
        assert sorted(result["ticks"] > 0 for result in results) == [False, True], results  # one held it
    finally:
        database.dispose()


def test_two_app_processes_started_together_run_the_schedule_once(template_db, tmp_path, smtp_server):
    shutil.copy(template_db, tmp_path / "pulseboard.db")
    _two_processes_run_it_once(tmp_path, f"sqlite:///{tmp_path / 'pulseboard.db'}", smtp_server)


def test_two_app_processes_on_postgresql_run_the_schedule_once(postgres_url, tmp_path, smtp_server):
    upgrade(postgres_url)
    database = Database(postgres_url)
    seed_users(database)
    database.dispose()
    _two_processes_run_it_once(tmp_path, postgres_url, smtp_server)


def test_gunicorn_with_two_workers_runs_a_due_schedule_once(template_db, tmp_path, smtp_server):
    """The Procfile's web server: each worker starts the in-process scheduler (post_worker_init)
    and only the lease holder runs the schedule."""
    shutil.copy(template_db, tmp_path / "pulseboard.db")
    url = f"sqlite:///{tmp_path / 'pulseboard.db'}"
    database = Database(url)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    schedule_id = make_schedule(database, board(database, TEXT_ONLY), now - dt.timedelta(days=1),
                                time_of_day=f"{(now - dt.timedelta(minutes=2)):%H:%M}")
    smtp = smtp_server.settings()
    env = {**process_env(tmp_path, url), "SCHEDULER": "inprocess", "SCHEDULER_TICK_SECONDS": "1",
           "SMTP_HOST": smtp["smtp_host"], "SMTP_PORT": str(smtp["smtp_port"]), "SMTP_SECURITY": "none",
           "MAIL_FROM": smtp["mail_from"]}
    command = [sys.executable, "-m", "gunicorn", "app:server", "--bind", f"127.0.0.1:{free_port()}",
               "--workers", "2", "--threads", "2"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        smtp_server.wait_for(1, timeout=120)
        wait_until(lambda: [run.status for run in runs_of(database, schedule_id)] == ["sent"], 60, "the run")
        first = _lease(database)
        # The lease stays held and renewed, two ticks on (by either worker: under load the
        # holder may stall past its 3 s lease and the other take over, which is harmless).
        wait_until(lambda: _lease(database).expires_at >= first.expires_at + dt.timedelta(seconds=2),
                   60, "the lease renewed")
        assert len(smtp_server.messages) == 1 and len(runs_of(database, schedule_id)) == 1
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        database.dispose()


def _lease(database) -> SchedulerLease:
    with database.session() as session:
        return session.get(SchedulerLease, "scheduler", populate_existing=True)
