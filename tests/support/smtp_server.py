"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""
from __future__ import annotations

import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from deploy.launcher import free_port


class SmtpServer:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses answered "550 no such mailbox"
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refused:
            return "550 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted"

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if address in m["To"]]

    @property
    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_TLS": "none"}
