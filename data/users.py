"""User accounts: create, authenticate, limit failed sign-ins, and the admin operations.

Functions take a SQLAlchemy session and raise `UserError` subclasses with messages fit to show.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from data.models import ROLES, LoginFailure, User, utcnow

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10
# Compared against when the account does not exist, so timing does not reveal which emails exist.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class UserError(ValueError):
    """A user operation was refused; the message is safe to show."""


class TooManyAttempts(UserError):
    """Sign-in is temporarily locked for this account or address."""


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def validate_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise UserError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")


def generate_password() -> str:
    """Return a random temporary password that is easy to read out (no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def create_user(session: Session, email: str, password: str, role: str = "viewer",
                display_name: str | None = None) -> User:
    """Create an active user; raises `UserError` for a bad email, role, password or a duplicate."""
    email = normalise_email(email)
    if not EMAIL_PATTERN.match(email) or len(email) > 254:
        raise UserError("Enter a valid email address.")
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}.")
    validate_password(password)
    name = (display_name or "").strip() or email.split("@")[0].replace(".", " ").title()
    user = User(email=email, display_name=name[:120], role=role, active=True,
                password_hash=generate_password_hash(password))
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise UserError(f"A user with the email {email} already exists.") from None
    return user


def get_user(session: Session, user_id: int | str | None) -> User | None:
    try:
        return session.get(User, int(user_id)) if user_id is not None else None
    except (TypeError, ValueError):
        return None


def find_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.email)))


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0


def _failure_keys(email: str, address: str) -> list[str]:
    return [f"account:{normalise_email(email)}", f"address:{address or 'unknown'}"]


def check_not_locked(session: Session, email: str, address: str, limit: int, window_seconds: int,
                     now: dt.datetime | None = None) -> None:
    """Raise `TooManyAttempts` if the account or the address has `limit` recent failures."""
    since = (now or utcnow()) - dt.timedelta(seconds=window_seconds)
    for key in _failure_keys(email, address):
        failures = session.scalar(
            select(func.count()).select_from(LoginFailure)
            .where(LoginFailure.key == key, LoginFailure.at >= since)
        )
        if failures >= limit:
            raise TooManyAttempts(
                f"Too many failed sign-in attempts. Wait {window_seconds} seconds and try again."
            )


def record_failure(session: Session, email: str, address: str, now: dt.datetime | None = None) -> None:
    now = now or utcnow()
    for key in _failure_keys(email, address):
        session.add(LoginFailure(key=key[:300], at=now))
    # Prune so the table stays small; an hour is far beyond any window we check.
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(hours=1)))


def authenticate(session: Session, email: str, password: str, address: str, limit: int = 5,
                 window_seconds: int = 60, now: dt.datetime | None = None) -> User:
    """Return the active user with these credentials and stamp the sign-in time.

    Raises `TooManyAttempts` when locked out, `UserError` for wrong credentials.
    """
    check_not_locked(session, email, address, limit, window_seconds, now)
    user = find_by_email(session, email)
    valid = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not user or not valid or not user.active:
        record_failure(session, email, address, now)
        # Commit the failure now: the caller's transaction is rolled back by the error below.
        session.commit()
        raise UserError("Wrong email or password, or the account is deactivated.")
    user.last_login_at = now or utcnow()
    return user


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True))
    ) or 0


def _guard_last_admin(session: Session, user: User) -> None:
    if user.role == "admin" and user.active and _active_admins(session) <= 1:
        raise UserError("This is the last active admin; make someone else admin first.")


def set_role(session: Session, user_id: int, role: str) -> User:
    user = _require(session, user_id)
    if role not in ROLES:
        raise UserError(f"Role must be one of: {', '.join(ROLES)}.")
    if role != "admin":
        _guard_last_admin(session, user)
    user.role = role
    return user


def set_active(session: Session, user_id: int, active: bool) -> User:
    user = _require(session, user_id)
    if not active:
        _guard_last_admin(session, user)
    user.active = active
    return user


def set_password(session: Session, user_id: int, password: str) -> User:
    validate_password(password)
    user = _require(session, user_id)
    user.password_hash = generate_password_hash(password)
    return user


def change_own_password(session: Session, user_id: int, current: str, new: str) -> User:
    user = _require(session, user_id)
    if not check_password_hash(user.password_hash, current or ""):
        raise UserError("The current password is not right.")
    if check_password_hash(user.password_hash, new or ""):
        raise UserError("The new password must differ from the current one.")
    return set_password(session, user_id, new)


def _require(session: Session, user_id: int) -> User:
    user = get_user(session, user_id)
    if user is None:
        raise UserError("No such user.")
    return user
