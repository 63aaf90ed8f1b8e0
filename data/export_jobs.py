"""The export history and each user's saved export choices.

A job row is written when an export starts and finished once its file is in place, so the
history shows running and failed exports too. Who may see or download a job: its author and
admins, and, for a dashboard export, only while they can still view that dashboard. Functions
return frozen records, never ORM objects.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data.dashboard_access import Actor, access_level, as_id
from data.models import Dashboard, ExportJob, ExportPreset, User, utcnow

HISTORY_LIMIT = 200
MAX_PRESETS = 50
NO_JOB = "This export does not exist, or you do not have access to it."


class ExportNotFound(LookupError):
    """No such export, or one the account may not see (never told apart)."""

    def __init__(self, message: str = NO_JOB):
        super().__init__(message)


@dataclasses.dataclass(frozen=True)
class JobRecord:
    id: int
    user_id: int
    user_name: str
    dashboard_id: int | None
    subject: str
    scope: str
    format: str
    template: str
    status: str
    error: str | None
    file_name: str | None
    stored_name: str | None
    size_bytes: int | None
    created_at: dt.datetime
    finished_at: dt.datetime | None

    @property
    def downloadable(self) -> bool:
        return self.status == "done" and self.stored_name is not None


def _record(row: ExportJob, user_name: str) -> JobRecord:
    return JobRecord(
        row.id,
        row.user_id,
        user_name,
        row.dashboard_id,
        row.subject,
        row.scope,
        row.format,
        row.template,
        row.status,
        row.error,
        row.file_name,
        row.stored_name,
        row.size_bytes,
        row.created_at,
        row.finished_at,
    )


def start_job(
    session: Session,
    account: Actor,
    subject: str,
    scope: str,
    fmt: str,
    template: str,
    options: dict,
    dashboard_id: int | None = None,
    dashboard_version: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Record an export that is starting (at `now`, the app's clock); returns its id."""
    row = ExportJob(
        user_id=account.id,
        dashboard_id=dashboard_id,
        dashboard_version=dashboard_version,
        subject=subject[:200],
        scope=scope,
        format=fmt,
        template=template,
        options=json.dumps(options, sort_keys=True, default=str),
        status="running",
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return row.id


def finish_job(session: Session, job_id: int, file_name: str, stored_name: str, size: int) -> None:
    row = session.get(ExportJob, job_id)
    row.status, row.file_name, row.stored_name = "done", file_name[:255], stored_name
    row.size_bytes, row.finished_at, row.error = size, utcnow(), None


def fail_job(session: Session, job_id: int, message: str, status: str = "failed") -> None:
    """Mark an export failed (or cancelled) with a message a person can read; it has no file."""
    row = session.get(ExportJob, job_id)
    if row is None:
        return
    row.status, row.error, row.finished_at, row.stored_name = status, message[:1000], utcnow(), None


def _may_see(session: Session, account: Actor, row: ExportJob, seen: dict[int, bool] | None = None) -> bool:
    """The author or an admin, and for a dashboard export only while they can view it (`seen`
    remembers each dashboard's answer across a list, so a long history asks once each)."""
    if account is None or not account.active:
        return False
    if row.dashboard_id is not None:
        seen = {} if seen is None else seen
        if row.dashboard_id not in seen:
            dashboard = session.get(Dashboard, row.dashboard_id)
            seen[row.dashboard_id] = (
                dashboard is not None and access_level(session, dashboard, account) is not None
            )
        if not seen[row.dashboard_id]:
            return False
    return account.is_admin or row.user_id == account.id


def list_jobs(
    session: Session, account: Actor, everyone: bool = False, limit: int = HISTORY_LIMIT
) -> list[JobRecord]:
    """The account's exports, newest first (admins may ask for everyone's)."""
    query = (
        select(ExportJob, User.display_name)
        .join(User, User.id == ExportJob.user_id)
        .order_by(ExportJob.created_at.desc(), ExportJob.id.desc())
        .limit(limit)
    )
    if not (everyone and account.is_admin):
        query = query.where(ExportJob.user_id == account.id)
    rows, seen = session.execute(query).all(), {}
    return [_record(row, name) for row, name in rows if _may_see(session, account, row, seen)]


def get_job(session: Session, account: Actor, job_id: object) -> JobRecord:
    """One export the account may see; raises `ExportNotFound` otherwise."""
    identifier = as_id(job_id)
    row = session.get(ExportJob, identifier) if identifier else None
    if row is None or not _may_see(session, account, row):
        raise ExportNotFound()
    name = session.scalar(select(User.display_name).where(User.id == row.user_id))
    return _record(row, name or "")


def delete_job(session: Session, account: Actor, job_id: object) -> str | None:
    """Delete an export the account made (admins: any); returns its stored file name to remove."""
    job = get_job(session, account, job_id)  # only the author's or, for admins, anyone's
    session.execute(delete(ExportJob).where(ExportJob.id == job.id))
    return job.stored_name


def expired_jobs(session: Session, retention_days: int, now: dt.datetime) -> list[tuple[int, str | None]]:
    """(id, stored name) of every export older than the retention period."""
    cutoff = now - dt.timedelta(days=retention_days)
    return list(
        session.execute(
            select(ExportJob.id, ExportJob.stored_name).where(ExportJob.created_at < cutoff)
        ).all()
    )


DIED = "The export stopped before it finished: the process making it ended. Try again."


def beat(session: Session, job_id: int, now: dt.datetime) -> None:
    """A running export is alive at `now` (see `fail_abandoned`)."""
    session.execute(update(ExportJob).where(ExportJob.id == job_id, ExportJob.status == "running")
                    .values(heartbeat_at=now))


def fail_abandoned(session: Session, now: dt.datetime, after: dt.timedelta) -> int:
    """Mark failed every export still "running" whose heartbeat (or, before its first one, its
    start) is older than `after`: its worker was killed or its machine went down. Returns how
    many. They never have a file to serve; their partial files are swept separately."""
    last_sign = func.coalesce(ExportJob.heartbeat_at, ExportJob.created_at)
    rows = session.scalars(
        select(ExportJob).where(ExportJob.status == "running", last_sign < now - after)
    ).all()
    for row in rows:
        row.status, row.error, row.finished_at, row.stored_name = "failed", DIED, now, None
    return len(rows)


def forget_jobs(session: Session, job_ids: list[int]) -> None:
    if job_ids:
        session.execute(delete(ExportJob).where(ExportJob.id.in_(job_ids)))


def stored_names(session: Session) -> set[str]:
    """Every file name the history still points at (anything else in the folder is debris)."""
    return {name for name in session.scalars(select(ExportJob.stored_name)) if name}


# -- remembered choices and named presets -------------------------------------------------------

LAST = ""  # the preset row that holds a user's last choices


def remember(session: Session, account: Actor, options: dict, name: str = LAST) -> None:
    """Store the choices as the user's last ones (or as the preset `name`, replacing it)."""
    name = name.strip()[:80]
    row = session.scalar(
        select(ExportPreset).where(ExportPreset.user_id == account.id, ExportPreset.name == name)
    )
    if row is None:
        if name != LAST and len(presets(session, account)) >= MAX_PRESETS:
            raise ValueError(f"You already have {MAX_PRESETS} presets: delete one first.")
        row = ExportPreset(user_id=account.id, name=name)
        session.add(row)
    row.options, row.updated_at = json.dumps(options, sort_keys=True, default=str), utcnow()
    session.flush()


def last_choices(session: Session, account: Actor) -> dict | None:
    return preset(session, account, LAST)


def preset(session: Session, account: Actor, name: str) -> dict | None:
    text = session.scalar(
        select(ExportPreset.options).where(ExportPreset.user_id == account.id, ExportPreset.name == name)
    )
    return json.loads(text) if text else None


def presets(session: Session, account: Actor) -> list[str]:
    """The names of the user's presets, alphabetically."""
    return list(
        session.scalars(
            select(ExportPreset.name)
            .where(ExportPreset.user_id == account.id, ExportPreset.name != LAST)
            .order_by(ExportPreset.name)
        )
    )


def delete_preset(session: Session, account: Actor, name: str) -> None:
    session.execute(
        delete(ExportPreset).where(
            ExportPreset.user_id == account.id, ExportPreset.name == name, ExportPreset.name != LAST
        )
    )
