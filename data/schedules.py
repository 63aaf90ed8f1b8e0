"""Report schedules: create, change, pause and resume, delete, read and list.

Rules, checked here for every caller (callbacks, commands): analysts and admins may schedule;
the owner must be able to view the dashboard (the report is made as the owner); addresses of
people without an account only when `allow_external_recipients` is on. Only the owner or an
admin may see or change a schedule; anyone else gets `ScheduleNotFound`, as for a missing one.
`next_run_at` is the recurrence's next run after now when it is made or its recurrence changes
(an edit of anything else keeps it, so a run that is due and not yet picked up still goes); a
paused schedule has none, and a resume starts from now, so it never sends what was missed while
paused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.dashboard_access import Actor, as_id, require, require_creator
from data.delivery_models import Schedule, ScheduleRun
from data.models import Dashboard, User
from data.recipients import external_allowed
from data.schedule_form import FORMATS, ScheduleForm
from delivery.recurrence import Recurrence, describe, next_after
from exports.options import ExportOptions

__all__ = ["ScheduleForm"]  # defined in data/schedule_form.py, used from here
NO_SCHEDULE = "This schedule does not exist, or you do not have access to it."
LIST_LIMIT = 500
EXTERNAL_REFUSED = ("{email} has no Pulseboard account. Reports go only to people of Pulseboard unless "
                    "an admin allows other addresses (ALLOW_EXTERNAL_RECIPIENTS).")


class ScheduleNotFound(LookupError):
    """No such schedule, or one the account may not see (never told apart)."""

    def __init__(self, message: str = NO_SCHEDULE):
        super().__init__(message)


class ScheduleError(ValueError):
    """A schedule was refused; the message is safe to show."""


@dataclasses.dataclass(frozen=True)
class _Person:
    """An account as the dashboard rules read it, for the schedule's owner."""

    id: int
    role: str
    active: bool

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclasses.dataclass(frozen=True)
class ScheduleRecord:
    """A schedule as the screens show it; `recipient_names` are "Name <email>" for users."""

    id: int
    owner_id: int
    owner_name: str
    dashboard_id: int
    dashboard_title: str
    subject: str
    formats: tuple[str, ...]
    options: dict
    recipient_users: tuple[int, ...]
    recipient_emails: tuple[str, ...]
    recipient_names: tuple[str, ...]
    recurrence: Recurrence
    missed: str
    paused: bool
    next_run_at: dt.datetime | None
    last_run_at: dt.datetime | None
    last_status: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def description(self) -> str:
        return describe(self.recurrence)

    def form(self) -> ScheduleForm:
        """The schedule as the dialog edits it."""
        return ScheduleForm.model_validate({
            "dashboard_id": self.dashboard_id, "subject": self.subject, "formats": list(self.formats),
            **self.options, "recipient_users": list(self.recipient_users),
            "recipient_emails": list(self.recipient_emails), "recurrence": self.recurrence,
            "missed": self.missed})


def _recipients(session: Session, form: ScheduleForm, allow_external: bool | None) -> dict:
    """{"users": ids, "emails": addresses}, each user active; a typed address of a user counts
    as that user. Raises `ScheduleError` for unknown users and refused addresses."""
    users = list(form.recipient_users)
    if users:
        found = set(session.scalars(select(User.id).where(User.id.in_(users), User.active.is_(True))))
        if set(users) - found:
            raise ScheduleError("One of the recipients is not an active user of Pulseboard any more.")
    emails = []
    for email in form.recipient_emails:
        user_id = session.scalar(select(User.id).where(func.lower(User.email) == email,
                                                       User.active.is_(True)))
        if user_id is not None:
            users.extend([user_id] if user_id not in users else [])
            continue
        if not external_allowed(allow_external):
            raise ScheduleError(EXTERNAL_REFUSED.format(email=email))
        emails.append(email)
    return {"users": users, "emails": emails}


