"""Connection URLs encrypted at rest: Fernet with a key derived from the app's SECRET_KEY.

The key is HKDF-SHA256 of the secret key with the fixed salt and info below. They are public
and must never change: changing either (or the secret key) makes every stored token
undecryptable, and the admin has to enter the connection's URL again.
"""

from __future__ import annotations

import base64

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HKDF_SALT = b"pulseboard/sql-connections"
HKDF_INFO = b"pulseboard sql connection url v1"


class CredentialsUnreadable(Exception):
    """A stored connection cannot be decrypted with this secret key; the message is safe to show."""


def _fernet(secret: str) -> Fernet:
    if not secret:
        raise ValueError("A secret key is needed to encrypt or decrypt connection credentials.")
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=HKDF_SALT, info=HKDF_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_url(url: sa.URL | str, secret: str) -> str:
    """Return `url`, password included, as a Fernet token (text) to store."""
    if isinstance(url, sa.URL):
        url = url.render_as_string(hide_password=False)
    return _fernet(secret).encrypt(url.encode()).decode("ascii")


def decrypt_url(token: str, secret: str) -> sa.URL:
    """Return the URL stored in `token`.

    Raises `CredentialsUnreadable` when the token was made with another secret key (or is
    damaged): the credentials must be entered again.
    """
    try:
        text = _fernet(secret).decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeError):
        raise CredentialsUnreadable(
            "The stored credentials of this connection cannot be decrypted: the app's SECRET_KEY "
            "has changed since they were saved (or they are damaged). An admin must enter the "
            "connection URL again.") from None
    return sa.make_url(text)
