"""Event contracts: the data schema of every event type, one module per producing service.

A contract is shared knowledge between services, not a business rule: each module here only says what a
type's data looks like. ``services.common.catalogue`` gathers them into the one catalogue.
"""
from __future__ import annotations

from dataclasses import dataclass

from marshmallow import Schema, fields, validate


@dataclass(frozen=True)
class EventType:
    name: str
    producer: str
    summary: str
    schema: type[Schema]
    consumers: tuple[str, ...] = ()
    public: bool = True  # False: internal to the cluster, never forwarded to webhook subscribers


class LocalizedText(Schema):
    zh = fields.String(required=True, validate=validate.Length(min=1, max=300))
    en = fields.String(validate=validate.Length(max=300))