def _owner(session: Session, owner_id: int) -> _Person | None:
    user = session.get(User, owner_id)
    return _Person(user.id, user.role, user.active) if user is not None else None


def _apply(session: Session, row: Schedule, form: ScheduleForm, now: dt.datetime,
           allow_external: bool | None) -> None:
    recipients = _recipients(session, form, allow_external)
    recurrence = form.recurrence
    when = (recurrence.frequency, recurrence.time_of_day, recurrence.weekday, recurrence.day_of_month,
            recurrence.cron, recurrence.timezone)
    moved = when != (row.frequency, row.time_of_day, row.weekday, row.day_of_month, row.cron, row.timezone)
    row.subject = form.subject
    row.formats = ",".join(form.formats)
    row.options = json.dumps(form.export_json(), sort_keys=True)
    row.recipients = json.dumps(recipients)
    row.frequency, row.time_of_day = recurrence.frequency, recurrence.time_of_day
    row.timezone = recurrence.timezone
    row.weekday, row.day_of_month, row.cron = recurrence.weekday, recurrence.day_of_month, recurrence.cron
    row.missed = form.missed
    if row.paused:
        row.next_run_at = None
    elif moved or row.next_run_at is None:
        row.next_run_at = next_after(recurrence, now)
    # else: the same recurrence keeps its next run, even one due and not yet picked up
    row.updated_at = now


def _mine(session: Session, account: Actor | None, schedule_id: object) -> Schedule:
    """The schedule row if `account` is its owner or an admin; else `ScheduleNotFound`."""
    identifier = as_id(schedule_id)
    row = session.get(Schedule, identifier, populate_existing=True) if identifier is not None else None
    if row is None or account is None or not account.active:
        raise ScheduleNotFound()
    if not (account.is_admin or row.owner_id == account.id):
        raise ScheduleNotFound()
    return row


def create_schedule(session: Session, account: Actor | None, form: ScheduleForm, now: dt.datetime,
                    allow_external: bool | None = None) -> int:
    """A new schedule owned by `account`; returns its id. Raises `Forbidden` unless an analyst
    or admin, `NotFound` for a dashboard they cannot view, `ScheduleError` for recipients.
    `allow_external` defaults to the app's setting."""
    require_creator(account, "schedule reports")
    require(session, account, form.dashboard_id, "view")
    row = Schedule(owner_id=account.id, dashboard_id=form.dashboard_id, paused=False, created_at=now)
    _apply(session, row, form, now, allow_external)
    session.add(row)
    session.flush()
    return row.id


def update_schedule(session: Session, account: Actor | None, schedule_id: object, form: ScheduleForm,
                    now: dt.datetime, allow_external: bool | None = None) -> None:
    """Change a schedule (owner or admin); its next run is recomputed from now only when the
    recurrence changed. The owner must still be able to view the dashboard; a schedule never
    moves to another dashboard."""
    row = _mine(session, account, schedule_id)
    require_creator(account, "change schedules")
    if form.dashboard_id != row.dashboard_id:
        raise ScheduleError("A schedule stays on its dashboard: create a new one on the other dashboard.")
    require(session, _owner(session, row.owner_id), row.dashboard_id, "view")
    _apply(session, row, form, now, allow_external)


def set_paused(session: Session, account: Actor | None, schedule_id: object, paused: bool,
               now: dt.datetime) -> dt.datetime | None:
    """Pause or resume; returns the next run (None while paused). A resume counts from `now`:
    the runs missed while paused are not sent."""
    row = _mine(session, account, schedule_id)
    if not paused:
        require_creator(account, "resume schedules")
    row.paused = bool(paused)
    row.next_run_at = None if row.paused else next_after(Recurrence.of(row), now)
    row.updated_at = now
    return row.next_run_at


def delete_schedule(session: Session, account: Actor | None, schedule_id: object) -> None:
    """Delete a schedule and its run history (owner or admin). The files it made stay in the
    owner's export history."""
    row = _mine(session, account, schedule_id)
    session.query(ScheduleRun).filter(ScheduleRun.schedule_id == row.id).delete()
    session.delete(row)


