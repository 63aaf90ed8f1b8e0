"""The datasets a user sees on /data: the built-in demo ones, then their own and those shared
with them, each with where its rows come from, how many there are and who owns it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cache import ResultCache
from data.dashboard_access import Actor
from data.dataset_store import MAX_FIELD_CHARS, DatasetInfo, readable_datasets
from data.datasets import BUILT_IN, Dataset
from data.live import data_version
from data.models import DatasetRecord, SourceConnection
from data.upload_plan import sql_names

BUILT_IN_SOURCE = "Built-in demo"
BUILT_IN_OWNER = "Pulseboard"


@dataclasses.dataclass(frozen=True)
class ListedDataset:
    """One row of the /data list. `built_in` rows have no page of their own and no actions."""

    name: str
    label: str
    source: str
    rows: int | None
    refreshed_at: dt.datetime | None
    owner_name: str
    built_in: bool
    may_manage: bool


def source_text(source: str, connection_name: str | None) -> str:
    """Where a user dataset's rows come from, as the list says it."""
    if source == "upload":
        return "Upload"
    connection = f"connection {connection_name}" if connection_name else "a removed connection"
    return f"SQL on {connection}" if source == "sql" else f"Table of {connection}"


def _built_in_rows(session: Session, cache: ResultCache, dataset: Dataset) -> int:
    """A built-in table's row count, counted again only when new rows have arrived (the live
    demo's version is an index lookup; counting a million order lines is a full scan)."""
    version = data_version(session.get_bind(), dataset) if dataset.id_column else 0
    return cache.get_or_compute(f"rows:{dataset.name}:{version}",
                                lambda: session.scalar(select(sa.func.count()).select_from(dataset.table)))


def listed_datasets(session: Session, cache: ResultCache, account: Actor | None) -> list[ListedDataset]:
    """The built-in datasets (for any active account), then every dataset `account` may read."""
    if account is None or not account.active:
        return []
    built_in = [ListedDataset(dataset.name, dataset.label, BUILT_IN_SOURCE,
                              _built_in_rows(session, cache, dataset), None, BUILT_IN_OWNER, True, False)
                for dataset in BUILT_IN.values()]
    readable = readable_datasets(session, account)
    connection_ids = {info.connection_id for info in readable if info.connection_id is not None}
    names = {}
    if connection_ids:
        names = dict(session.execute(select(SourceConnection.id, SourceConnection.name)
                                     .where(SourceConnection.id.in_(connection_ids))).all())
    return built_in + [
        ListedDataset(info.name, info.label, source_text(info.source, names.get(info.connection_id)),
                      info.row_count, info.refreshed_at, info.owner_name, False, info.may_manage)
        for info in readable]


def managed_uploads(session: Session, account: Actor | None) -> list[DatasetInfo]:
    """The uploaded datasets `account` may append a file to or replace with one."""
    return [info for info in readable_datasets(session, account)
            if info.may_manage and info.source == "upload"]


def suggested_name(session: Session, file_name: str) -> str:
    """A free dataset name made from a file's name: `Orders 2026.csv` gives `orders_2026`, or
    `orders_2026_2` if that is taken."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    base = sql_names([stem], MAX_FIELD_CHARS)[0]
    taken = set(BUILT_IN) | set(session.scalars(select(DatasetRecord.name)
                                                .where(DatasetRecord.name.startswith(base, autoescape=True))))
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}_{suffix}", suffix + 1
    return candidate
