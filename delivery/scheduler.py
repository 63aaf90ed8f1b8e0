"""The scheduler: every tick, due schedules become runs, dead runs are retried, and due alerts
are evaluated. Who ticks:

- one machine: a daemon thread in each web process (`start_in_process`, from gunicorn's
  `post_worker_init` and `python app.py`); only the holder of the lease row in
  `scheduler_leases` ticks, so several gunicorn workers run the schedules once;
- scaled out: Celery beat sends the tick task every `scheduler_tick_seconds` (delivery/tasks.py)
  and the runs go to the workers as tasks;
- `flask --app app scheduler tick`: one tick in the foreground (a cron-driven set-up).

Whoever ticks, a run is claimed once per (schedule, planned instant) and a schedule's
`next_run_at` moves on by compare-and-set, so two schedulers that overlap still send once.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from context import EXTENSION, carried, database, now, settings
from data import schedule_runs as runs
from data.db import Database
from data.delivery_models import Schedule, SchedulerLease
from delivery.recurrence import Recurrence, RecurrenceError, next_after, runs_between

log = logging.getLogger(__name__)
LEASE = "scheduler"
MISSED_AFTER = dt.timedelta(minutes=15)  # a slot found later than this was missed (the app was down)
MAX_ATTEMPTS = runs.MAX_ATTEMPTS  # a run taken this many times (died, or failed for a while) then fails
Dispatch = Callable[[int], None]


# -- the lease --------------------------------------------------------------------------------

def acquire_lease(database: Database, holder: str, now: dt.datetime, ttl: dt.timedelta) -> bool:
    """Take or renew the scheduler's lease until `now + ttl`: true for its holder, or for anyone
    once it expired. One atomic statement each, so of two processes asking at once one wins."""
    with database.session() as session:
        insert = runs._insert(session)
        created = session.execute(
            insert(SchedulerLease).values(name=LEASE, holder=holder, expires_at=now + ttl)
            .on_conflict_do_nothing(index_elements=["name"]).returning(SchedulerLease.name)
        ).scalar()
        if created is not None:
            return True
        taken = session.execute(
            update(SchedulerLease)
            .where(SchedulerLease.name == LEASE,
                   (SchedulerLease.holder == holder) | (SchedulerLease.expires_at <= now))
            .values(holder=holder, expires_at=now + ttl)
        )
        return taken.rowcount == 1


def release_lease(database: Database, holder: str) -> None:
    """Give the lease up (a process stopping), so another takes over at its next tick."""
    with database.session() as session:
        session.execute(delete(SchedulerLease)
                        .where(SchedulerLease.name == LEASE, SchedulerLease.holder == holder))


# -- one tick ---------------------------------------------------------------------------------

def run_here(run_id: int) -> None:
    """Dispatch a run in the calling thread (the command line, tests)."""
    from delivery.runs import execute_run

    execute_run(run_id)


def _latest(recurrence: Recurrence, first: dt.datetime, now: dt.datetime) -> dt.datetime:
    """The latest slot at or before `now`, given that `first` and the one after it are due."""
    window = dt.timedelta(hours=1)
    while True:
        start = max(first, now - window)
        latest = None
        for slot in runs_between(recurrence, start, now):
            latest = slot
        if latest is not None:
            return latest
        window *= 4


def plan(session: Session, schedule: Schedule, now: dt.datetime) -> dict:
    """A due schedule's run (by its missed-run policy) and its next slot, in one transaction:
    `{"run": id | None, "skipped": id | None}`. Nothing when another scheduler got there first.
    The run is for the latest slot due; it was missed when that slot is more than
    `MISSED_AFTER` old (however many slots were due: a slot seconds old is never missed)."""
    first = schedule.next_run_at
    try:
        recurrence = Recurrence.of(schedule)
        following = next_after(recurrence, first)
        upcoming = next_after(recurrence, now)
    except RecurrenceError as error:
        _cannot_run(session, schedule, str(error), now)
        return {"run": None, "skipped": None}
    planned = first if following > now else _latest(recurrence, first, now)
    missed = now - planned > MISSED_AFTER
    moved = session.execute(
        update(Schedule)
        .where(Schedule.id == schedule.id, Schedule.next_run_at == first, Schedule.paused.is_(False))
        .values(next_run_at=upcoming, last_run_at=planned)
    )
    if moved.rowcount != 1:
        return {"run": None, "skipped": None}
    if missed and schedule.missed == "skip":
        message = (f"Missed while Pulseboard was not running (planned for {planned:%Y-%m-%d %H:%M} UTC); "
                   "this schedule skips missed runs.")
        return {"run": None, "skipped": runs.claim_run(session, schedule.id, planned, "schedule", now,
                                                       status="skipped", error=message)}
    trigger = "catchup" if missed else "schedule"
    return {"run": runs.claim_run(session, schedule.id, planned, trigger, now), "skipped": None}


def _cannot_run(session: Session, schedule: Schedule, error: str, now: dt.datetime) -> None:
    """A schedule whose next run cannot be computed stops (`next_run_at` None) and its owner is
    told once, by whichever scheduler moved it (compare-and-set)."""
    from data.notifications import notify

    log.error("schedule %s cannot run: %s", schedule.id, error)
    stopped = session.execute(update(Schedule).where(
        Schedule.id == schedule.id, Schedule.next_run_at == schedule.next_run_at).values(next_run_at=None))
    if stopped.rowcount == 1:
        notify(session, schedule.owner_id, "report", f"Schedule stopped: {schedule.subject}"[:200],
               f"Its next run could not be worked out ({error}). Edit the schedule to fix its "
               "timing; nothing is sent until then."[:1000], "/reports", now)


def tick(now: dt.datetime, dispatch: Dispatch | None = None, renew: Callable[[], bool] | None = None) -> dict:
    """One pass: runs of dead executors retried, due schedules planned (missed-run policy
    applied, `next_run_at` moved to the next future slot), their runs dispatched (default: in
    this thread), then the due alerts evaluated. `renew` (the in-process scheduler's lease) is
    called again before the alerts: when it says the lease is lost, the tick stops there
    ("stopped": true) and the new holder does the rest. Returns what it did."""
    dispatch = dispatch or run_here
    stale_after = settings().job_stale_after
    with database().session() as session:
        released = runs.release_stale(session, now, stale_after, MAX_ATTEMPTS)
    for run_id in released["gave_up"]:
        _tell_owner(run_id)
    report = {"runs": [], "skipped": [], "retried": released["retry"], "gave_up": released["gave_up"],
              "paused": released["paused"], "alerts": None, "stopped": False}
    with database().session() as session:
        due = session.scalars(select(Schedule.id).where(
            Schedule.paused.is_(False), Schedule.next_run_at.is_not(None), Schedule.next_run_at <= now
        ).order_by(Schedule.next_run_at)).all()
    for schedule_id in due:
        try:
            with database().session() as session:
                schedule = session.get(Schedule, schedule_id, populate_existing=True)
                planned = plan(session, schedule, now) if schedule is not None else {}
        except Exception:
            log.exception("planning schedule %s failed", schedule_id)
            continue
        if planned.get("run") is not None:
            report["runs"].append(planned["run"])
        if planned.get("skipped") is not None:
            report["skipped"].append(planned["skipped"])
    for run_id in [*report["retried"], *report["runs"]]:
        try:
            dispatch(run_id)
        except Exception:
            log.exception("report run %s could not be started; a later tick retries it", run_id)
    if renew is not None and not renew():
        log.warning("the scheduler's lease was lost during a tick; its new holder evaluates the alerts")
        report["stopped"] = True
        return report
    report["alerts"] = _alerts(now)
    return report


def _tell_owner(run_id: int) -> None:
    """The owner of a run given up on hears of it in the app."""
    from delivery.runs import notify_failure

    with database().session() as session:
        record = runs.get_run(session, run_id)
    if record is not None:
        notify_failure(run_id, record.error or "The report failed.")


def _alerts(now: dt.datetime) -> int | None:
    """Evaluate the due alerts (delivery/alerts.py), if alerts are installed."""
    try:
        from delivery.alerts import evaluate_due
    except ImportError:
        return None
    try:
        return evaluate_due(now)
    except Exception:
        log.exception("evaluating alerts failed")
        return None


# -- in the web process -----------------------------------------------------------------------

class InProcessScheduler:
    """A daemon thread that ticks every `scheduler_tick_seconds` while it holds the lease, and
    runs the reports in a small pool of threads of this process."""

    def __init__(self, server, workers: int = 2, ttl: dt.timedelta | None = None):
        self.server = server
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.interval = server.extensions[EXTENSION].settings.scheduler_tick_seconds
        self.ttl = ttl or dt.timedelta(seconds=3 * self.interval)  # three ticks
        self.attempts = self.ticks = 0
        self._stop = threading.Event()
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="report-run")
        self._thread = threading.Thread(target=self._loop, name="pulseboard-scheduler", daemon=True)

    def start(self) -> InProcessScheduler:
        self._thread.start()
        atexit.register(self.stop)
        return self

    def _dispatch(self, run_id: int) -> None:
        self._pool.submit(carried(run_here), run_id)

    def _renew(self) -> bool:
        return acquire_lease(database(), self.holder, now(), self.ttl)

    def _loop(self) -> None:
        while not self._stop.is_set():
            with self.server.app_context():
                try:
                    self.attempts += 1
                    if self._renew():
                        self.ticks += 1
                        tick(now(), self._dispatch, self._renew)
                except Exception:
                    log.exception("the scheduler's tick failed; trying again at the next")
            self._stop.wait(self.interval)

    def stop(self, release: bool = True) -> None:
        """Stop ticking and give the lease up (unless `release` is false: it then expires);
        runs in progress finish (or are retried). Stopping again does nothing."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._pool.shutdown(wait=False)
        if not release:
            return
        try:
            release_lease(self.server.extensions[EXTENSION].database, self.holder)
        except Exception:
            log.warning("could not release the scheduler's lease", exc_info=True)


def start_in_process(server) -> InProcessScheduler | None:
    """Start the in-process scheduler for a Flask app when its settings say so ("inprocess");
    None otherwise (Celery beat ticks, or scheduling is off)."""
    if server.extensions[EXTENSION].settings.scheduler_mode != "inprocess":
        return None
    log.info("in-process scheduler started")
    return InProcessScheduler(server).start()
