"""Typed results. Each keeps the fields this client knows and the whole document in ``raw``, so that fields the
API adds later are never lost (within a version the API only adds)."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T", bound="Resource")


@dataclass
class Resource:
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_api(cls: type[T], document: dict[str, Any]) -> T:
        names = {f.name for f in dataclasses.fields(cls)} - {"raw"}
        known = {name: document[name] for name in names if name in document}
        return cls(raw=dict(document), **known)

    def __getitem__(self, name: str) -> Any:
        return self.raw[name]

    def get(self, name: str, default: Any = None) -> Any:
        return self.raw.get(name, default)


@dataclass
class Partner(Resource):
    id: str = ""
    name: dict[str, str] = field(default_factory=dict)
    level: str = ""
    kind: str = ""
    status: str = ""
    themes: list[str] = field(default_factory=list)
    description: str = ""
    contacts: list[dict[str, Any]] = field(default_factory=list)
    resources: list[dict[str, Any]] = field(default_factory=list)
    collaborations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Agreement(Resource):
    id: str = ""
    partner_id: str = ""
    counterpart: str = ""
    scope: str = ""
    starts_on: str = ""
    ends_on: str = ""
    status: str = ""
    commitments: list[dict[str, Any]] = field(default_factory=list)
    activity_ids: list[str] = field(default_factory=list)


@dataclass
class Activity(Resource):
    id: str = ""
    title: dict[str, str] = field(default_factory=dict)
    activity_type: str = ""
    status: str = ""
    paths: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    starts_at: str = ""
    ends_at: str = ""
    venue: str | None = None
    description: str = ""
    organizers: list[dict[str, Any]] = field(default_factory=list)  # {partner_id, role, name, level}

    @property
    def lead_organizer(self) -> str | None:
        return next((o["partner_id"] for o in self.organizers if o.get("role") == "lead"), None)

    @property
    def co_organizers(self) -> list[str]:
        return [o["partner_id"] for o in self.organizers if o.get("role") != "lead"]


@dataclass
class WebhookEndpoint(Resource):
    id: str = ""
    owner_partner_id: str = ""
    url: str = ""
    event_types: list[str] = field(default_factory=list)
    description: str = ""
    status: str = ""
    secret: str | None = field(default=None, repr=False)  # only in the answer to the creation


@dataclass
class Delivery(Resource):
    id: str = ""
    endpoint_id: str = ""
    event_id: str = ""
    event_type: str = ""
    state: str = ""
    attempts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class InboxItem(Resource):
    id: str = ""
    recipient_id: str = ""
    event_id: str = ""
    event_type: str = ""
    activity_id: str | None = None
    subject: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] = field(default_factory=dict)
    created_at: str = ""
    read: bool = False


@dataclass
class Survey(Resource):
    id: str = ""
    activity_id: str = ""
    stage: str = ""
    status: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Venue(Resource):
    id: str = ""
    name: str = ""
    kind: str = ""                    # library_space, partner_space
    partner_id: str | None = None     # the partner offering a partner space
    capacity: int | None = None
    address: str = ""
    bookings: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Readiness(Resource):
    ready: bool = False
    services: dict[str, Any] = field(default_factory=dict)
