"""Command-line tools: `flask --app app users ...`, `... demo ...`, `... dashboards ...`,
`... report ...`, `... datasets ...` (dataset_commands.py), and `... schedules ...` and
`... scheduler tick` (delivery_commands.py)."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from auth.account import Account
from context import database, settings
from data import dashboards as dashboard_store
from data import users as user_commands
from data.catalog import reading_as
from data.dashboard_spec import SpecError
from data.feed import DemoFeed
from data.seed import seed_demo
from exports.document import ORIENTATIONS, PAGE_SIZES, TEMPLATES
from exports.options import DASHBOARD_FORMATS

users = AppGroup("users", help="Create and list users.")
demo = AppGroup("demo", help="The demo business: seed it, or run its live feed.")
dashboards = AppGroup("dashboards", help="Dashboards as files: import, export and list them.")
DEMO_ADMIN_EMAIL = "admin@pulseboard.local"


def _read_password(confirm: bool = True) -> str:
    """From standard input when it is not a terminal (scripts), otherwise a hidden prompt."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@users.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(["admin", "analyst", "viewer"]), default="analyst",
              show_default=True)
@click.option("--name", "display_name", default=None, help="Display name (default: from the email).")
def create_user(email: str, role: str, display_name: str | None) -> None:
    """Create a user; the password is read from standard input or prompted."""
    password = _read_password()
    try:
        with database().session() as session:
            user = user_commands.create_user(session, email, password, role, display_name)
            click.echo(f"Created {user.email} ({user.role}), id {user.id}.")
    except user_commands.UserError as error:
        raise click.ClickException(str(error)) from None


@users.command("list")
def list_users() -> None:
    """List users: id, email, role, status and last sign-in."""
    with database().session() as session:
        rows = user_commands.list_users(session)
        if not rows:
            click.echo("No users yet. Create one with: flask --app app users create EMAIL --role admin")
            return
        click.echo(f"{'id':>4}  {'email':<32} {'role':<8} {'status':<11} last sign-in")
        for user in rows:
            last = user.last_login_at.strftime("%Y-%m-%d %H:%M") if user.last_login_at else "never"
            status = "active" if user.active else "deactivated"
            click.echo(f"{user.id:>4}  {user.email:<32} {user.role:<8} {status:<11} {last}")


def _change(email: str, change) -> None:
    """Apply `change(session, user)` to the user with this email, or stop with a message."""
    try:
        with database().session() as session:
            user = user_commands.find_by_email(session, email)
            if user is None:
                raise user_commands.UserError(f"There is no user with the email {email}.")
            click.echo(change(session, user))
    except user_commands.UserError as error:
        raise click.ClickException(str(error)) from None


@users.command("set-password")
@click.argument("email")
def set_password(email: str) -> None:
    """Set a user's password (read like `create`); signs out their sessions. Recovers a lost admin."""
    password = _read_password()
    _change(email, lambda session, user: (
        user_commands.set_password(session, user.id, password) and
        f"Password changed for {user.email}; their other sessions are signed out."))


@users.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "analyst", "viewer"]))
def set_role(email: str, role: str) -> None:
    """Change a user's role."""
    _change(email, lambda session, user: (
        user_commands.set_role(session, user.id, role) and f"{user.email} is now {role}."))


@users.command("deactivate")
@click.argument("email")
def deactivate(email: str) -> None:
    """Stop a user from signing in (their sessions end at once)."""
    _change(email, lambda session, user: (
        user_commands.set_active(session, user.id, False) and f"{user.email} is deactivated."))


@users.command("activate")
@click.argument("email")
def activate(email: str) -> None:
    """Let a deactivated user sign in again."""
    _change(email, lambda session, user: (
        user_commands.set_active(session, user.id, True) and f"{user.email} is active."))


@users.command("ensure-demo-admin")
def ensure_demo_admin() -> None:
    """If there are no users at all, create a demo admin and print how to sign in."""
    credentials = settings().instance_path / "demo-admin.txt"
    with database().session() as session:
        if user_commands.count_users(session) == 0:
            password = user_commands.generate_password()
            user_commands.create_user(session, DEMO_ADMIN_EMAIL, password, "admin", "Demo Admin")
            credentials.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(f"email: {DEMO_ADMIN_EMAIL}\npassword: {password}\n")
        elif not credentials.exists():
            return
    click.echo("")
    click.echo("  Sign in to Pulseboard with the demo admin account")
    for line in credentials.read_text().splitlines():
        click.echo(f"    {line}")
    click.echo(f"  (kept in {credentials}; delete that file once you have your own admin)")
    click.echo("")


@demo.command("seed")
@click.option("--rows", type=int, default=None, help="Order lines to generate (default: DEMO_ROWS).")
@click.option("--seed", "random_seed", type=int, default=42, show_default=True)
def seed(rows: int | None, random_seed: int) -> None:
    """Generate and load the demo business once; does nothing if it is already there."""
    rows = rows or settings().demo_rows
    result = seed_demo(database().engine, rows=rows, seed=random_seed)
    if result.seeded:
        click.echo(f"Seeded the demo business: {result.lines:,} order lines in {result.seconds:.1f}s.")
    else:
        click.echo(f"Demo data already present ({result.lines:,} order lines); nothing to do.")


@demo.command("feed")
def feed() -> None:
    """Run the demo live feed in the foreground until Ctrl+C."""
    live = DemoFeed(database().engine, interval=settings().feed_interval_seconds,
                    speedup=settings().feed_speedup)
    click.echo("Demo feed running; Ctrl+C stops it.")
    try:
        live.run()
    except KeyboardInterrupt:
        click.echo("Demo feed stopped.")