def get_schedule(session: Session, account: Actor | None, schedule_id: object) -> ScheduleRecord:
    """One schedule (owner or admin); raises `ScheduleNotFound`."""
    return _records(session, [_mine(session, account, schedule_id)])[0]


def list_schedules(session: Session, account: Actor | None, everyone: bool = False) -> list[ScheduleRecord]:
    """The account's schedules (an admin's `everyone`: all of them), by dashboard then subject."""
    if account is None or not account.active:
        return []
    query = select(Schedule).join(Dashboard, Dashboard.id == Schedule.dashboard_id)
    if not (everyone and account.is_admin):
        query = query.where(Schedule.owner_id == account.id)
    rows = session.scalars(query.order_by(Dashboard.title, Schedule.subject, Schedule.id).limit(LIST_LIMIT))
    return _records(session, list(rows))


def recipient_choices(session: Session) -> list[tuple[int, str]]:
    """Every active user as (id, "Name <email>"), for the recipients picker."""
    users = session.execute(select(User.id, User.display_name, User.email).where(User.active.is_(True))
                            .order_by(User.display_name, User.email))
    return [(user_id, f"{name} <{email}>") for user_id, name, email in users]


def export_options(choices: dict, fmt: str) -> ExportOptions:
    """The export a schedule makes in format `fmt` (pdf or xlsx) from its stored choices (the
    JSON of `Schedule.options`); raises `ValueError` if they are no longer valid."""
    if fmt not in FORMATS:
        raise ValueError(f"A schedule makes PDF or Excel files, not {fmt!r}.")
    return ExportOptions.model_validate({**choices, "format": fmt})


def _records(session: Session, rows: list[Schedule]) -> list[ScheduleRecord]:
    """Records of `rows`, with names, titles and each one's last run read in three queries."""
    if not rows:
        return []
    recipients = {row.id: json.loads(row.recipients or "{}") for row in rows}
    user_ids = {row.owner_id for row in rows}
    user_ids |= {uid for chosen in recipients.values() for uid in chosen.get("users", [])}
    people = {uid: (name, email) for uid, name, email in
              session.execute(select(User.id, User.display_name, User.email).where(User.id.in_(user_ids)))}
    titles = dict(session.execute(select(Dashboard.id, Dashboard.title)
                                  .where(Dashboard.id.in_({row.dashboard_id for row in rows}))).all())
    latest = (select(ScheduleRun.schedule_id, func.max(ScheduleRun.id).label("run"))
              .where(ScheduleRun.schedule_id.in_([row.id for row in rows]))
              .group_by(ScheduleRun.schedule_id).subquery())
    statuses = dict(session.execute(select(latest.c.schedule_id, ScheduleRun.status)
                                    .join(ScheduleRun, ScheduleRun.id == latest.c.run)).all())
    records = []
    for row in rows:
        users = tuple(uid for uid in recipients[row.id].get("users", []) if uid in people)
        emails = tuple(recipients[row.id].get("emails", []))
        names = tuple(f"{people[uid][0]} <{people[uid][1]}>" for uid in users) + emails
        records.append(ScheduleRecord(
            row.id, row.owner_id, people.get(row.owner_id, ("?", ""))[0], row.dashboard_id,
            titles.get(row.dashboard_id, "?"), row.subject, tuple(row.formats.split(",")),
            json.loads(row.options or "{}"), users, emails, names, Recurrence.of(row), row.missed,
            row.paused, row.next_run_at, row.last_run_at, statuses.get(row.id), row.created_at,
            row.updated_at))
    return records


def dashboard_title(session: Session, account: Actor | None, dashboard_id: object) -> str:
    """The title of a dashboard `account` may view; raises `NotFound`."""
    row, _level = require(session, account, dashboard_id, "view")
    return row.title

