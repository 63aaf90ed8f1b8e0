"""Signed tickets that carry who asked into work that runs without a request (background jobs,
Celery tasks). The job reads the user id from the ticket, loads that account and checks its
permissions again; a ticket the browser altered, or an old one, is refused."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

from auth.account import Account
from data.users import get_user

MAX_AGE_SECONDS = 15 * 60


class BadTicket(ValueError):
    """The ticket was altered, is too old, or names an account that can no longer act."""


def _serializer(secret_key: str, purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=f"pulseboard-ticket:{purpose}")


def issue(secret_key: str, purpose: str, account: Account, **fields) -> str:
    return _serializer(secret_key, purpose).dumps({"user": account.id, **fields})


def redeem(
    secret_key: str, purpose: str, ticket, session, max_age: int = MAX_AGE_SECONDS
) -> tuple[Account, dict]:
    """The account a ticket was issued to (re-read from the database) and its fields."""
    try:
        fields = (
            _serializer(secret_key, purpose).loads(ticket, max_age=max_age)
            if isinstance(ticket, str)
            else None
        )
    except BadSignature:
        fields = None
    user = get_user(session, fields.get("user")) if isinstance(fields, dict) else None
    if user is None or not user.active:
        raise BadTicket("This request could not be verified; reload the page and try again.")
    return Account.from_user(user), fields
