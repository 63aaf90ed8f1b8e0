"""`flask --app app datasets ...`: import a CSV or Excel file as a dataset, connect a database's
table or SELECT as one, and list datasets and connections.

`import-csv` takes the same steps as the upload on /data: the file is sniffed and previewed,
imported into a table of the app's database in one transaction, and recorded as a dataset owned
by --owner. `connect` takes those of /data/connections: the URL is checked and tried, stored
encrypted (or the connection already holding it reused), and the table or SELECT recorded as a
dataset owned by --owner, an admin. No message ever shows the URL's password.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from auth.account import Account
from commands import COMMAND_LINE_ADMIN
from context import database, settings
from data import connection_store
from data import users as user_commands
from data.dataset_store import DatasetError, check_creator, check_name, import_dataset, readable_datasets
from data.upload_plan import default_plan, parse_plan
from data.upload_preview import inspect_upload
from data.upload_source import open_source

datasets = AppGroup("datasets", help="Your own data: import files as datasets, and list them.")


def _owner(session, email: str) -> Account:
    user = user_commands.find_by_email(session, email)
    if user is None:
        raise DatasetError(f"There is no user with the email {email}.")
    owner = Account.from_user(user)
    check_creator(owner)
    return owner


def _progress(done: int, expected: int | None) -> None:
    click.echo(f"  {done:,} rows" + (f" of {expected:,}" if expected else ""), err=True)


@datasets.command("import-csv")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", required=True, help="The dataset's name: lower-case letters, digits and _.")
@click.option("--owner", "owner_email", required=True, help="Email of the user who will own it.")
@click.option("--time-column", default=None, help="The date or datetime column (default: the first one).")
@click.option("--sheet", default=None, help="For an .xlsx file, the sheet to read (default: the first).")
@click.option("--title", default=None, help="The title shown in lists (default: the file's name).")
def import_csv(file: Path, name: str, owner_email: str, time_column: str | None, sheet: str | None,
               title: str | None) -> None:
    """Import FILE (CSV or .xlsx) as a new dataset; prints its name and the rows imported."""
    try:  # DatasetError and UploadError are ValueErrors, with messages meant for people
        with database().session() as session:
            owner = _owner(session, owner_email)
            check_name(session, name)
        layout = open_source(file, file.name, sheet)  # checks the whole file, once
        plan = default_plan(inspect_upload(file, file.name, sheet, layout=layout))
        if time_column is not None:
            chosen = next((c.name for c in plan.columns if time_column in (c.name, c.source)), None)
            if chosen is None:
                raise DatasetError(f"There is no column {time_column!r} in {file.name}.")
            plan = parse_plan({**plan.model_dump(), "time_column": chosen})
        _info, result = import_dataset(database(), owner, name, title or file.stem, file, file.name, plan,
                                       _progress, layout)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{name}: {result.rows:,} rows imported in {result.seconds:.1f} s")


def _connection_for(session, owner: Account, url: str, name: str | None, app_settings):
    """(the connection holding `url`, whether it was created now): an existing one, or a new one."""
    checked = connection_store.checked_url(url, app_settings)
    existing = connection_store.find_connection(session, checked, app_settings.secret_key)
    if existing is not None:
        return existing, False
    name = name or connection_store.free_connection_name(session, checked)
    return connection_store.create_connection(session, owner, name, checked, app_settings), True


@datasets.command("connect")
@click.argument("url")
@click.option("--table", default=None, help="A table or view: NAME, or SCHEMA.NAME.")
@click.option("--sql", default=None, help="A read-only SELECT, instead of a table.")
@click.option("--name", required=True, help="The dataset's name: lower-case letters, digits and _.")
@click.option("--owner", "owner_email", required=True, help="Email of the admin who will own it.")
@click.option("--time-column", default=None, help="The date or datetime column (default: the first one).")
@click.option("--title", default=None, help="The title shown in lists (default: the table's name or --name).")
@click.option("--connection-name", default=None,
              help="The name of a new connection (default: host/database, or the file's name).")
def connect(url: str, table: str | None, sql: str | None, name: str, owner_email: str,
            time_column: str | None, title: str | None, connection_name: str | None) -> None:
    """Add a table, view or SELECT of the database at URL (a SQLAlchemy URL) as a dataset, reusing
    the connection to URL if there is one; prints the dataset's name and rows."""
    if (table is None) == (sql is None):
        raise click.UsageError("Give either --table or --sql.")
    app_settings, relation = settings(), None
    try:
        with database().session() as session:
            owner = _owner(session, owner_email)
            if not owner.is_admin:
                raise DatasetError(f"{owner_email} is not an admin: only admins connect databases.")
            check_name(session, name)
            connection, created = _connection_for(session, owner, url, connection_name, app_settings)
        try:
            if table is not None:
                relation = connection_store.find_relation(
                    connection_store.relations(database(), owner, app_settings, connection.id), table)
            label = title or (relation.name if relation else name)
            info = connection_store.connect_dataset(
                database(), owner, app_settings, connection.id, name, label,
                table=(relation.schema, relation.name) if relation else None, sql=sql,
                time_column=time_column)
        except BaseException:
            if created:  # a connection made for this dataset alone goes with it
                with database().session() as session:
                    connection_store.delete_connection(session, owner, connection.id)
            raise
    except connection_store.SHOWN_ERRORS as error:
        raise click.ClickException(connection_store.safe_message(error, url)) from None
    rows = f"{info.row_count:,} rows" if info.row_count is not None else "rows not counted"
    source = f"table {relation.schema}.{relation.name}" if relation else "SELECT"
    click.echo(f"{info.name}: {rows} ({source} on connection {connection.name!r}, {connection.display_url})")


@datasets.command("connections")
def list_connections() -> None:
    """Every database connection: id, name, backend, URL (password hidden), datasets using it."""
    with database().session() as session:
        found = connection_store.list_connections(session, COMMAND_LINE_ADMIN)
    if not found:
        click.echo("No database connections yet. Add one with: flask --app app datasets connect URL "
                   "--table TABLE --name NAME --owner EMAIL")
        return
    for connection in found:
        using = ", ".join(connection.datasets) or "-"
        click.echo(f"{connection.id:>4}  {connection.name:<24} {connection.backend:<10} "
                   f"{connection.display_url}  datasets: {using}")


@datasets.command("list")
def list_datasets() -> None:
    """Every user dataset: name, source, rows, last refreshed, owner."""
    with database().session() as session:
        found = readable_datasets(session, COMMAND_LINE_ADMIN)
    if not found:
        click.echo("No datasets of your own yet. Import one with: flask --app app datasets import-csv FILE "
                   "--name NAME --owner EMAIL")
        return
    for info in found:
        refreshed = f"{info.refreshed_at:%Y-%m-%d %H:%M}" if info.refreshed_at else "-"
        rows = f"{info.row_count:,}" if info.row_count is not None else "-"
        click.echo(f"{info.name:<24} {info.source:<7} {rows:>12}  {refreshed}  {info.owner_name}")
