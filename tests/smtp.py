"""A real SMTP server for the tests: aiosmtpd on a free local port, keeping every message it
accepts, parsed, so a test can read recipients, subject, bodies and attachments."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from tests.conftest import free_port, wait_until


class _Keep:
    def __init__(self, server: SmtpServer):
        self._server = server

    async def handle_DATA(self, _server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._server.lock:
            self._server.messages.append(Received(list(envelope.rcpt_tos), message))
        if self._server.on_message is not None:
            self._server.on_message(message)
        return "250 Message accepted for delivery"


class Received:
    """One message as the server got it: the envelope's recipients and the parsed message."""

    def __init__(self, recipients: list[str], message: EmailMessage):
        self.recipients = recipients
        self.message = message

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def body(self, subtype: str = "plain") -> str:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else ""

    def attachments(self) -> dict[str, bytes]:
        return {part.get_filename(): part.get_payload(decode=True)
                for part in self.message.iter_attachments()}


class SmtpServer:
    """Start with `start()`; `messages` holds what arrived; `wait_for(n)` waits for n of them."""

    def __init__(self):
        self.port = free_port()
        self.messages: list[Received] = []
        self.lock = threading.Lock()
        self.on_message = None  # called with each message after it is kept (a test's hook)
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def settings(self) -> dict:
        """The app settings that send mail here."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_security": "none",
                "mail_from": "reports@pulseboard.test"}

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        wait_until(lambda: len(self.messages) >= count, timeout, f"{count} email(s) to arrive")
        with self.lock:
            return list(self.messages)

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [received for received in self.messages if address in received.recipients]
