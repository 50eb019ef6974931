"""The event envelope: CloudEvents 1.0 attributes plus a correlation id, and its mapping onto AMQP 0-9-1.

Mapping (structured content mode; see docs/envelope.md):
- body: the whole envelope as JSON, ``content_type`` ``application/cloudevents+json``;
- ``message_id`` = ``id``, ``type`` = ``type``, ``app_id`` = ``source``, ``timestamp`` = ``time`` (seconds),
  ``correlation_id`` = ``correlationid``, ``delivery_mode`` = 2 (persistent);
- routing key = ``type`` on the topic exchange ``synergy.events``.
The body alone is authoritative; the properties let brokers, tools and operators see what a message is
without parsing it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.common import ids
from services.common.clock import isoformat, parse_iso, utcnow

SPECVERSION = "1.0"
CONTENT_TYPE = "application/cloudevents+json"
REQUIRED = ("specversion", "id", "source", "type", "time", "datacontenttype", "data", "correlationid")


class EnvelopeError(ValueError):
    """A message that is not a valid Synergy envelope: it can never be handled and is dead-lettered."""


@dataclass(frozen=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    correlationid: str
    subject: str | None = None
    id: str = field(default_factory=lambda: ids.new_id("evt"))
    time: str = field(default_factory=lambda: isoformat(utcnow()))
    specversion: str = SPECVERSION
    datacontenttype: str = "application/json"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "specversion": self.specversion,
            "id": self.id,
            "source": self.source,
            "type": self.type,
            "time": self.time,
            "datacontenttype": self.datacontenttype,
            "correlationid": self.correlationid,
            "data": self.data,
        }
        if self.subject is not None:
            out["subject"] = self.subject
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)

    @property
    def moment(self) -> datetime:
        return parse_iso(self.time)

    @classmethod
    def from_dict(cls, raw: Any) -> Envelope:
        if not isinstance(raw, dict):
            raise EnvelopeError("envelope is not a JSON object")
        missing = [name for name in REQUIRED if name not in raw]
        if missing:
            raise EnvelopeError(f"envelope misses {', '.join(missing)}")
        if raw["specversion"] != SPECVERSION:
            raise EnvelopeError(f"unsupported specversion {raw['specversion']!r}")
        if not isinstance(raw["data"], dict):
            raise EnvelopeError("data is not an object")
        for name in ("id", "source", "type", "time", "correlationid"):
            if not isinstance(raw[name], str) or not raw[name]:
                raise EnvelopeError(f"{name} must be a non-empty string")
        try:
            parse_iso(raw["time"])
        except ValueError as exc:
            raise EnvelopeError(f"time: {exc}") from None
        return cls(
            type=raw["type"], source=raw["source"], data=raw["data"], correlationid=raw["correlationid"],
            subject=raw.get("subject"), id=raw["id"], time=raw["time"], specversion=raw["specversion"],
            datacontenttype=raw["datacontenttype"],
        )

    @classmethod
    def from_body(cls, body: bytes | str) -> Envelope:
        try:
            raw = json.loads(body)
        except (TypeError, ValueError) as exc:
            raise EnvelopeError(f"body is not JSON: {exc}") from None
        return cls.from_dict(raw)

    def amqp_properties(self) -> dict[str, Any]:
        """Keyword arguments for a kombu/pika publish of this envelope."""
        return {
            "message_id": self.id,
            "type": self.type,
            "app_id": self.source,
            "timestamp": int(self.moment.timestamp()),
            "correlation_id": self.correlationid,
            "content_type": CONTENT_TYPE,
            "content_encoding": "utf-8",
            "delivery_mode": 2,
        }
