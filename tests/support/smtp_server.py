"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps every message it accepts."""
from __future__ import annotations

import email
import email.policy
import ssl
import subprocess
import threading
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from deploy.launcher import free_port


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made by openssl for one test."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return cert, key


class SmtpServer:
    """Plain by default; with ``tls_folder`` it requires STARTTLS and a login (``user`` / ``password``)."""

    def __init__(self, tls_folder: Path | None = None, user: str = "synergy", password: str = "s3cret"):
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()  # addresses answered "550 no such mailbox"
        self.logins: list[str] = []
        self._lock = threading.Lock()
        self.port = free_port()
        self.user, self.password, self.cert = user, password, None
        options = {}
        if tls_folder is not None:
            self.cert, key = self_signed_certificate(tls_folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, key)
            options = {"tls_context": context, "require_starttls": True, "auth_required": True,
                       "auth_require_tls": True, "authenticator": self._authenticate}
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        if ok:
            self.logins.append(self.user)
        return AuthResult(success=ok, handled=False)

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
        if self.cert is None:
            return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_TLS": "none"}
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port), "SMTP_TLS": "starttls",
                "SMTP_CA_FILE": str(self.cert), "SMTP_USERNAME": self.user, "SMTP_PASSWORD": self.password}
