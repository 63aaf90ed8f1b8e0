"""Who a report or an alert goes to: the stored `{"users": [ids], "emails": [addresses]}` of a
schedule or an alert, the one check of an email address, and turning the list into addresses
at send time (users still active; other addresses only while they are allowed)."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import User

# One plain address: no display name, no list, nothing a header could be built from.
ADDRESS = re.compile(r"[^@\s<>,;:\"()\[\]\\]+@[^@\s<>,;:\"()\[\]\\]+")


def checked_address(recipient: str) -> str:
    """`recipient` if it is one plain email address; raises `ValueError` otherwise."""
    address = str(recipient).strip()
    if not ADDRESS.fullmatch(address) or len(address) > 254:
        raise ValueError(f"Not an email address: {address[:80]!r}")
    return address


def is_address(text: str) -> bool:
    """`text` is an address the mailer will send to (`checked_address`), with a dot in the
    domain. Deliberately simple: the mail server has the last word."""
    try:
        checked_address(text)
    except ValueError:
        return False
    domain = text.strip().rpartition("@")[2]
    return "." in domain and not domain.startswith(".") and not domain.endswith(".")


def external_allowed(allow_external: bool | None = None) -> bool:
    """`allow_external`, or by default the app's ALLOW_EXTERNAL_RECIPIENTS."""
    if allow_external is None:
        from context import settings  # the app's settings; data code also runs without a request

        return settings().allow_external_recipients
    return allow_external


def recipient_addresses(session: Session, stored: str | None,
                        allow_external: bool | None = None) -> list[str]:
    """The addresses a stored recipient list goes to now: the emails of its users who are still
    active, then its other addresses while external recipients are allowed. An address of an
    active user always goes, whichever list names it. Each address once, whatever its case."""
    recipients = json.loads(stored or "{}")
    user_ids = [value for value in recipients.get("users", []) if isinstance(value, int)]
    emails = [value.strip() for value in recipients.get("emails", []) if isinstance(value, str)]
    addresses: list[str] = []
    if user_ids:
        by_id = dict(session.execute(select(User.id, User.email)
                                     .where(User.id.in_(user_ids), User.active.is_(True))).all())
        addresses += [by_id[user_id] for user_id in user_ids if user_id in by_id]
    if emails:
        allowed = external_allowed(allow_external)
        known = {email.lower() for email in session.scalars(select(User.email).where(
            func.lower(User.email).in_([email.lower() for email in emails]), User.active.is_(True)))}
        addresses += [email for email in emails if allowed or email.lower() in known]
    return list({address.lower(): address for address in addresses}.values())
