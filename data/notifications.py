"""In-app notifications, the lines under a user's bell: an alert that fired, cleared or broke, a
report that failed.

Every function takes the user's id and touches only that user's rows, so one person can never
count, read or mark another's notifications (the web layer passes the signed-in user's id,
never one from the browser). Returns frozen records, never ORM objects. Times are naive UTC.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.delivery_models import Notification

KINDS = ("fired", "cleared", "error", "report")
MAX_RECENT = 100


@dataclasses.dataclass(frozen=True)
class NotificationRecord:
    id: int
    kind: str
    title: str
    body: str
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _cut(text: str | None, limit: int) -> str:
    """`text` as one stored line of at most `limit` characters (NUL is refused by PostgreSQL)."""
    flat = str(text or "").replace("\x00", "").strip()
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def notify(session: Session, user_id: int, kind: str, title: str, body: str, link: str | None,
           now: dt.datetime) -> int:
    """Add a notification for `user_id` (`kind`: fired, cleared, error or report; `link` a path
    inside the app such as "/dashboards/3"); returns its id. Part of the caller's transaction."""
    if kind not in KINDS:
        raise ValueError(f"A notification is one of {', '.join(KINDS)}, not {kind!r}.")
    if link is not None and not (link.startswith("/") and not link.startswith("//")):
        raise ValueError("A notification links to a path inside the app.")
    row = Notification(user_id=user_id, kind=kind, title=_cut(title, 200) or "Notification",
                       body=_cut(body, 1000), link=_cut(link, 300) if link else None, created_at=now)
    session.add(row)
    session.flush()
    return row.id


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (one indexed COUNT)."""
    return session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def recent(session: Session, user_id: int, limit: int = 20) -> list[NotificationRecord]:
    """The user's latest notifications, newest first, read or not (at most `limit`, ≤ 100)."""
    limit = max(1, min(int(limit), MAX_RECENT))
    rows = session.scalars(select(Notification).where(Notification.user_id == user_id)
                           .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
    return [NotificationRecord(row.id, row.kind, row.title, row.body or "", row.link, row.created_at,
                               row.read_at) for row in rows]


def mark_read(session: Session, user_id: int, ids: list[int] | None, now: dt.datetime) -> int:
    """Mark the user's notifications `ids` read (None: all of them); returns how many changed.
    Ids of other users' notifications are ignored, never marked."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if ids is not None:
        wanted = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
        if not wanted:
            return 0
        query = query.where(Notification.id.in_(wanted[:1000]))
    result = session.execute(query.values(read_at=now).execution_options(synchronize_session=False))
    return result.rowcount or 0
