"""`flask --app app schedules list | run ID` and `flask --app app scheduler tick`: scheduled
reports from the command line.

`schedules run ID` sends a schedule's report now, in the foreground (claimed as a "manual" run,
recorded in the history like any other), and prints the outcome; it exits non-zero if the run
failed. `scheduler tick` does one pass of the scheduler (due reports, retries, alerts) in the
foreground, for set-ups that drive it from cron instead of the in-process thread or Celery beat.
"""

from __future__ import annotations

import json

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from commands import COMMAND_LINE_ADMIN
from context import database, now
from data.delivery_models import Schedule, ScheduleRun
from data.models import Dashboard, User
from delivery.recurrence import Recurrence, RecurrenceError, describe, to_local, zone_of

schedules = AppGroup("schedules", help="Scheduled email reports: list them, or send one now.")
scheduler = AppGroup("scheduler", help="The scheduler of reports and alerts: run one tick.")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _next_run(row: Schedule) -> str:
    if row.paused or row.next_run_at is None:
        return "-"
    try:
        local = to_local(row.next_run_at, zone_of(row.timezone))
    except RecurrenceError:
        return f"{row.next_run_at:%Y-%m-%d %H:%M} UTC"
    return f"{local:%Y-%m-%d %H:%M} {row.timezone}"


def _frequency(row: Schedule) -> str:
    try:
        return describe(Recurrence.of(row))
    except RecurrenceError as error:
        return f"invalid: {error}"


@schedules.command("list")
def list_schedules() -> None:
    """Every schedule: id, dashboard, owner, frequency, next run (in the schedule's timezone),
    paused, and the status of its last run."""
    with database().session() as session:
        latest = (select(ScheduleRun.schedule_id, func.max(ScheduleRun.id).label("run_id"))
                  .group_by(ScheduleRun.schedule_id).subquery())
        rows = session.execute(
            select(Schedule, Dashboard.title, User.display_name, ScheduleRun.status)
            .join(Dashboard, Dashboard.id == Schedule.dashboard_id)
            .join(User, User.id == Schedule.owner_id)
            .outerjoin(latest, latest.c.schedule_id == Schedule.id)
            .outerjoin(ScheduleRun, ScheduleRun.id == latest.c.run_id)
            .order_by(Schedule.id)
        ).all()
    if not rows:
        click.echo("No schedules yet. Make one from a dashboard's menu: Schedule report.")
        return
    click.echo(f"{'id':>4}  {'dashboard':<28} {'owner':<18} {'frequency':<44} {'next run':<34} "
               f"{'paused':<6}  last run")
    for row, title, owner, status in rows:
        click.echo(f"{row.id:>4}  {_cut(title, 28):<28} {_cut(owner, 18):<18} "
                   f"{_cut(_frequency(row), 44):<44} "
                   f"{_next_run(row):<34} {'yes' if row.paused else 'no':<6}  {status or 'never'}")


@schedules.command("run")
@click.argument("schedule_id", type=int)
def run_schedule(schedule_id: int) -> None:
    """Send a schedule's report now, in the foreground, and print the outcome."""
    from data.schedule_runs import get_run
    from data.schedules import ScheduleNotFound
    from delivery.runs import execute_run
    from delivery.send_now import claim_manual

    try:
        run_id = claim_manual(COMMAND_LINE_ADMIN, schedule_id)
    except ScheduleNotFound:
        raise click.ClickException(f"There is no schedule {schedule_id}.") from None
    click.echo(f"Run {run_id} of schedule {schedule_id} started.")
    status = execute_run(run_id)
    with database().session() as session:
        record = get_run(session, run_id)
    sent = [address for address, state in record.recipients.items() if state == "sent"]
    files = ", ".join(f"{file['name']} ({file['size']:,} bytes)" for file in record.files) or "none"
    click.echo(f"Files: {files}")
    click.echo(f"Sent to: {', '.join(sent) or 'nobody'}")
    if status != "sent":
        raise click.ClickException(f"Run {run_id} {status}: {record.error or 'see the history'}")
    click.echo(f"Run {run_id} sent.")


@scheduler.command("tick")
def tick_once() -> None:
    """One pass of the scheduler, in the foreground: due reports, retries, then due alerts."""
    from delivery.scheduler import tick

    report = tick(now())
    click.echo(json.dumps(report))
