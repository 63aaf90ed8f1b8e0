"""Users' datasets as stored: who may read and change them, and their definitions.

One rule, `access`: admins and the owner may read and manage a dataset; the users it is shared
with may read it (build widgets on it, export them). Anyone else is told the dataset does not
exist or is not theirs, in one message that never says which.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import users
from data.dashboard_access import CREATOR_ROLES, Actor, access_level
from data.dataset_definition import FIELD_NAME, RESERVED, DatasetDefinition, DefinitionError, parse_definition
from data.datasets import BUILT_IN
from data.models import Dashboard, DatasetRecord, DatasetShare, User, utcnow
from data.upload_import import ImportResult, Progress, import_upload
from data.upload_limits import UploadLimits
from data.upload_plan import ImportPlan, sql_names
from data.upload_source import Layout

NAME = re.compile(FIELD_NAME)
SOURCES = ("upload", "table", "sql")
NUMBER_KINDS = ("integer", "decimal")
MAX_FIELD_CHARS = 40
PAGE_NAMES = {"connections", "upload", "new"}  # /data/<these> are pages, not datasets


class DatasetError(ValueError):
    """A dataset operation was refused; the message is safe to show."""


class NoAccess(DatasetError):
    """No such dataset, or one the user may not read (never told apart)."""

    def __init__(self, name: str):
        super().__init__(f"No access to dataset {name!r}: it does not exist, or it is not shared with you.")


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """A dataset as lists and the query builder need it."""

    id: int
    name: str
    label: str
    source: str
    owner_id: int
    owner_name: str
    relation: str | None
    connection_id: int | None
    definition: DatasetDefinition
    row_count: int | None
    revision: int
    refreshed_at: dt.datetime | None
    may_manage: bool


def _shared_with(session: Session, record: DatasetRecord, account: Actor) -> bool:
    return session.scalar(select(DatasetShare.id).where(
        DatasetShare.dataset_id == record.id, DatasetShare.user_id == account.id)) is not None


def _manages(account: Actor, record: DatasetRecord) -> bool:
    return account.is_admin or record.owner_id == account.id


def access(session: Session, account: Actor | None, record: DatasetRecord) -> str | None:
    """"manage", "read" or None."""
    if account is None or not account.active:
        return None
    if _manages(account, record):
        return "manage"
    return "read" if _shared_with(session, record, account) else None


def _info(record: DatasetRecord, owner_name: str | None, level: str) -> DatasetInfo:
    return DatasetInfo(record.id, record.name, record.label, record.source, record.owner_id,
                       owner_name or "(deleted user)", record.relation, record.connection_id,
                       parse_definition(json.loads(record.definition)), record.row_count, record.revision,
                       record.refreshed_at, level == "manage")


def _owner_name(session: Session, record: DatasetRecord) -> str | None:
    return session.scalar(select(User.display_name).where(User.id == record.owner_id))


def get_dataset_info(session: Session, account: Actor | None, name: object,
                     need: str = "read") -> DatasetInfo:
    """The dataset called `name` if `account` may `need` ("read" or "manage") it; else `NoAccess`."""
    record = session.scalar(select(DatasetRecord).where(DatasetRecord.name == str(name)))
    level = access(session, account, record) if record is not None else None
    if level is None or (need == "manage" and level != "manage"):
        raise NoAccess(str(name))
    return _info(record, _owner_name(session, record), level)


def readable_datasets(session: Session, account: Actor | None) -> list[DatasetInfo]:
    """Every dataset `account` may read, by label."""
    if account is None or not account.active:
        return []
    query = (select(DatasetRecord, User.display_name).outerjoin(User, User.id == DatasetRecord.owner_id)
             .order_by(DatasetRecord.label, DatasetRecord.id))
    if not account.is_admin:
        shared = select(DatasetShare.dataset_id).where(DatasetShare.user_id == account.id)
        query = query.where((DatasetRecord.owner_id == account.id) | DatasetRecord.id.in_(shared))
    return [_info(record, owner, "manage" if _manages(account, record) else "read")
            for record, owner in session.execute(query)]


def check_name(session: Session, name: str) -> str:
    if not NAME.match(name or ""):
        raise DatasetError("A dataset's name is lower-case letters, digits and _, starting with a letter "
                           "(at most 40): it is how dashboards refer to it.")
    if name in PAGE_NAMES:
        raise DatasetError(f"{name!r} is the name of a page under /data; choose another name.")
    if name in BUILT_IN or session.scalar(select(DatasetRecord.id).where(DatasetRecord.name == name)):
        raise DatasetError(f"There is already a dataset called {name!r}.")
    return name


def check_creator(account: Actor | None) -> None:
    if account is None or not account.active or account.role not in CREATOR_ROLES:
        raise DatasetError("Only admins and analysts can add datasets.")


def definition_of_columns(columns: list[tuple[str, str, str]], time_column: str | None,
                          what: str = "The imported table") -> DatasetDefinition:
    """A first definition for a table's `columns`, each (column, kind, label): text and true/false
    columns as dimensions, each number column summed, and a count of rows; the owner refines it
    on /data. Raises `DatasetError` when the columns cannot make a dataset."""
    *names, count_name = sql_names([column for column, _, _ in columns] + ["rows"], MAX_FIELD_CHARS, RESERVED)
    fields = dict(zip((column for column, _, _ in columns), names, strict=True))
    dimensions = [{"name": fields[column], "label": label[:120], "column": column}
                  for column, kind, label in columns if kind in ("text", "boolean")]
    measures = [{"name": fields[column], "label": label[:120], "column": column, "aggregation": "sum",
                 "format": "integer" if kind == "integer" else "decimal"}
                for column, kind, label in columns if kind in NUMBER_KINDS]
    measures.append({"name": count_name, "label": "Rows", "aggregation": "count", "format": "integer",
                     "column": time_column or (columns[0][0] if columns else None)})
    try:
        return parse_definition({"columns": [{"name": column, "type": kind} for column, kind, _ in columns],
                                 "time_column": time_column, "dimensions": dimensions, "measures": measures})
    except DefinitionError as error:
        raise DatasetError(f"{what} cannot be described as a dataset: {error}") from None


def definition_of_upload(result: ImportResult) -> DatasetDefinition:
    """A first definition for an imported table (see `definition_of_columns`)."""
    return definition_of_columns([(column.column, column.kind, column.name) for column in result.columns],
                                 result.time_column)


def create_dataset(session: Session, account: Actor, name: str, label: str, source: str,
                   definition: DatasetDefinition, *, relation: str | None = None,
                   connection_id: int | None = None, sql: str | None = None,
                   row_count: int | None = None, now: dt.datetime | None = None) -> DatasetInfo:
    """Record a new dataset owned by `account` (an admin or an analyst)."""
    check_creator(account)
    if source not in SOURCES:
        raise DatasetError(f"A dataset's source is one of: {', '.join(SOURCES)}.")
    label = check_label(label)
    now = now or utcnow()
    record = DatasetRecord(name=check_name(session, name), label=label, owner_id=account.id, source=source,
                           connection_id=connection_id, relation=relation, sql=sql,
                           definition=definition.model_dump_json(), row_count=row_count, revision=1,
                           refreshed_at=now, created_at=now, updated_at=now)
    session.add(record)
    session.flush()
    return _info(record, _owner_name(session, record), "manage")


def update_definition(session: Session, account: Actor, name: str, definition: DatasetDefinition,
                      now: dt.datetime | None = None) -> DatasetInfo:
    """Replace what the dataset declares (its owner or an admin). The columns stay those of the
    source: a definition may not invent a column the table does not have."""
    info = get_dataset_info(session, account, name, "manage")
    if definition.column_types() != info.definition.column_types():
        raise DatasetError("The columns are those of the source; change what the dataset declares "
                           "about them, not the columns themselves.")
    record = session.get(DatasetRecord, info.id)
    record.definition, record.updated_at = definition.model_dump_json(), now or utcnow()
    return _info(record, _owner_name(session, record), "manage")


def record_refresh(session: Session, dataset_id: int, rows: int, now: dt.datetime | None = None) -> None:
    """Rows were imported again: a new revision, so no cached answer of the old rows is served."""
    record = session.get(DatasetRecord, dataset_id)
    record.row_count, record.refreshed_at = rows, now or utcnow()
    record.revision += 1


def share_dataset(session: Session, account: Actor, name: str, email: str,
                  shared: bool = True) -> DatasetInfo:
    """Let the user with `email` read the dataset (or no longer); needs manage. Returns the
    dataset."""
    info = get_dataset_info(session, account, name, "manage")
    user = users.find_by_email(session, email)
    if user is None:
        raise DatasetError(f"There is no user with the email {email!r}.")
    if shared and user.id == info.owner_id:
        raise DatasetError(f"{user.email} owns this dataset already.")
    existing = session.scalar(select(DatasetShare).where(DatasetShare.dataset_id == info.id,
                                                         DatasetShare.user_id == user.id))
    if shared and existing is None:
        session.add(DatasetShare(dataset_id=info.id, user_id=user.id))
    elif not shared and existing is not None:
        session.delete(existing)
    return info


def check_label(label: str | None) -> str:
    """The title, stripped; raises `DatasetError` if it is empty or too long."""
    label = (label or "").strip()
    if not label or len(label) > 120:
        raise DatasetError("Give the dataset a title of at most 120 characters.")
    return label


def import_dataset(database, account: Actor, name: str, label: str, path: Path, file_name: str,
                   plan: ImportPlan, progress: Progress | None = None,
                   layout: Layout | None = None, limits: UploadLimits | None = None
                   ) -> tuple[DatasetInfo, ImportResult]:
    """A file imported into a new table of the app database and recorded as `account`'s dataset
    `name`, or nothing at all: the account, the name and the title are checked before the import,
    and the table is dropped if the dataset cannot be recorded after it."""
    with database.session() as session:
        check_creator(account)
        check_name(session, name)
        check_label(label)
    result = import_upload(database.engine, path, file_name, plan, f"upload_{name}", "create", progress,
                           limits=limits, layout=layout)
    try:
        with database.session() as session:
            info = create_dataset(session, account, name, label, "upload", definition_of_upload(result),
                                  relation=result.table_name, row_count=result.rows)
    except Exception:
        with database.engine.begin() as connection:
            sa.Table(result.table_name, sa.MetaData()).drop(connection, checkfirst=True)
        raise
    return info, result


def check_same_columns(info: DatasetInfo, plan: ImportPlan) -> None:
    """Raise `DatasetError` unless `plan` imports exactly the dataset's columns (by their names
    in the table) with the same types: its definition, and the dashboards on it, rely on them."""
    included = plan.included
    planned = dict(zip(sql_names([column.name for column in included]), included, strict=True))
    existing = info.definition.column_types()
    differences = []
    for column, chosen in planned.items():
        if column not in existing:
            differences.append(f'"{chosen.name}" is not a column of the dataset')
        elif existing[column] != chosen.type.kind:
            differences.append(f'"{chosen.name}" is {existing[column]} in the dataset but {chosen.type.kind} '
                               "in this file")
    differences += [f'the dataset\'s column "{name}" is not in this file'
                    for name in existing if name not in planned]
    if differences:
        raise DatasetError(f"This file's columns do not match those of {info.label}: "
                           + "; ".join(differences) + ". Name and type the columns as the dataset has "
                           "them, or import the file as a new dataset.")


def refreshable_dataset(session: Session, account: Actor | None, name: object,
                        plan: ImportPlan) -> DatasetInfo:
    """The uploaded dataset `name`, which `account` manages, if `plan` imports exactly its columns
    (`check_same_columns`); raises `NoAccess`, or `DatasetError` saying what does not fit."""
    info = get_dataset_info(session, account, name, "manage")
    if info.source != "upload" or not info.relation:
        raise DatasetError(f"{info.label} is not an uploaded file, so a file cannot be appended to it or "
                           "replace it.")
    check_same_columns(info, plan)
    return info


def refresh_dataset(database, account: Actor, name: str, path: Path, file_name: str, plan: ImportPlan,
                    mode: str, progress: Progress | None = None, layout: Layout | None = None,
                    limits: UploadLimits | None = None) -> tuple[DatasetInfo, ImportResult]:
    """Import a file again into the uploaded dataset `name` (which `account` manages): "append"
    adds its rows, "replace" swaps them in for the old ones, within the import's one transaction.
    The file's columns must be the dataset's (`check_same_columns`). Then a new revision is
    recorded, so no cached answer of the old rows is served. Raises `DatasetError` or
    `UploadError`; on any error the dataset keeps its rows."""
    if mode not in ("append", "replace"):
        raise DatasetError("Choose whether to append the file's rows or to replace the dataset's rows.")
    with database.session() as session:
        check_creator(account)
        info = refreshable_dataset(session, account, name, plan)
    result = import_upload(database.engine, path, file_name, plan, info.relation, mode, progress,
                           limits=limits, layout=layout)
    with database.session() as session:
        if session.get(DatasetRecord, info.id) is None:  # deleted while the rows went in
            if mode == "replace":
                sa.Table(info.relation, sa.MetaData()).drop(session.connection(), checkfirst=True)
            raise DatasetError(f"{info.label} was deleted while the file was being imported.")
        rows = session.scalar(select(sa.func.count()).select_from(sa.table(info.relation)))
        record_refresh(session, info.id, rows)
        return get_dataset_info(session, account, name, "manage"), result


@dataclasses.dataclass(frozen=True)
class DashboardUse:
    """A dashboard with widgets on a dataset; `visible` says whether the asker may open it."""

    id: int
    title: str
    owner_name: str
    visible: bool


def dashboards_using(session: Session, account: Actor | None, name: str) -> list[DashboardUse]:
    """Every dashboard whose current document has a widget on the dataset `name`."""
    found = session.execute(select(Dashboard, User.display_name)
                            .outerjoin(User, User.id == Dashboard.owner_id)
                            .where(Dashboard.document.contains(json.dumps(name), autoescape=True))
                            .order_by(Dashboard.title, Dashboard.id))
    uses = []
    for dashboard, owner in found:
        widgets = json.loads(dashboard.document).get("widgets", [])
        if any(isinstance(widget, dict) and widget.get("dataset") == name for widget in widgets):
            uses.append(DashboardUse(dashboard.id, dashboard.title, owner or "(deleted user)",
                                     access_level(session, dashboard, account) is not None))
    return uses


def describe_uses(uses: list[DashboardUse]) -> str:
    """'"Sales pulse" and 2 dashboards by Vera Viewer that you cannot open'."""
    parts = [f"“{use.title}”" for use in uses if use.visible]
    hidden: dict[str, int] = {}
    for use in uses:
        if not use.visible:
            hidden[use.owner_name] = hidden.get(use.owner_name, 0) + 1
    parts += [f"{count} dashboard{'s' if count != 1 else ''} by {owner} that you cannot open"
              for owner, count in hidden.items()]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def delete_dataset(session: Session, account: Actor, name: str) -> DatasetInfo:
    """Delete the dataset `name` (its owner or an admin): its record, its shares and, for an
    upload, its table, all in the session's one transaction. Refused while a dashboard has a
    widget on it, naming them: those widgets would break, and would read another dataset given
    the same name later."""
    info = get_dataset_info(session, account, name, "manage")
    uses = dashboards_using(session, account, info.name)
    if uses:
        which = "that dashboard" if len(uses) == 1 else "those dashboards"
        raise DatasetError(f"{info.label} is used by {describe_uses(uses)}. Remove its widgets from "
                           f"{which} first, then delete it.")
    session.execute(sa.delete(DatasetShare).where(DatasetShare.dataset_id == info.id))
    session.execute(sa.delete(DatasetRecord).where(DatasetRecord.id == info.id))
    if info.source == "upload" and info.relation:
        # After the deletes, so that SQLite has begun the transaction the DROP then joins.
        sa.Table(info.relation, sa.MetaData()).drop(session.connection(), checkfirst=True)
    return info


def dataset_shares(session: Session, info: DatasetInfo) -> list[tuple[str, str]]:
    """The (email, display name) of everyone the dataset `info` is shared with; `info` must be
    one the asker manages (as `get_dataset_info(..., "manage")` returns it), else `NoAccess`."""
    if not info.may_manage:
        raise NoAccess(info.name)
    query = (select(User.email, User.display_name).join(DatasetShare, DatasetShare.user_id == User.id)
             .where(DatasetShare.dataset_id == info.id).order_by(User.email))
    return [(email, display_name) for email, display_name in session.execute(query)]