# Whoever can run these commands can read the database directly, so `export` and `list` act with
# an admin's authority, as this account that is no user (id 0). It only ever reads: anything that
# writes (import) acts as a real user named on the command line.
COMMAND_LINE_ADMIN = Account(id=0, email="command-line", display_name="Command line", role="admin",
                             active=True, password_fingerprint="")


@dashboards.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--owner", "owner_email", required=True, help="Email of the user who will own it.")
def import_dashboard(file, owner_email: str) -> None:
    """Create a dashboard from a JSON file ("-" reads standard input); prints only its new id.

    Ids, owners, shares and public tokens in the file are ignored: the owner is --owner.
    """
    try:
        with database().session() as session:
            owner = user_commands.find_by_email(session, owner_email)
            if owner is None:
                raise dashboard_store.DashboardError(f"There is no user with the email {owner_email}.")
            account = Account.from_user(owner)
            # Widgets are checked against the datasets the owner may read, as in the browser.
            with reading_as(database(), account, settings()):
                record = dashboard_store.import_document(session, account, file.read())
    except SpecError as error:
        raise click.ClickException("The file is not a valid dashboard:\n  - "
                                   + "\n  - ".join(error.problems)) from None
    except dashboard_store.DashboardError as error:
        raise click.ClickException(str(error)) from None
    click.echo(record.id)


@dashboards.command("export")
@click.argument("dashboard_id", type=int)
def export_dashboard(dashboard_id: int) -> None:
    """Write a dashboard's JSON document to standard output."""
    try:
        with database().session() as session:
            text = dashboard_store.export_document(session, COMMAND_LINE_ADMIN, dashboard_id)
    except dashboard_store.DashboardError as error:
        raise click.ClickException(str(error)) from None
    click.echo(text)


@dashboards.command("list")
def list_dashboards() -> None:
    """List every dashboard: id, title, owner, version and last update (UTC), newest first."""
    with database().session() as session:
        rows = dashboard_store.list_dashboards(session, COMMAND_LINE_ADMIN, "all", limit=None)
    if not rows:
        click.echo("No dashboards yet. Import one with: flask --app app dashboards import FILE --owner EMAIL")
        return
    click.echo(f"{'id':>5}  {'title':<40} {'owner':<24} {'version':>7}  updated (UTC)")
    for row in rows:
        title = row.title if len(row.title) <= 40 else row.title[:39] + "…"
        click.echo(f"{row.id:>5}  {title:<40} {row.owner_name[:24]:<24} {row.version:>7}  "
                   f"{row.updated_at:%Y-%m-%d %H:%M}")


@click.command("report")
@with_appcontext
@click.argument("dashboard_id", type=int)
@click.option("--format", "fmt", type=click.Choice(list(DASHBOARD_FORMATS)), default="pdf",
              show_default=True)
@click.option("--template", type=click.Choice(list(TEMPLATES)), default="detailed", show_default=True)
@click.option("--page-size", type=click.Choice(PAGE_SIZES), default="A4", show_default=True)
@click.option("--orientation", type=click.Choice(ORIENTATIONS), default="portrait", show_default=True)
@click.option("--widgets", help="Comma-separated widget ids (default: every widget).")
@click.option("--range", "relative",
              help="A relative date range replacing the dashboard's, e.g. last_30_days.")
@click.option("--from", "start", help="First day of a custom date range (YYYY-MM-DD); needs --to.")
@click.option("--to", "end", help="Last day of a custom date range (YYYY-MM-DD).")
@click.option("--as", "as_email",
              help="Email of the user the report is made as (default: the dashboard's owner).")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the file.")
def report(dashboard_id: int, fmt: str, template: str, page_size: str, orientation: str,
           widgets: str | None, relative: str | None, start: str | None, end: str | None,
           as_email: str | None, output: str) -> None:
    """Export a dashboard as the Export dialog does: the same file, and the same history entry."""
    from exports.files import write_to
    from exports.options import ExportOptions
    from exports.run import ExportFailed, export_dashboard

    time_range = None
    if relative:
        time_range = {"relative": relative}
    elif start or end:
        time_range = {"start": start, "end": end}
    try:
        options = ExportOptions.from_browser({
            "format": fmt, "template": template, "page_size": page_size, "orientation": orientation,
            "widgets": [w.strip() for w in widgets.split(",") if w.strip()] if widgets else None,
            "time_range": time_range})
        with database().session() as session:
            if as_email:
                user = user_commands.find_by_email(session, as_email)
            else:
                owner = dashboard_store.load_dashboard(session, COMMAND_LINE_ADMIN, dashboard_id).owner_id
                user = user_commands.get_user(session, owner)
            if user is None:
                raise click.ClickException(f"There is no user with the email {as_email}.")
            account = Account.from_user(user)
        result = export_dashboard(account, dashboard_id, options)
    except (ValueError, ExportFailed, dashboard_store.DashboardError) as error:
        raise click.ClickException(str(error)) from None
    target = os.path.abspath(output)
    write_to(target, lambda handle: handle.write(result.path.read_bytes()))
    click.echo(f"Wrote {target} ({result.size:,} bytes; export #{result.job_id}).")


def register_commands(server: Flask) -> None:
    from dataset_commands import datasets  # it uses COMMAND_LINE_ADMIN from here
    from delivery_commands import scheduler, schedules

    server.cli.add_command(users)
    server.cli.add_command(demo)
    server.cli.add_command(dashboards)
    server.cli.add_command(report)
    server.cli.add_command(datasets)
    server.cli.add_command(schedules)
    server.cli.add_command(scheduler)
