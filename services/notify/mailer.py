"""Email over SMTP: the message (plain text and HTML alternatives) and the worker that sends queued emails.

Host, port, TLS (none, starttls, ssl) and credentials come from the environment. An email waits in the store
until the server accepts it; transient failures are retried on a schedule, a permanent refusal (5xx) fails at
once. A crash between the server's acceptance and the record sends it again with the same ``Message-ID``.
"""
from __future__ import annotations

import hashlib
import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from services.common.clock import utcnow
from services.common.errors import ConcurrentUpdate
from services.notify.background import BackgroundLoop
from services.notify.domain import OutgoingEmail
from services.notify.settings import NotifySettings

log = logging.getLogger(__name__)

BATCH = 50
TIMEOUT = 30
LEASE = timedelta(seconds=TIMEOUT + 30)


class SendFailed(Exception):
    def __init__(self, message: str, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


def message_of(email: OutgoingEmail, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = email.to
    msg["Subject"] = email.subject
    msg["Date"] = format_datetime(email.created_at)
    msg["Message-ID"] = f"<{hashlib.sha256(email.id.encode()).hexdigest()[:32]}@synergy.notify>"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(email.text)
    msg.add_alternative(email.html, subtype="html")
    msg["Content-Language"] = email.language  # after the parts: making them moves Content-* headers down
    return msg


def send(settings: NotifySettings, email: OutgoingEmail) -> None:
    """Hand the email to the SMTP server; ``SendFailed`` says whether trying again could help."""
    try:
        if settings.smtp_tls == "ssl":
            smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT,
                                    context=settings.tls_context())
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT)
        with smtp:
            if settings.smtp_tls == "starttls":
                smtp.starttls(context=settings.tls_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
            smtp.send_message(message_of(email, settings.smtp_from))
    except smtplib.SMTPAuthenticationError as exc:
        raise SendFailed(f"SMTP login refused ({exc.smtp_code}): check SMTP_USERNAME/SMTP_PASSWORD",
                         permanent=False) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SendFailed(f"recipient refused: {exc.recipients}", permanent=True) from None
    except smtplib.SMTPResponseException as exc:
        raise SendFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600) from None
    except (smtplib.SMTPException, OSError) as exc:  # ssl.SSLError is an OSError
        raise SendFailed(f"{type(exc).__name__}: {exc}", permanent=False) from None


class EmailWorker(BackgroundLoop):
    identifier = "email-delivery"

    def tick(self) -> int:
        now = utcnow()
        started = 0
        for email, rev in self.store.due_emails(now, BATCH):
            claimed = self.store.claim_email(email, rev, now + LEASE)
            if claimed is not None:
                self.pool.spawn_n(self._send, email, claimed)
                started += 1
        return started

    def _send(self, email: OutgoingEmail, rev: int) -> None:
        error, permanent = None, False
        try:
            send(self.settings, email)
        except SendFailed as exc:
            error, permanent = str(exc), exc.permanent
        outcome = email.record(utcnow(), error, permanent=permanent)
        try:
            self.store.save_email(email, rev)
        except ConcurrentUpdate:
            log.warning("email %s changed while being sent", email.id)
        log.info("email %s (%s): %s%s", email.id, email.template, outcome, f" ({error})" if error else "")
