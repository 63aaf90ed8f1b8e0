"""A per-session token for the two plain HTML forms (sign in, sign out).

Dash's own callback requests are JSON POSTs that browsers will not send cross-site with our
SameSite=Lax cookies, so they need no token.
"""

from __future__ import annotations

import hmac
import secrets

from flask import session

SESSION_KEY = "csrf_token"


def csrf_token() -> str:
    token = session.get(SESSION_KEY)
    if not token:
        token = session[SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def valid_csrf(submitted: str | None) -> bool:
    expected = session.get(SESSION_KEY)
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))
