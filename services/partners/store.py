"""The partners repository: the only module here that speaks pymongo."""
from __future__ import annotations

from dataclasses import asdict

from pymongo import ASCENDING
from pymongo.database import Database

from services.common import documents
from services.common.envelope import Envelope
from services.partners.domain import Collaboration, Partner


class PartnerStore:
    def __init__(self, db: Database):
        self.db = db
        self.partners = db["partners"]
        self.collaborations = db["collaborations"]

    def ensure_indexes(self) -> None:
        self.partners.create_index([("outbox_pending", ASCENDING)])
        self.partners.create_index([("level", ASCENDING), ("kind", ASCENDING)])
        self.partners.create_index([("status", ASCENDING)])
        self.collaborations.create_index([("partner_id", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    def add(self, partner: Partner, events: list[Envelope]) -> None:
        doc = asdict(partner)
        doc["_id"] = doc.pop("id")
        documents.insert(self.partners, doc, events)

    def get(self, partner_id: str) -> dict | None:
        return documents.public(self.partners.find_one({"_id": partner_id}))

    def find(self, *, level: str | None = None, kind: str | None = None, status: str | None = None,
             after: str | None = None, limit: int = 50) -> list[dict]:
        query: dict = {}
        for key, value in (("level", level), ("kind", kind), ("status", status)):
            if value is not None:
                query[key] = value
        if after:
            query["_id"] = {"$gt": after}
        return [documents.public(doc) for doc in self.partners.find(query).sort("_id", ASCENDING).limit(limit)]

    def record_collaboration(self, collaboration: Collaboration) -> bool:
        """Idempotent: one record per partner and activity. True if it was new."""
        doc = asdict(collaboration)
        doc["_id"] = collaboration.key
        return documents.insert_once(self.collaborations, doc)

    def collaborations_of(self, partner_id: str) -> list[dict]:
        found = self.collaborations.find({"partner_id": partner_id}).sort("starts_at", ASCENDING)
        return [{k: v for k, v in documents.public(doc).items() if k != "id"} for doc in found]
