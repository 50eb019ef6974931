"""The notify repository: endpoints, deliveries and inbox items."""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database

from services.common import documents
from services.common.errors import ConcurrentUpdate
from services.notify.domain import Delivery, Endpoint, InboxItem


def _doc(obj) -> dict:
    doc = asdict(obj)
    doc["_id"] = doc.pop("id")
    return doc


def _delivery(doc: dict) -> Delivery:
    fields_ = {k: v for k, v in doc.items() if k not in documents.BOOKKEEPING}
    return Delivery(id=doc["_id"], **fields_)


class NotifyStore:
    def __init__(self, db: Database):
        self.db = db
        self.endpoints = db["endpoints"]
        self.deliveries = db["deliveries"]
        self.inbox = db["inbox"]

    def ensure_indexes(self) -> None:
        self.endpoints.create_index([("owner_partner_id", ASCENDING)])
        self.deliveries.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.deliveries.create_index([("endpoint_id", ASCENDING), ("created_at", ASCENDING)])
        self.inbox.create_index([("recipient_id", ASCENDING), ("created_at", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # endpoints
    def add_endpoint(self, endpoint: Endpoint) -> None:
        documents.insert(self.endpoints, _doc(endpoint))

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        doc = self.endpoints.find_one({"_id": endpoint_id})
        if doc is None:
            return None
        return Endpoint(id=doc["_id"], **{k: v for k, v in doc.items() if k not in documents.BOOKKEEPING})

    def enabled_endpoints(self) -> list[Endpoint]:
        return [self.endpoint(doc["_id"]) for doc in self.endpoints.find({"status": "enabled"}, {"_id": 1})]

    def set_endpoint_status(self, endpoint_id: str, status: str) -> None:
        def change(doc):
            doc["status"] = status
        documents.update(self.endpoints, endpoint_id, change)

    # deliveries
    def add_delivery_once(self, delivery: Delivery) -> bool:
        return documents.insert_once(self.deliveries, _doc(delivery))

    def due_deliveries(self, now: datetime, limit: int) -> list[tuple[Delivery, int]]:
        found = self.deliveries.find({"state": "pending", "next_attempt_at": {"$lte": now}})
        due = []
        for doc in found.sort("next_attempt_at", ASCENDING).limit(limit):
            if doc.get("lease_until") is None or doc["lease_until"] <= now:
                due.append((_delivery(doc), doc["_rev"]))
        return due

    def claim(self, delivery: Delivery, rev: int, lease_until: datetime) -> int | None:
        """Take a delivery for one attempt; None if another worker got it first.

        A whole-document replace, not ``$set``: the Mongo-wire server stores a ``$set`` datetime as a string.
        """
        delivery.lease_until = lease_until
        try:
            return documents.replace(self.deliveries, _doc(delivery) | {"_rev": rev})["_rev"]
        except ConcurrentUpdate:
            return None

    def save_delivery(self, delivery: Delivery, rev: int) -> None:
        """Write the delivery back if nobody else changed it since it was claimed (``ConcurrentUpdate``)."""
        documents.replace(self.deliveries, _doc(delivery) | {"_rev": rev})

    def deliveries_of(self, endpoint_id: str, limit: int = 100) -> list[dict]:
        found = self.deliveries.find({"endpoint_id": endpoint_id}).sort("created_at", DESCENDING).limit(limit)
        return [documents.public(doc) for doc in found]

    # inbox
    def add_inbox_item_once(self, item: InboxItem) -> bool:
        return documents.insert_once(self.inbox, _doc(item))

    def inbox_of(self, recipient_id: str, limit: int = 50) -> list[dict]:
        found = self.inbox.find({"recipient_id": recipient_id}).sort("created_at", DESCENDING).limit(limit)
        return [documents.public(doc) for doc in found]
