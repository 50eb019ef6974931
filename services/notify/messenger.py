"""Turns notices into what people and partners receive: inbox items (both languages) and queued emails."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from services.notify.audience import Notice
from services.notify.domain import InboxItem, OutgoingEmail
from services.notify.rendering import Renderer
from services.notify.store import NotifyStore


class Messenger:
    def __init__(self, store: NotifyStore, renderer: Renderer):
        self.store, self.renderer = store, renderer

    def tell(self, notices: Iterable[Notice], now: datetime) -> int:
        """Each notice once, however often it is told (its id is deterministic). Returns how many were new."""
        new = 0
        for notice in notices:
            if notice.inbox:
                subject, body = self.renderer.both(notice.template, notice.context)
                new += self.store.add_inbox_item_once(InboxItem(
                    id=notice.id, recipient_id=notice.recipient, event_id=notice.event_id,
                    event_type=notice.event_type, subject=subject, body=body, created_at=now,
                    activity_id=notice.activity_id))
            if notice.email:
                rendered = self.renderer.render(notice.template, notice.language,
                                                {**notice.context, **notice.email_context})
                new += self.store.add_email_once(OutgoingEmail(
                    id=notice.id, to=notice.email, language=notice.language, subject=rendered.subject,
                    text=rendered.text, html=rendered.html, template=notice.template, event_id=notice.event_id,
                    state="pending", next_attempt_at=now, created_at=now, activity_id=notice.activity_id,
                    holds_token=bool(notice.email_context)))
        return new
