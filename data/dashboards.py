"""Dashboards: create, load, save (compare-and-set on `version`), history, sharing, public links,
import and export.

Every function takes a SQLAlchemy session and the asking account (`auth.account.Account`, or None
for anonymous), checks access through `data.dashboard_access`, and returns frozen records, never
ORM objects. Refusals raise `DashboardError` subclasses whose messages are safe to show; invalid
documents raise `SpecError` with its `problems`.
"""

from __future__ import annotations

import json
import secrets

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from data.dashboard_access import (
    Actor,
    DashboardError,
    Forbidden,
    NotFound,
    StaleVersion,
    access_level,
    level_for,
    require,
    require_creator,
)
from data.dashboard_records import (
    DashboardRecord,
    DashboardSummary,
    ShareEntry,
    VersionSummary,
    build_record,
    widget_count,
)
from data.dashboard_spec import MAX_DOCUMENT_BYTES, DashboardSpec, SpecError, dump_document, parse_document
from data.models import Dashboard, DashboardShare, DashboardVersion, User, utcnow
from data.users import find_by_email

TABS = ("mine", "shared", "public", "all")
LIST_LIMIT = 500
# Keys a file may carry from another install; they are dropped, never trusted.
UNTRUSTED_KEYS = frozenset({"id", "owner", "owner_id", "shares", "public_token", "version", "pulseboard"})


# -- creating and reading ---------------------------------------------------------------------

def create_dashboard(session: Session, account: Actor | None, spec: DashboardSpec,
                     message: str | None = None) -> DashboardRecord:
    """Create a dashboard owned by `account` at version 1; raises `Forbidden` unless analyst/admin."""
    require_creator(account)
    return _insert(session, account, spec, message)


def load_dashboard(session: Session, account: Actor | None, dashboard_id: object,
                   need: str = "view") -> DashboardRecord:
    """The dashboard, if `account` has `need` on it; raises `NotFound` or `Forbidden`."""
    row, level = require(session, account, dashboard_id, need, need)
    return build_record(session, row, level)


def load_public(session: Session, token: str) -> DashboardRecord:
    """The dashboard behind a public link, read-only; raises `NotFound` for unknown or revoked tokens."""
    if not isinstance(token, str) or not 0 < len(token) <= 64:
        raise NotFound()
    row = session.scalar(select(Dashboard).where(Dashboard.public_token == token))
    if row is None:
        raise NotFound()
    return build_record(session, row, "view")


def list_dashboards(session: Session, account: Actor | None, tab: str, search: str = "",
                    limit: int | None = LIST_LIMIT) -> list[DashboardSummary]:
    """The gallery tab, newest edit first (at most `limit`; None for all): "mine" (owned),
    "shared" (shared with me, not mine), "public" (any owner) or "all" (admins only); `search`
    matches titles, any case."""
    if tab not in TABS:
        raise DashboardError(f"There is no tab called {tab!r}.")
    if account is None or not account.active:
        return []
    query = (
        select(Dashboard.id, Dashboard.title, Dashboard.owner_id, Dashboard.updated_at,
               Dashboard.version, Dashboard.document, Dashboard.public_token.is_not(None),
               User.display_name, DashboardShare.permission)
        .join(User, User.id == Dashboard.owner_id)
        .outerjoin(DashboardShare, and_(DashboardShare.dashboard_id == Dashboard.id,
                                        DashboardShare.user_id == account.id))
    )
    if tab == "mine":
        query = query.where(Dashboard.owner_id == account.id)
    elif tab == "shared":
        query = query.where(DashboardShare.id.is_not(None), Dashboard.owner_id != account.id)
    elif tab == "public":
        query = query.where(Dashboard.public_token.is_not(None))
    elif tab == "all" and not account.is_admin:
        raise Forbidden("Only admins can list every dashboard.")
    if search.strip():
        escaped = search.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Dashboard.title.ilike(f"%{escaped}%", escape="\\"))
    query = query.order_by(Dashboard.updated_at.desc(), Dashboard.id.desc())
    if limit is not None:
        query = query.limit(limit)
    summaries = []
    for (dashboard_id, title, owner_id, updated_at, version, document, is_public, owner_name,
         share) in session.execute(query):
        level = level_for(account, owner_id, is_public, share)
        if level is None:
            continue
        summaries.append(DashboardSummary(
            dashboard_id, title, owner_name, updated_at, widget_count(document), level, is_public,
            share is not None and owner_id != account.id, version))
    return summaries


# -- saving, history and restore --------------------------------------------------------------

