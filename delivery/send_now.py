"""Sending a schedule's report now ("Send now" on /reports, `flask schedules run`): claim a
manual run, at most one unfinished per schedule, and execute it in the background."""

from __future__ import annotations

import threading

from sqlalchemy import update

from context import carried, database, now, settings
from data import schedule_runs as runs
from data.dashboard_access import as_id
from data.delivery_models import Schedule
from delivery.runs import execute_run


def claim_manual(account, schedule_id: object) -> int:
    """Claim a "send now" run of a schedule planned at this instant (owner or admin only;
    anyone else, or no such schedule: `data.schedules.ScheduleNotFound`). While a "send now"
    of the schedule is not finished, that run's id instead: a double click sends once."""
    from data.schedules import ScheduleNotFound

    identifier = as_id(schedule_id)
    with database().session() as session:
        # A write on the schedule's row first (changing nothing): two clicks at once queue here
        # (a row lock on PostgreSQL, the write lock on SQLite), so the second sees the first's run.
        locked = identifier is not None and session.execute(
            update(Schedule).where(Schedule.id == identifier).values(updated_at=Schedule.updated_at)
        ).rowcount == 1
        schedule = session.get(Schedule, identifier) if locked else None
        if schedule is None or account is None or not account.active or not (
                account.is_admin or schedule.owner_id == account.id):
            raise ScheduleNotFound()
        unfinished = runs.unfinished_manual(session, schedule.id)
        if unfinished is not None:
            return unfinished
        return runs.claim_run(session, schedule.id, now(), "manual", now())


def start_run(run_id: int) -> None:
    """Execute a run in the background: a Celery task when scaled out, else a thread here."""
    if settings().scheduler_mode == "celery":
        from delivery.tasks import send_run_task

        send_run_task(run_id)
        return
    work = carried(lambda: execute_run(run_id))
    threading.Thread(target=work, name=f"report-run-{run_id}", daemon=True).start()


def send_now(account, schedule_id: object) -> int:
    """Send a schedule's report now, in the background; returns the run's id (see `claim_manual`:
    a second click while the first is being sent gets the same run, and executing it again
    is a no-op while the first executor holds it)."""
    run_id = claim_manual(account, schedule_id)
    start_run(run_id)
    return run_id
