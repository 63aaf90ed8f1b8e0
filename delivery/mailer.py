"""Sending one email through the configured SMTP server, with errors a run can act on.

`send` connects as SMTP_SECURITY says (plain, STARTTLS or implicit TLS), logs in when
SMTP_USERNAME is set, hands over one message and disconnects. Every failure becomes a
`MailError` that says whether trying again later may help (`transient`: the server is down or
slow, or answered 4xx) or not (5xx: a refused recipient, a failed login, a TLS misconfiguration).
Its message is safe to show and to store in a run's history: it never holds the password.
"""

from __future__ import annotations

import base64
import smtplib
import socket
import ssl
from collections.abc import Callable
from email.message import EmailMessage

from settings import Settings

# The TLS context for STARTTLS and SSL: the system's trusted CAs, certificates and host names checked.
ContextFactory = Callable[[], ssl.SSLContext]


class MailError(RuntimeError):
    """An email could not be sent. `transient`: the same message may go through later."""

    def __init__(self, message: str, transient: bool):
        super().__init__(message)
        self.transient = transient


def mail_configured(settings: Settings) -> bool:
    """Whether email can go out at all (SMTP_HOST is set)."""
    return bool(settings.smtp_host)


def _reply(code: int | None, text: bytes | str | None) -> str:
    """A server's answer as a person reads it: "550 5.1.1 No such user"."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join(str(text or "").split())[:300]
    return f"{code} {text}".strip() if code else text


def _is_transient(code: int | None) -> bool:
    """4xx replies are temporary by definition (RFC 5321 4.2.1); anything else is final."""
    return code is not None and 400 <= code < 500


def _classify(error: Exception, where: str) -> MailError:
    """The `MailError` for what smtplib or the network raised."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = error.recipients.values()
        transient = bool(replies) and all(_is_transient(code) for code, _ in replies)
        said = "; ".join(f"{address}: {_reply(code, text)}"
                         for address, (code, text) in error.recipients.items())
        return MailError(f"The mail server refused the recipient ({said}).", transient)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return MailError(
            f"The mail server refused the login ({_reply(error.smtp_code, error.smtp_error)}); "
            "check SMTP_USERNAME and SMTP_PASSWORD.",
            _is_transient(error.smtp_code),
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return MailError(
            f"The mail server refused the sender {error.sender} "
            f"({_reply(error.smtp_code, error.smtp_error)}); check MAIL_FROM.",
            _is_transient(error.smtp_code),
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MailError(f"The mail server at {where} does not support this: {error}. "
                         "Check SMTP_SECURITY and SMTP_USERNAME.", False)
    if isinstance(error, smtplib.SMTPServerDisconnected) and isinstance(error.__context__, TimeoutError):
        return MailError(f"The mail server at {where} did not answer in time.", True)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return MailError(f"The mail server at {where} closed the connection: {error}.", True)
    if isinstance(error, smtplib.SMTPResponseException):
        return MailError(f"The mail server at {where} answered {_reply(error.smtp_code, error.smtp_error)}.",
                         _is_transient(error.smtp_code))
    if isinstance(error, ssl.SSLError):  # before OSError, of which it is one
        return MailError(f"The TLS connection to {where} failed: {error.reason or error}. "
                         "Check SMTP_SECURITY and SMTP_PORT, and that the server's certificate is trusted.",
                         False)
    if isinstance(error, TimeoutError | socket.timeout):
        return MailError(f"The mail server at {where} did not answer in time.", True)
    if isinstance(error, socket.gaierror):
        return MailError(f"The mail server's name could not be resolved ({where}): {error.strerror}.", True)
    if isinstance(error, OSError):
        return MailError(f"Could not reach the mail server at {where}: {error.strerror or error}.", True)
    if isinstance(error, smtplib.SMTPException):
        return MailError(f"Sending through {where} failed: {error}.", True)
    raise error


def _scrubbed(error: MailError, settings: Settings) -> MailError:
    """The error without the password or the login's base64 form in it, whatever a server echoed."""
    text = str(error)
    secret = settings.smtp_password
    if secret:
        login = f"\0{settings.smtp_username}\0{secret}".encode()
        for form in (secret, base64.b64encode(login).decode(), base64.b64encode(secret.encode()).decode()):
            text = text.replace(form, "***")
        if secret in text:
            text = "Sending the email failed (details withheld: they held the SMTP password)."
    return MailError(text, error.transient)


def _connect(settings: Settings, tls_context: ContextFactory) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host, settings.smtp_port_number, settings.smtp_timeout_seconds
    if settings.smtp_security == "ssl":
        return smtplib.SMTP_SSL(host, port, timeout=timeout, context=tls_context())
    connection = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_security == "starttls":
            connection.ehlo()
            connection.starttls(context=tls_context())
            connection.ehlo()
    except BaseException:
        connection.close()
        raise
    return connection


def send(settings: Settings, message: EmailMessage, *,
         tls_context: ContextFactory = ssl.create_default_context) -> None:
    """Send `message` to the recipients in its To, Cc and Bcc headers, all or nothing.

    `tls_context` makes the TLS context for STARTTLS and SSL (the system's trusted certificates;
    tests pass one trusting their own). Raises `MailError` (see `transient`); a message one of
    whose recipients is refused raises too, since Pulseboard sends one message per recipient.
    """
    if not mail_configured(settings):
        raise MailError("Email is not set up: set SMTP_HOST (see docs/deploy.md, Email).", False)
    if "From" not in message:
        message["From"] = settings.sender
    where = f"{settings.smtp_host}:{settings.smtp_port_number}"
    try:
        connection = _connect(settings, tls_context)
        try:
            if settings.smtp_username:
                connection.login(settings.smtp_username, settings.smtp_password)
            refused = connection.send_message(message)
            if refused:
                raise smtplib.SMTPRecipientsRefused(refused)
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()  # the message is handed over; a rude goodbye changes nothing
    except MailError:
        raise
    except (smtplib.SMTPException, OSError) as error:
        raise _scrubbed(_classify(error, where), settings) from None
