"""`flask --app app datasets ...`: import a CSV or Excel file as a dataset, and list datasets.

The same steps as the upload on /data: the file is sniffed and previewed, imported into a table
of the app's database in one transaction, and recorded as a dataset owned by --owner.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from auth.account import Account
from commands import COMMAND_LINE_ADMIN
from context import database
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
