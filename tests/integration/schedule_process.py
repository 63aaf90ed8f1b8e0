"""An app process of its own for the scheduled-report tests: `python -m
tests.integration.schedule_process '<job as JSON>'`, with the instance folder and database in
the environment (schedule_helpers.process_env). It builds the app with `create_app(config)`
from the same folder and database as the test, then:

- {"mode": "execute", "config": {...}, "clock": ISO time, "run_id": N, "kill_at": step}:
  executes the run with the clock pinned, and SIGKILLs itself right after checkpoint `kill_at`
  ("rendered", "sent:<address>"), as a crash would: no cleanup runs;
- {"mode": "scheduler", "config": {...}, "schedule_id": N, "lease_seconds": S}: starts the
  in-process scheduler (as gunicorn's post_worker_init does; its lease lasting S seconds if
  given), waits until that schedule has a finished run, stops the scheduler *without* giving
  the lease up (so the other process cannot take over and tick later in the test), and
  prints how often this process ticked and asked for the lease until then, as JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import signal
import sys
import threading
import time

from sqlalchemy import select


def _app(config: dict):
    from app import create_app

    return create_app(config)


def execute(job: dict) -> None:
    from context import EXTENSION
    from delivery.runs import execute_run

    app = _app(job["config"])
    moment = dt.datetime.fromisoformat(job["clock"])
    services = app.server.extensions[EXTENSION]
    app.server.extensions[EXTENSION] = dataclasses.replace(services, clock=lambda: moment)

    def checkpoint(step: str) -> None:
        if step == job["kill_at"]:
            os.kill(os.getpid(), signal.SIGKILL)

    with app.server.app_context():
        print(json.dumps({"status": execute_run(job["run_id"], checkpoint)}))


def schedule(job: dict) -> None:
    from context import EXTENSION
    from data.delivery_models import ScheduleRun
    from delivery.scheduler import InProcessScheduler

    app = _app(job["config"])
    database = app.server.extensions[EXTENSION].database
    lease = job.get("lease_seconds")
    scheduler = InProcessScheduler(app.server, ttl=dt.timedelta(seconds=lease) if lease else None).start()
    deadline = time.monotonic() + 120

    def finished() -> bool:
        with database.session() as session:
            statuses = session.scalars(select(ScheduleRun.status).where(
                ScheduleRun.schedule_id == job["schedule_id"])).all()
        return any(status in ("sent", "failed") for status in statuses)

    while not finished() and time.monotonic() < deadline:
        threading.Event().wait(0.1)
    ticks, attempts = scheduler.ticks, scheduler.attempts  # while the run was due and being made
    scheduler.stop(release=False)
    print(json.dumps({"ticks": ticks, "attempts": attempts, "holder": scheduler.holder}))


if __name__ == "__main__":
    work = json.loads(sys.argv[1])
    {"execute": execute, "scheduler": schedule}[work["mode"]](work)