def save_dashboard(session: Session, account: Actor | None, dashboard_id: object, spec: DashboardSpec,
                   base_version: int, message: str | None = None,
                   restored_from: int | None = None) -> DashboardRecord:
    """Save `spec` as the next version, only if the dashboard is still at `base_version`.

    A compare-and-set on `version` in one UPDATE, so of two saves from the same version exactly
    one wins, on SQLite and PostgreSQL alike; the loser gets `StaleVersion` (who saved, when) and
    nothing is written. Also raises `NotFound`, `Forbidden` (needs edit) and `SpecError`.
    """
    row, level = require(session, account, dashboard_id, "edit", "edit")
    if not _is_number(base_version) or not (restored_from is None or _is_number(restored_from)):
        raise DashboardError("A save must say which version it started from.")
    document = dump_document(spec)
    now = utcnow()
    saved = session.execute(
        update(Dashboard)
        .where(Dashboard.id == row.id, Dashboard.version == base_version)
        .values(version=Dashboard.version + 1, document=document, title=spec.title,
                updated_at=now, updated_by_id=account.id)
        .execution_options(synchronize_session=False)
    )
    if saved.rowcount != 1:
        raise _stale(session, row.id)
    session.add(DashboardVersion(dashboard_id=row.id, version=base_version + 1, document=document,
                                 author_id=account.id, created_at=now, message=_message(message),
                                 restored_from=restored_from))
    session.flush()
    session.refresh(row)
    return build_record(session, row, level)


def list_versions(session: Session, account: Actor | None, dashboard_id: object) -> list[VersionSummary]:
    """Every saved version, newest first; needs edit (history belongs to the builder)."""
    row, _ = require(session, account, dashboard_id, "edit", "see the history of")
    rows = session.execute(
        select(DashboardVersion.version, User.display_name, DashboardVersion.created_at,
               DashboardVersion.message, DashboardVersion.restored_from)
        .join(User, User.id == DashboardVersion.author_id)
        .where(DashboardVersion.dashboard_id == row.id)
        .order_by(DashboardVersion.version.desc())
    )
    return [VersionSummary(*values) for values in rows]


def load_version(session: Session, account: Actor | None, dashboard_id: object,
                 version: int) -> DashboardSpec:
    """The document as it was at `version`; needs edit. Raises `NotFound` for a version that never was."""
    row, _ = require(session, account, dashboard_id, "edit", "see the history of")
    document = None
    if _is_number(version):
        document = session.scalar(select(DashboardVersion.document).where(
            DashboardVersion.dashboard_id == row.id, DashboardVersion.version == version))
    if document is None:
        raise NotFound(f"This dashboard has no version {version}.")
    return parse_document(document, check_fields=False)


def restore_version(session: Session, account: Actor | None, dashboard_id: object, version: int,
                    base_version: int, message: str | None = None) -> DashboardRecord:
    """Save an old version's document as a new version that records `restored_from`."""
    spec = load_version(session, account, dashboard_id, version)
    return save_dashboard(session, account, dashboard_id, spec, base_version,
                          message or f"Restored version {version}", restored_from=version)


# -- copies, deletion, sharing and public links -----------------------------------------------

def duplicate_dashboard(session: Session, account: Actor | None, dashboard_id: object,
                        title: str | None = None) -> DashboardRecord:
    """A copy owned by `account` (needs view, and the analyst or admin role); history starts anew."""
    row, _ = require(session, account, dashboard_id, "view", "duplicate")
    require_creator(account, "duplicate dashboards")
    document = json.loads(row.document)
    document["title"] = (title or "").strip() or f"Copy of {row.title}"[:200]
    copy = parse_document(document, check_fields=False)
    return _insert(session, account, copy, f"Copied from version {row.version}", check_fields=False)


def delete_dashboard(session: Session, account: Actor | None, dashboard_id: object) -> None:
    """Delete the dashboard with its history and shares (the database cascades); needs manage."""
    row, _ = require(session, account, dashboard_id, "manage", "delete")
    session.delete(row)
    session.flush()


def list_shares(session: Session, account: Actor | None, dashboard_id: object) -> list[ShareEntry]:
    """Who the dashboard is shared with, by name; needs manage."""
    row, _ = require(session, account, dashboard_id, "manage", "see the sharing of")
    rows = session.execute(
        select(User.id, User.email, User.display_name, DashboardShare.permission)
        .join(DashboardShare, DashboardShare.user_id == User.id)
        .where(DashboardShare.dashboard_id == row.id)
        .order_by(User.display_name, User.email)
    )
    return [ShareEntry(*values) for values in rows]


