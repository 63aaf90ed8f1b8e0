"""What the dashboard repository returns: frozen records, never ORM objects."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.dashboard_access import allows
from data.dashboard_spec import DashboardSpec, parse_document
from data.models import Dashboard, User


@dataclasses.dataclass(frozen=True)
class DashboardRecord:
    id: int
    title: str
    owner_id: int
    owner_name: str
    version: int
    spec: DashboardSpec
    created_at: dt.datetime
    updated_at: dt.datetime
    updated_by_name: str
    public_token: str | None  # only shown to those who manage the dashboard
    access: str  # "view", "edit" or "manage"
    widget_count: int
    is_public: bool

    def allows(self, need: str) -> bool:
        return allows(self.access, need)


@dataclasses.dataclass(frozen=True)
class DashboardSummary:
    id: int
    title: str
    owner_name: str
    updated_at: dt.datetime
    widget_count: int
    access: str
    is_public: bool
    shared_with_me: bool
    version: int


@dataclasses.dataclass(frozen=True)
class VersionSummary:
    version: int
    author_name: str
    created_at: dt.datetime
    message: str | None
    restored_from: int | None


@dataclasses.dataclass(frozen=True)
class ShareEntry:
    user_id: int
    email: str
    display_name: str
    permission: str


def build_record(session: Session, row: Dashboard, level: str) -> DashboardRecord:
    """The record of `row` as seen with `level` (the token only for those who manage it)."""
    names = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_({row.owner_id, row.updated_by_id}))).all())
    spec = parse_document(row.document, check_fields=False)
    return DashboardRecord(
        row.id, row.title, row.owner_id, names.get(row.owner_id, "?"), row.version, spec,
        row.created_at, row.updated_at, names.get(row.updated_by_id, "?"),
        row.public_token if level == "manage" else None, level, len(spec.widgets),
        row.public_token is not None)


def widget_count(document: str) -> int:
    """How many widgets a stored document has, without validating it all again."""
    widgets = json.loads(document).get("widgets")
    return len(widgets) if isinstance(widgets, list) else 0
