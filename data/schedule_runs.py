"""A schedule's runs as data: claiming one (the idempotency key), moving it on step by step, and
reading the history. Functions return frozen records, never ORM objects.

A scheduled run is claimed once per (schedule, planned instant): `claim_run` inserts and, when
another scheduler already claimed that slot, inserts nothing ("send now" runs are not keyed by a
slot: `claim_manual` keeps one unfinished per schedule). Whoever executes a run first *takes*
it (`take_run`: an atomic update that succeeds for one caller only) and gets a token, the run's
new `attempts`: every later write of that executor (`beat`, `save_run`, `still_ours`) requires
it, so an executor whose run was released as stale (`release_stale`) and taken by another
stops instead of sending twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import and_, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data import recipients
from data.delivery_models import SLOT_RUNS, Schedule, ScheduleRun

FINAL = ("sent", "failed", "skipped")
TRIGGERS = ("schedule", "manual", "catchup")
MAX_ATTEMPTS = 3  # executors that may take a run (a process died, or a temporary failure) before it fails
PAUSED = ("Not sent: the schedule was paused before this report went out (a paused schedule "
          "sends nothing until it is resumed).")


@dataclasses.dataclass(frozen=True)
class RunRecord:
    id: int
    planned_at: dt.datetime
    trigger: str
    status: str
    attempts: int
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    recipients: dict[str, str]
    files: list[dict]


def _record(row: ScheduleRun) -> RunRecord:
    return RunRecord(row.id, row.planned_at, row.trigger, row.status, row.attempts, row.started_at,
                     row.finished_at, row.error, json.loads(row.recipients or "{}"),
                     json.loads(row.files or "[]"))


def _insert(session: Session):
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise RuntimeError(f"claiming runs needs SQLite or PostgreSQL, not {name}")


def claim_run(session: Session, schedule_id: int, planned_at: dt.datetime, trigger: str,
              now: dt.datetime, status: str = "pending", error: str | None = None) -> int | None:
    """Record the run of `schedule_id` planned at `planned_at`; its id, or None when that
    (schedule, planned_at) slot was claimed already (by this or another scheduler, whether as
    "schedule" or "catchup"). A "manual" run is not keyed by its instant: it never collides
    with a slot, nor a slot with it (`delivery.send_now.claim_manual` keeps one at a time). `status`
    "skipped" records a run that will not be sent (a missed one under the "skip" policy)."""
    if trigger not in TRIGGERS:
        raise ValueError(f"unknown trigger {trigger!r}")
    finished = now if status in FINAL else None
    statement = _insert(session)(ScheduleRun).values(
        schedule_id=schedule_id, planned_at=planned_at, trigger=trigger, status=status, attempts=0,
        error=error, recipients="{}", files="[]", created_at=now, queued_at=now, finished_at=finished)
    if trigger != "manual":
        statement = statement.on_conflict_do_nothing(index_elements=["schedule_id", "planned_at"],
                                                     index_where=text(SLOT_RUNS))
    return session.execute(statement.returning(ScheduleRun.id)).scalar()


def unfinished_manual(session: Session, schedule_id: int) -> int | None:
    """The "send now" run of a schedule that is not finished yet (the latest), if any."""
    return session.scalar(select(ScheduleRun.id).where(
        ScheduleRun.schedule_id == schedule_id, ScheduleRun.trigger == "manual",
        ScheduleRun.status.not_in(FINAL)).order_by(ScheduleRun.id.desc()).limit(1))


def recipient_addresses(session: Session, schedule: Schedule,
                        allow_external: bool | None = None) -> list[str]:
    """Where a run of `schedule` goes now (data/recipients.py; `allow_external` default: the
    app's setting)."""
    return recipients.recipient_addresses(session, schedule.recipients, allow_external)


def list_runs(session: Session, account, schedule_id: object, limit: int = 50) -> list[RunRecord]:
    """The runs of a schedule, newest planned first: for its owner and admins only (anyone else,
    or no such schedule: `data.schedules.ScheduleNotFound`)."""
    from data.dashboard_access import as_id
    from data.schedules import ScheduleNotFound

    identifier = as_id(schedule_id)
    schedule = session.get(Schedule, identifier) if identifier is not None else None
    if schedule is None or account is None or not account.active or not (
            account.is_admin or schedule.owner_id == account.id):
        raise ScheduleNotFound()
    rows = session.scalars(select(ScheduleRun).where(ScheduleRun.schedule_id == schedule.id)
                           .order_by(ScheduleRun.planned_at.desc(), ScheduleRun.id.desc()).limit(limit))
    return [_record(row) for row in rows]


def get_run(session: Session, run_id: int) -> RunRecord | None:
    """One run, for the engine and the command line (no access check)."""
    row = session.get(ScheduleRun, run_id, populate_existing=True)
    return _record(row) if row is not None else None


def take_run(session: Session, run_id: int, now: dt.datetime) -> int | None:
    """Start (or resume) executing a run: its token (the new `attempts`) for exactly one caller
    while the run is not finished and nobody holds it (its heartbeat is empty: new, released as
    stale, or left for a retry); None for everyone else."""
    return session.execute(
        update(ScheduleRun)
        .where(ScheduleRun.id == run_id, ScheduleRun.status.not_in(FINAL), ScheduleRun.heartbeat_at.is_(None))
        .values(heartbeat_at=now, attempts=ScheduleRun.attempts + 1)
        .returning(ScheduleRun.attempts)
    ).scalar()


def _ours(run_id: int, token: int) -> list:
    return [ScheduleRun.id == run_id, ScheduleRun.attempts == token, ScheduleRun.status.not_in(FINAL)]


def beat(session: Session, run_id: int, token: int, now: dt.datetime) -> bool:
    """The executor holding `token` is alive; false when the run is no longer its own."""
    return session.execute(update(ScheduleRun).where(*_ours(run_id, token))
                           .values(heartbeat_at=now)).rowcount == 1


def save_run(session: Session, run_id: int, token: int, **values) -> bool:
    """Record one durable step (status, recipients (dict), files (list), error, times) for the
    executor holding `token`; false, recording nothing, when the run is no longer its own
    (released as stale and taken by another, finished, or deleted with its schedule)."""
    for key in ("recipients", "files"):
        if key in values:
            values[key] = json.dumps(values[key])
    return session.execute(update(ScheduleRun).where(*_ours(run_id, token)).values(**values)).rowcount == 1


def _stopped_by_pause():
    """SQL: the run's schedule was paused before the run went out. A scheduled run stops as soon
    as its schedule is paused; a "send now" only when the schedule was paused (or edited while
    paused) after it was asked for, since a paused schedule may still be sent on request."""
    return and_(Schedule.paused.is_(True),
                or_(ScheduleRun.trigger != "manual", Schedule.updated_at > ScheduleRun.created_at))


def still_ours(session: Session, run_id: int, token: int) -> str | None:
    """Checked right before each email: None while the run is the executor's (`token`) and may
    go on; "paused" when its schedule was paused meanwhile; "lost" when it is not the
    executor's any more (released and taken by another, finished, or deleted)."""
    row = session.execute(
        select(ScheduleRun.id, _stopped_by_pause().label("paused"))
        .join(Schedule, Schedule.id == ScheduleRun.schedule_id).where(*_ours(run_id, token))
    ).first()
    if row is None:
        return "lost"
    return "paused" if row.paused else None


def _same(column, value):
    return column.is_(None) if value is None else column == value


def release_stale(session: Session, now: dt.datetime, after: dt.timedelta,
                  max_attempts: int = MAX_ATTEMPTS) -> dict[str, list[int]]:
    """Runs left without a live executor, dealt with once each per `after`: "retry" the ones to
    hand to an executor again (their heartbeat went silent for `after`, or they wait without
    one, never taken or left after a temporary failure, and were last handed out `after` ago),
    "gave_up" the ones failed because `max_attempts` executors took them already, "paused"
    the ones of a paused schedule, closed as skipped (never retried, not even once resumed)."""
    limit = now - after
    stale = session.execute(
        select(ScheduleRun.id, ScheduleRun.attempts, ScheduleRun.heartbeat_at, ScheduleRun.queued_at,
               ScheduleRun.error, _stopped_by_pause().label("paused"))
        .join(Schedule, Schedule.id == ScheduleRun.schedule_id)
        .where(ScheduleRun.status.not_in(FINAL),
               (ScheduleRun.heartbeat_at < limit) | (ScheduleRun.heartbeat_at.is_(None) & (
                   func.coalesce(ScheduleRun.queued_at, ScheduleRun.created_at) < limit)))
        .order_by(ScheduleRun.id)
    ).all()
    report: dict[str, list[int]] = {"retry": [], "gave_up": [], "paused": []}
    for run_id, attempts, heartbeat, queued, error, paused in stale:
        # Compare-and-set on what was read: of two schedulers, one deals with each run.
        where = [ScheduleRun.id == run_id, ScheduleRun.status.not_in(FINAL), ScheduleRun.attempts == attempts,
                 _same(ScheduleRun.heartbeat_at, heartbeat), _same(ScheduleRun.queued_at, queued)]
        if paused:
            kind, values = "paused", {"status": "skipped", "error": PAUSED, "finished_at": now}
        elif attempts >= max_attempts:
            why = error if error and heartbeat is None else (
                "the process running this report ended each time before it finished.")
            kind = "gave_up"
            values = {"status": "failed", "error": f"Stopped after {attempts} attempts: {why}"[:1000],
                      "finished_at": now}
        else:
            kind, values = "retry", {"queued_at": now}
        changed = session.execute(update(ScheduleRun).where(*where).values(heartbeat_at=None, **values))
        if changed.rowcount == 1:
            report[kind].append(run_id)
    return report
