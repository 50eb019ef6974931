"""The gateway's own database: API keys (hashes only) and the answers kept for Idempotency-Key replays.

An answer may hold personal data (a registration's email address): it is kept IDEMPOTENCY_KEEP_SECONDS (24 h),
then the store's TTL index removes it (a record past its time is never replayed, even before it is removed).

The gateway owns authentication, so it owns the keys: no other service needs them, and keeping them out of the
domain services keeps a leaked service database from granting API access (it would hold only hashes anyway).
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta

from pymongo import ASCENDING
from pymongo.database import Database

from services.common import documents
from services.common.config import env
from services.gateway.apikeys import ApiKey

PENDING_STALE = timedelta(seconds=60)   # a claim older than this belonged to a request that died


def kept_for() -> timedelta:
    """How long an Idempotency-Key and its answer are remembered."""
    return timedelta(seconds=float(env("IDEMPOTENCY_KEEP_SECONDS")))


def _key_from(doc: dict) -> ApiKey:
    fields_ = {k: v for k, v in doc.items() if k not in documents.BOOKKEEPING}
    return ApiKey(id=doc["_id"], **fields_)


class GatewayStore:
    def __init__(self, db: Database):
        self.db = db
        self.keys = db["api_keys"]
        self.idempotency = db["idempotency"]

    def ensure_indexes(self) -> None:
        self.keys.create_index([("hash", ASCENDING)], unique=True)
        self.idempotency.create_index([("created_at", ASCENDING)])
        self.idempotency.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # API keys
    def add_key(self, key: ApiKey) -> None:
        doc = asdict(key)
        doc["_id"] = doc.pop("id")
        documents.insert(self.keys, doc)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        doc = self.keys.find_one({"hash": key_hash})
        return _key_from(doc) if doc else None

    def key(self, key_id: str) -> tuple[ApiKey, int] | None:
        """A key and its revision (``If-Match``; a key document carries no events, so its revision is the
        ``_rev`` that ``save_key`` compares and sets)."""
        doc = self.keys.find_one({"_id": key_id})
        return (_key_from(doc), documents.revision_of(doc)) if doc else None

    def save_key(self, key: ApiKey, rev: int) -> int:
        """Compare-and-set: raises ``ConcurrentUpdate`` if the key changed since ``rev``. Returns the new rev."""
        doc = asdict(key)
        doc["_id"] = doc.pop("id")
        doc["_rev"] = rev
        return documents.replace(self.keys, doc)["_rev"]

    def list_keys(self, *, after: str | None, limit: int) -> list[ApiKey]:
        query = {"_id": {"$gt": after}} if after else {}
        return [_key_from(doc) for doc in self.keys.find(query).sort("_id", ASCENDING).limit(limit)]

    # Idempotency-Key answers
    def claim(self, record_id: str, request_hash: str, now: datetime) -> dict | None:
        """Claim a key for one request. None if claimed now; else the record someone made before."""
        record = {"_id": record_id, "request_hash": request_hash, "state": "pending", "created_at": now,
                  "expires_at": now + kept_for()}
        if documents.insert_once(self.idempotency, record):
            return None
        found = self.idempotency.find_one({"_id": record_id})
        if found is None:
            return self.claim(record_id, request_hash, now)
        stale = found["state"] == "pending" and now - found["created_at"] > PENDING_STALE
        if stale or now - found["created_at"] > kept_for():
            self.idempotency.delete_one({"_id": record_id, "_rev": found["_rev"]})
            return self.claim(record_id, request_hash, now)
        return found

    def complete(self, record_id: str, status: int, headers: dict[str, str], body: str) -> None:
        found = self.idempotency.find_one({"_id": record_id})
        if found is not None:
            found.update(state="done", status=status, headers=headers, body=body)
            documents.replace(self.idempotency, found)

    def release(self, record_id: str) -> None:
        """Forget a claim whose request failed, so that the same key may be tried again."""
        self.idempotency.delete_one({"_id": record_id, "state": "pending"})
