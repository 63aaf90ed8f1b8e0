"""The signed-in user as the web layer sees it: a small immutable copy, never an ORM object."""

from __future__ import annotations

import dataclasses
import hashlib

from flask_login import current_user

from data.models import User


class PermissionDenied(Exception):
    """The current user may not do this; the message is safe to show."""


@dataclasses.dataclass(frozen=True)
class Account:
    id: int
    email: str
    display_name: str
    role: str
    active: bool
    password_fingerprint: str

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def get_id(self) -> str:
        # The fingerprint makes a password change or reset sign out every other session.
        return f"{self.id}.{self.password_fingerprint}"

    @classmethod
    def from_user(cls, user: User) -> Account:
        return cls(user.id, user.email, user.display_name, user.role, user.active,
                   fingerprint(user.password_hash))


def fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def current_account() -> Account | None:
    """Return the signed-in account, or None for an anonymous request."""
    user = current_user
    return user if getattr(user, "is_authenticated", False) and isinstance(user, Account) else None


def require_role(*roles: str) -> Account:
    """Return the signed-in account; raises `PermissionDenied` unless its role is in `roles`."""
    account = current_account()
    if account is None:
        raise PermissionDenied("Sign in first.")
    if roles and account.role not in roles:
        raise PermissionDenied("You do not have permission to do that.")
    return account