def set_share(session: Session, account: Actor | None, dashboard_id: object, email: str,
              permission: str | None) -> ShareEntry | None:
    """Share with the user who has `email` ("view" or "edit"), or stop sharing (None); needs manage.

    Returns the share as it now is. Raises `DashboardError` for an unknown email, the owner or oneself.
    """
    row, _ = require(session, account, dashboard_id, "manage", "share")
    if permission not in (None, "view", "edit"):
        raise DashboardError("Share a dashboard to view or to edit.")
    user = find_by_email(session, email)
    if user is None:
        raise DashboardError(f"There is no user with the email {(email or '').strip()[:254]}.")
    if user.id == row.owner_id:
        raise DashboardError("The owner already has full access to this dashboard.")
    if user.id == account.id:
        raise DashboardError("You cannot share a dashboard with yourself.")
    share = session.scalar(select(DashboardShare).where(
        DashboardShare.dashboard_id == row.id, DashboardShare.user_id == user.id))
    if permission is None:
        if share is not None:
            session.delete(share)
            session.flush()
        return None
    if share is None:
        session.add(DashboardShare(dashboard_id=row.id, user_id=user.id, permission=permission))
    else:
        share.permission = permission
    session.flush()
    return ShareEntry(user.id, user.email, user.display_name, permission)


def publish(session: Session, account: Actor | None, dashboard_id: object) -> str:
    """The dashboard's public link token, made now (256 random bits) unless it has one; needs manage."""
    row, _ = require(session, account, dashboard_id, "manage", "publish")
    # Only fills an empty token, so two publishes at once agree on one token.
    session.execute(update(Dashboard).where(Dashboard.id == row.id, Dashboard.public_token.is_(None))
                    .values(public_token=secrets.token_urlsafe(32))
                    .execution_options(synchronize_session=False))
    return session.scalar(select(Dashboard.public_token).where(Dashboard.id == row.id))


def revoke_public(session: Session, account: Actor | None, dashboard_id: object) -> None:
    """Remove the public link; the old token then finds nothing. Needs manage."""
    row, _ = require(session, account, dashboard_id, "manage", "unpublish")
    row.public_token = None
    session.flush()


# -- files ------------------------------------------------------------------------------------

def export_document(session: Session, account: Actor | None, dashboard_id: object) -> str:
    """The document as pretty JSON: the spec only, no ids, owner, shares or token. Needs view."""
    row, _ = require(session, account, dashboard_id, "view", "export")
    spec = parse_document(row.document, check_fields=False)
    return json.dumps(spec.to_json(), indent=2, ensure_ascii=False)


def import_document(session: Session, account: Actor | None, text: str | bytes) -> DashboardRecord:
    """Create a dashboard from a file, owned by `account` whatever the file says.

    Ids, owners, shares, tokens and versions in the file are dropped; the rest must be a valid
    document. Raises `Forbidden` unless analyst/admin, `SpecError` for a bad document.
    """
    require_creator(account, "import dashboards")
    if len(text) > MAX_DOCUMENT_BYTES:
        raise SpecError([f"The document is larger than {MAX_DOCUMENT_BYTES // 1_000_000} MB."])
    if isinstance(text, str):
        text = text.removeprefix("\ufeff")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise SpecError([f"This is not valid JSON ({error})."]) from None
    if isinstance(document, dict):
        document = {key: value for key, value in document.items() if key not in UNTRUSTED_KEYS}
    return _insert(session, account, parse_document(document), "Imported from a file")


# -- helpers ----------------------------------------------------------------------------------

def _insert(session: Session, account: Actor, spec: DashboardSpec, message: str | None,
            check_fields: bool = True) -> DashboardRecord:
    """Write a new dashboard at version 1, with its first history row (a duplicate copies its
    original as stored, so `check_fields=False`)."""
    document = dump_document(spec, check_fields=check_fields)
    now = utcnow()
    row = Dashboard(title=spec.title, owner_id=account.id, document=document, version=1,
                    created_at=now, updated_at=now, updated_by_id=account.id)
    session.add(row)
    session.flush()
    session.add(DashboardVersion(dashboard_id=row.id, version=1, document=document, author_id=account.id,
                                 created_at=now, message=_message(message)))
    session.flush()
    return build_record(session, row, access_level(session, row, account))


def _stale(session: Session, dashboard_id: int) -> DashboardError:
    """Why a compare-and-set matched nothing: someone saved since, or the dashboard is gone."""
    row = session.get(Dashboard, dashboard_id, populate_existing=True)
    if row is None:
        return NotFound()
    author = session.scalar(select(User.display_name).where(User.id == row.updated_by_id))
    return StaleVersion(author or "someone", row.updated_at, row.version)


def _is_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def _message(message: str | None) -> str | None:
    return (message or "").strip()[:500] or None
