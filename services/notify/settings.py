"""The notify service's own settings, read from the variables listed in services.common.config.ENVIRONMENT."""
from __future__ import annotations

import ssl
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, urlencode

from services.common.config import Settings, env


@dataclass(frozen=True)
class NotifySettings:
    common: Settings
    disable_after: timedelta
    per_endpoint: int
    rotation_overlap: timedelta
    smtp_host: str
    smtp_port: int
    smtp_tls: str
    smtp_ca_file: str
    smtp_username: str
    smtp_password: str
    smtp_from: str
    public_base_url: str
    reminder_hours: float
    attendee_page_url: str = ""

    @classmethod
    def from_env(cls) -> NotifySettings:
        return cls(
            common=Settings.from_env(),
            disable_after=timedelta(days=float(env("WEBHOOK_DISABLE_AFTER_DAYS"))),
            per_endpoint=max(1, int(env("WEBHOOK_CONCURRENCY_PER_ENDPOINT"))),
            rotation_overlap=timedelta(hours=float(env("WEBHOOK_ROTATION_OVERLAP_HOURS"))),
            smtp_host=env("SMTP_HOST"), smtp_port=int(env("SMTP_PORT")), smtp_tls=env("SMTP_TLS"),
            smtp_ca_file=env("SMTP_CA_FILE"),
            smtp_username=env("SMTP_USERNAME"), smtp_password=env("SMTP_PASSWORD"), smtp_from=env("SMTP_FROM"),
            public_base_url=env("PUBLIC_BASE_URL").rstrip("/"),
            reminder_hours=float(env("CHECKIN_REMINDER_HOURS")),
            attendee_page_url=env("ATTENDEE_PAGE_URL").rstrip("/"),
        )

    def tls_context(self) -> ssl.SSLContext:
        """Verifies the server's certificate and name, against SMTP_CA_FILE if given."""
        return ssl.create_default_context(cafile=self.smtp_ca_file or None)

    def attendee_link(self, activity_id: str, registration_id: str, token: str) -> str:
        """Where attendees see and cancel their registration: the campus page (ATTENDEE_PAGE_URL) calls the API
        with ``Authorization: Attendee <token>``. The token rides in the fragment, which browsers never send to a
        server, so no web server logs it."""
        base = self.attendee_page_url or f"{self.public_base_url}/attendee"
        query = urlencode({"activity": activity_id, "registration": registration_id, "token": token})
        return f"{base}#{query}"

    def survey_link(self, survey_id: str, token: str) -> str:
        """Where an attendee answers: the page at /respond, with the token in the fragment (never sent to a
        server, so no access log keeps it); the page sends it as ``Authorization: Survey <token>``."""
        return f"{self.public_base_url}/respond#{quote(token)}"
