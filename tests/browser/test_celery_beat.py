"""Scaled out: real Celery beat sends the scheduler's tick every `scheduler_tick_seconds`, a real
worker runs it over the same schedule table, the due report goes to the workers as a task of its
own, and it arrives at the SMTP server once, however many ticks follow."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from background import celery_for
from delivery.tasks import BEAT_ENTRY, TICK_TASK
from tests.browser.conftest import stop
from tests.browser.test_celery import Worker
from tests.conftest import build_app, close_app, service_url, wait_until
from tests.integration.schedule_helpers import (
    board,
    database_of,
    email_of,
    make_schedule,
    process_env,
    runs_of,
    schedule_row,
)

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]


def test_celery_beat_and_a_worker_send_a_due_report_once(template_db, tmp_path, smtp_server, celery_queue):
    redis_url = service_url("TEST_REDIS_URL", "Redis")
    queue = f"{celery_queue}-beat"
    app = build_app(template_db, tmp_path, redis_url=redis_url, job_queue=queue, **smtp_server.settings())
    database = database_of(app)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)  # beat and the worker run on the real clock
    schedule_id = make_schedule(database, board(database), now - dt.timedelta(days=1),
                                time_of_day=f"{now - dt.timedelta(minutes=2):%H:%M}")
    assert schedule_row(database, schedule_id).next_run_at <= now
    smtp = smtp_server.settings()
    env = {**process_env(tmp_path, f"sqlite:///{tmp_path / 'pulseboard.db'}"), "REDIS_URL": redis_url,
           "PULSEBOARD_JOB_QUEUE": queue, "SCHEDULER": "auto", "SCHEDULER_TICK_SECONDS": "1",
           "SMTP_HOST": smtp["smtp_host"], "SMTP_PORT": str(smtp["smtp_port"]), "SMTP_SECURITY": "none",
           "MAIL_FROM": smtp["mail_from"]}
    celery = celery_for(redis_url, queue)
    worker = Worker(env, queue, tmp_path / "worker.log", celery)
    beat_log = tmp_path / "beat.log"
    beat = None
    try:
        worker.start()
        with beat_log.open("a") as log:
            beat = subprocess.Popen(
                [str(ROOT / ".venv" / "bin" / "celery"), "-A", "worker.celery", "beat", "--loglevel=INFO",
                 "--schedule", str(tmp_path / "celerybeat-schedule")],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        [received] = smtp_server.wait_for(1, timeout=120)
        assert received.recipients == [email_of("viewer")] and received.subject == "Weekly pulse"
        wait_until(lambda: [run.status for run in runs_of(database, schedule_id)] == ["sent"], 60, "the run")
        # Beat keeps ticking every second; wait for three more of its ticks, then one of our own.
        sent_before = beat_log.read_text().count(f"Sending due task {BEAT_ENTRY}")
        wait_until(lambda: beat_log.read_text().count(f"Sending due task {BEAT_ENTRY}") >= sent_before + 3,
                   60, "three more ticks from beat")
        later = celery.send_task(TICK_TASK, queue=queue, ignore_result=False).get(timeout=60)
        assert later["runs"] == [] and later["retried"] == []
        [run] = runs_of(database, schedule_id)
        assert (run.trigger, run.status, run.attempts) == ("schedule", "sent", 1)
        assert len(smtp_server.messages) == 1
        assert schedule_row(database, schedule_id).next_run_at > now
    finally:
        if beat is not None:
            stop(beat, timeout=30)
        worker.stop()
        close_app(app)
