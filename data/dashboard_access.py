"""Who may do what with a dashboard: one rule, `access_level`, that every dashboard function uses.

Levels, each including the ones before it: "view" (see it, export it), "edit" (open the builder,
save, restore) and "manage" (delete, share, publish and revoke its public link).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Dashboard, DashboardShare

LEVELS = ("view", "edit", "manage")
CREATOR_ROLES = ("admin", "analyst")  # may create, import and duplicate dashboards
NOT_FOUND = "This dashboard does not exist, or you do not have access to it."


class Actor(Protocol):
    """Who is asking: `auth.account.Account`, or anything with the same fields."""

    @property
    def id(self) -> int: ...
    @property
    def role(self) -> str: ...
    @property
    def active(self) -> bool: ...
    @property
    def is_admin(self) -> bool: ...


class DashboardError(ValueError):
    """A dashboard operation was refused; the message is safe to show."""


class NotFound(DashboardError):
    """No such dashboard, or one the user may not see (the two are never told apart)."""

    def __init__(self, message: str = NOT_FOUND):
        super().__init__(message)


class Forbidden(DashboardError):
    """The user can see the dashboard (or is signed in) but may not do this."""


class StaleVersion(DashboardError):
    """A save started from an older version than the current one; nothing was written."""

    def __init__(self, author: str, saved_at: dt.datetime, version: int):
        self.author = author
        self.saved_at = saved_at
        self.version = version
        super().__init__(f"This dashboard was changed by {author} at {saved_at:%Y-%m-%d %H:%M} UTC "
                         f"(now version {version}). Reload it, or save yours as a copy.")


def level_for(account: Actor | None, owner_id: int, is_public: bool, share: str | None) -> str | None:
    """The access level from the facts alone: the owner, the public flag and the account's share."""
    if account is None or not account.active:
        return None
    if account.is_admin:
        return "manage"
    if owner_id == account.id:
        # Viewers never edit, not even what they owned before they became viewers.
        return "manage" if account.role in CREATOR_ROLES else "view"
    if share == "edit" and account.role in CREATOR_ROLES:
        return "edit"
    if share in ("view", "edit") or is_public:
        return "view"
    return None


def access_level(session: Session, dashboard: Dashboard, account: Actor | None) -> str | None:
    """None, "view", "edit" or "manage": what `account` may do with `dashboard`."""
    if account is None or not account.active:
        return None
    share = session.scalar(select(DashboardShare.permission).where(
        DashboardShare.dashboard_id == dashboard.id, DashboardShare.user_id == account.id))
    return level_for(account, dashboard.owner_id, dashboard.public_token is not None, share)


def allows(level: str | None, need: str) -> bool:
    """Whether `level` includes `need`."""
    return level is not None and LEVELS.index(level) >= LEVELS.index(need)


def require(session: Session, account: Actor | None, dashboard_id: object, need: str,
            action: str = "change") -> tuple[Dashboard, str]:
    """The dashboard row (fresh from the database) and the account's level on it.

    Raises `NotFound` if the account may not even see it, `Forbidden` if it may see it but its
    level does not include `need` (then the message names `action`).
    """
    if need not in LEVELS:
        raise ValueError(f"unknown access level {need!r}")
    row = None
    identifier = as_id(dashboard_id)
    if identifier is not None:
        row = session.get(Dashboard, identifier, populate_existing=True)
    level = access_level(session, row, account) if row is not None else None
    if level is None:
        raise NotFound()
    if not allows(level, need):
        raise Forbidden(f"You do not have permission to {action} this dashboard.")
    return row, level


def require_creator(account: Actor | None, action: str = "create dashboards") -> None:
    """Raise `Forbidden` unless the account is an active analyst or admin."""
    if account is None or not account.active:
        raise Forbidden(f"Sign in to {action}.")
    if account.role not in CREATOR_ROLES:
        raise Forbidden(f"Only analysts and admins can {action}.")


def as_id(value: object) -> int | None:
    """A row id (of a dashboard, an export) from whatever arrived; ids from the browser or a
    URL are never trusted."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 < value < 2**63 else None
