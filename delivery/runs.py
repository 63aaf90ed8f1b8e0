"""Executing one run of a schedule, exactly once per recipient, however often it is retried.

The run row is the idempotency key (one per schedule and planned instant) and records each
durable step as it completes, so a retry resumes where the last attempt died:

1. take: one executor at a time (`take_run`), which gets a token: every later write of that
   executor requires it, and so does a check right before each email, so an executor whose
   run was released as stale (it stalled) and taken by another stops without sending; so does
   one whose schedule was deleted or paused meanwhile;
2. check: the owner is active, may still schedule and can still view the dashboard, else the run
   fails with the reason, no email goes, and the owner is notified in the app;
3. render: one export per format, as the owner; each file is recorded on the run once made,
   so a retry after a crash never renders it again (`checkpoint("rendered")`);
4. send: one message per recipient, marked "sent" right after the SMTP server accepted it
   (`checkpoint("sent:<address>")`): a retry sends only to recipients still "pending". A crash
   between the server's acceptance and that mark is the one window left; the message then goes
   again with the same Message-ID, which mail systems treat as the same message.
5. done: "sent", or "failed" with every recipient that could not be reached.

A temporary failure (the mail server down or busy beyond the retries here, the database gone)
does not fail the run: the recipients not reached stay "pending", the error is recorded, and
the run is left without an executor for the scheduler to hand out again later
(`data.schedule_runs.release_stale`), at most `MAX_ATTEMPTS` times in all; the last attempt
fails it and tells the owner. A permanent failure (a 5xx answer, the owner's lost access)
fails at once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import OperationalError

from auth.account import Account
from context import database, now, settings
from data import schedule_runs as runs
from data.dashboard_access import CREATOR_ROLES, DashboardError
from data.dashboards import load_dashboard
from data.delivery_models import Schedule, ScheduleRun
from data.models import Dashboard, ExportJob, User
from data.schedules import export_options
from delivery.mailer import MailError
from delivery.recurrence import Recurrence, RecurrenceError, describe
from exports.options import MEDIA_TYPES
from job_liveness import heartbeat

log = logging.getLogger(__name__)
Checkpoint = Callable[[str], None]
SEND_ATTEMPTS = 3  # per recipient and run attempt, for temporary SMTP failures (4xx, timeouts, refusals)
RETRY_DELAYS = (2.0, 10.0)  # seconds between those; short, since the scheduler retries the run later
MAX_ATTEMPTS = runs.MAX_ATTEMPTS


class RunFailed(RuntimeError):
    """The run cannot go on; the message is safe to show in the history and to the owner."""


class TryLater(RuntimeError):
    """A temporary failure: the run is left for the scheduler to retry (message safe to show)."""


class RunStopped(RuntimeError):
    """The run is not this executor's any more (taken over, finished, deleted) or its schedule
    was paused: stop without sending anything more."""


def _nothing(_step: str) -> None:
    return None


def execute_run(run_id: int, checkpoint: Checkpoint | None = None) -> str:
    """Execute (or resume) a run; returns its final status, or its current one when another
    executor holds it or it was left for a retry after a temporary failure. `checkpoint(step)`
    is called after each durable step: "rendered", "sent:<address>", "done" (tests kill the
    process there)."""
    checkpoint = checkpoint or _nothing
    with database().session() as session:
        token = runs.take_run(session, run_id, now())
    if token is None:
        return _status(run_id)
    try:
        with heartbeat(lambda: _beat(run_id, token), f"report run {run_id}"):
            status = _execute(run_id, token, checkpoint)
    except RunStopped as stopped:
        log.warning("report run %s (attempt %s) stopped without sending more: %s", run_id, token, stopped)
        status = _status(run_id)
    except RunFailed as error:
        status = _fail(run_id, token, str(error))
    except TryLater as error:
        status = _later(run_id, token, str(error))
    except OperationalError:
        log.warning("report run %s: the database failed; the run will be tried again", run_id, exc_info=True)
        status = _later(run_id, token, "The database could not be reached.")
    except Exception:
        log.exception("report run %s failed", run_id)
        status = _fail(run_id, token, "The report failed. The error has been logged.")
    checkpoint("done")
    return status


def _status(run_id: int) -> str:
    with database().session() as session:
        record = runs.get_run(session, run_id)
    return record.status if record is not None else "missing"


def _beat(run_id: int, token: int) -> None:
    with database().session() as session:
        if not runs.beat(session, run_id, token, now()):
            log.warning("report run %s (attempt %s) is no longer this executor's", run_id, token)


def _save(run_id: int, token: int, **values) -> None:
    """Record a step while the run is ours (`token`), else stop: `RunStopped`."""
    with database().session() as session:
        if not runs.save_run(session, run_id, token, **values):
            raise RunStopped("it was taken over by another executor, finished, or deleted")


def _check(run_id: int, token: int, recipients: dict[str, str]) -> None:
    """Right before each email (and before rendering): the run is still ours and its schedule
    neither deleted nor paused; else stop (`RunStopped`), closing the run when paused."""
    with database().session() as session:
        why = runs.still_ours(session, run_id, token)
    if why == "paused":
        pending = [address for address, state in recipients.items() if state == "pending"]
        note = f" Not sent to: {', '.join(pending)}." if pending and len(pending) < len(recipients) else ""
        _save(run_id, token, status="skipped", error=(runs.PAUSED + note)[:1000], finished_at=now(),
              heartbeat_at=None)
        raise RunStopped("its schedule was paused")
    if why is not None:
        raise RunStopped("it was taken over by another executor, finished, or deleted")


def _execute(run_id: int, token: int, checkpoint: Checkpoint) -> str:
    from delivery.mailer import mail_configured

    with database().session() as session:
        run = session.get(ScheduleRun, run_id)
        schedule = session.get(Schedule, run.schedule_id) if run is not None else None
        if schedule is None:
            raise RunStopped("its schedule was deleted")
        recipients = json.loads(run.recipients or "{}")
    _check(run_id, token, recipients)
    with database().session() as session:
        owner = _owner_allowed(session, schedule)
        if not mail_configured(settings()):
            raise RunFailed("Email is not set up (SMTP_HOST), so the report could not be sent.")
        if not recipients:
            recipients = {address: "pending" for address in runs.recipient_addresses(session, schedule)}
            if not recipients:
                raise RunFailed("The report has no recipients left: their accounts are deactivated, "
                                "or external addresses are no longer allowed.")
    files = json.loads(run.files or "[]")
    _save(run_id, token, recipients=recipients, started_at=run.started_at or now(),
          status="rendering" if run.status == "pending" else run.status, error=None)
    formats = [fmt for fmt in schedule.formats.split(",") if fmt]
    options = json.loads(schedule.options or "{}")
    note = _note(schedule, owner, run.trigger, run.planned_at)
    files = _render(run_id, token, owner, schedule.dashboard_id, formats, options, files)
    _save(run_id, token, status="sending")
    checkpoint("rendered")
    return _send_all(run_id, token, owner, schedule, note, options, formats, files, recipients, checkpoint)


def _owner_allowed(session, schedule: Schedule) -> Account:
    """The owner as an account, if they may still have this report made; else `RunFailed`."""
    user = session.get(User, schedule.owner_id, populate_existing=True)
    title = session.scalar(Dashboard.__table__.select().with_only_columns(Dashboard.title)
                           .where(Dashboard.id == schedule.dashboard_id)) or f"#{schedule.dashboard_id}"
    cannot = f"{user.display_name} can no longer view dashboard '{title}'"
    if not user.active:
        raise RunFailed(f"{cannot}: their account is deactivated.")
    owner = Account.from_user(user)
    if owner.role not in CREATOR_ROLES:
        raise RunFailed(f"{user.display_name} is no longer an analyst or admin, "
                        "so their schedules do not run.")
    try:
        load_dashboard(session, owner, schedule.dashboard_id, "view")
    except DashboardError:
        raise RunFailed(f"{cannot}.") from None
    return owner


def _note(schedule: Schedule, owner: Account, trigger: str, planned_at) -> str:
    try:
        when = describe(Recurrence.of(schedule))
    except RecurrenceError:
        when = "On a schedule"
    note = f"{when}, scheduled by {owner.display_name}."
    if trigger == "manual":
        return f"Sent on request. {note}"
    if trigger == "catchup":
        return (f"Planned for {planned_at:%Y-%m-%d %H:%M} UTC and missed while Pulseboard was not "
                f"running. {note}")
    return note


def _render(run_id: int, token: int, owner: Account, dashboard_id: int, formats: list[str],
            options: dict, files: list[dict]) -> list[dict]:
    """One export per format not made yet, each recorded on the run as soon as it exists."""
    from exports.run import ExportFailed, export_dashboard

    for fmt in formats:
        if any(file.get("format") == fmt for file in files):
            continue
        try:
            result = export_dashboard(owner, dashboard_id, export_options(options, fmt))
        except DashboardError:
            raise RunFailed(f"{owner.display_name} can no longer view this dashboard.") from None
        except ExportFailed as error:
            raise RunFailed(f"The {fmt.upper()} could not be made: {error}") from None
        files = [*files, {"job": result.job_id, "name": result.file_name, "size": result.size, "format": fmt}]
        _save(run_id, token, files=files)
    return files


def _attachments(files: list[dict]):
    from delivery.emails import Attachment

    folder = settings().exports_path
    attachments = []
    with database().session() as session:
        for file in files:
            job = session.get(ExportJob, file["job"])
            if job is None or job.stored_name is None or not (folder / job.stored_name).exists():
                raise RunFailed(f"The file {file['name']} is gone (deleted from the export history).")
            fmt = file.get("format") or Path(file["name"]).suffix.lstrip(".")
            attachments.append(Attachment(file["name"], folder / job.stored_name, file["size"],
                                          MEDIA_TYPES.get(fmt, "application/octet-stream"), file["job"]))
    return attachments


def _kpis(owner: Account, dashboard_id: int, options: dict, fmt: str) -> list:
    from delivery.kpi_summary import kpi_summary

    try:
        return kpi_summary(owner, dashboard_id, export_options(options, fmt))
    except DashboardError:
        raise RunFailed(f"{owner.display_name} can no longer view this dashboard.") from None


def _send_all(run_id: int, token: int, owner: Account, schedule: Schedule, note: str, options: dict,
              formats: list[str], files: list[dict], recipients: dict[str, str],
              checkpoint: Checkpoint) -> str:
    """One message per pending recipient, each checked for just before and recorded just after."""
    from delivery import emails

    attachments = _attachments(files)
    kpis = _kpis(owner, schedule.dashboard_id, options, formats[0])
    with database().session() as session:
        title = session.get(Dashboard, schedule.dashboard_id).title
    problems, later, tries = [], [], SEND_ATTEMPTS
    for address, state in list(recipients.items()):
        if state != "pending":
            continue
        _check(run_id, token, recipients)
        try:
            message = emails.report_message(
                settings(), recipient=address, subject=schedule.subject, dashboard_title=title,
                dashboard_id=schedule.dashboard_id, kpis=kpis, files=attachments,
                message_id=emails.message_id(f"schedule-run-{run_id}", address), schedule_note=note)
            _send(message, tries)
            recipients[address] = "sent"
        except MailError as error:
            if not error.transient:
                recipients[address] = "failed"
                problems.append(f"{address}: {error}")
            else:  # stays pending for the retry; the server struggles, so one try each for the rest
                later.append(f"{address}: {error}")
                tries = 1
        except ValueError as error:
            recipients[address] = "failed"
            problems.append(f"{address}: {error}")
        _save(run_id, token, recipients=recipients)
        if recipients[address] == "sent":
            checkpoint(f"sent:{address}")
    earlier = [f"{address}: refused in an earlier attempt" for address, state in recipients.items()
               if state == "failed" and not any(problem.startswith(f"{address}: ") for problem in problems)]
    if later:
        refused = f" Not sent to {'; '.join(problems + earlier)}." if problems or earlier else ""
        raise TryLater(f"Not sent yet to {'; '.join(later)}.{refused}")
    if problems or earlier:
        raise RunFailed("Not sent to " + "; ".join(problems + earlier))
    _save(run_id, token, status="sent", finished_at=now(), heartbeat_at=None, error=None)
    return "sent"


def _send(message, tries: int = SEND_ATTEMPTS) -> None:
    """Send, trying again after a temporary failure (`tries` times in all, pausing `RETRY_DELAYS`)."""
    from delivery.mailer import send

    for attempt in range(tries):
        try:
            send(settings(), message)
            return
        except MailError as error:
            if not error.transient or attempt == tries - 1:
                if error.transient and tries > 1:
                    raise MailError(f"{error} (tried {tries} times)", True) from None
                raise
            log.warning("sending a report failed (%s); trying again", error)
            threading.Event().wait(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)])


def _later(run_id: int, token: int, message: str) -> str:
    """Leave the run for the scheduler to retry after a temporary failure (the recipients not
    reached stay pending); at the last of `MAX_ATTEMPTS` attempts, fail it instead."""
    if token >= MAX_ATTEMPTS:
        return _fail(run_id, token, f"{message} Gave up after {token} attempts.")
    try:
        with database().session() as session:
            runs.save_run(session, run_id, token, heartbeat_at=None, queued_at=now(),
                          error=f"{message} It will be tried again shortly (attempt {token} of "
                                f"{MAX_ATTEMPTS}).")
        return _status(run_id)
    except OperationalError:  # the database is down: the run's heartbeat stopped, so it is retried
        log.warning("report run %s: could not record its temporary failure", run_id, exc_info=True)
        return "pending"


def _fail(run_id: int, token: int, message: str) -> str:
    """Mark the run failed, if it is still ours, and tell its owner in the app (the bell)."""
    with database().session() as session:
        failed = runs.save_run(session, run_id, token, status="failed", error=message[:1000],
                               finished_at=now(), heartbeat_at=None)
    if not failed:
        log.warning("report run %s failed (%s), but it is no longer this executor's", run_id, message)
        return _status(run_id)
    notify_failure(run_id, message)
    return "failed"


def notify_failure(run_id: int, message: str) -> None:
    """Tell the owner of a failed run in the app (nothing when its schedule is gone)."""
    from data.notifications import notify

    with database().session() as session:
        run = session.get(ScheduleRun, run_id)
        schedule = session.get(Schedule, run.schedule_id) if run is not None else None
        if schedule is not None:
            notify(session, schedule.owner_id, "report", f"Report failed: {schedule.subject}"[:200],
                   message[:1000], "/reports", now())
