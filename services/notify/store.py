"""The notify repository: endpoints, deliveries, emails, inbox items, preferences, and its read models.

Read models (what notify learns from events): ``activities`` (for filters and the weekly digest) and
``registrations`` (registrants to tell of changes, and check-in reminders).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, fields
from datetime import datetime
from functools import partial

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from services.common import documents
from services.common.envelope import Envelope
from services.common.errors import ConcurrentUpdate, NotFound
from services.notify.domain import Delivery, Endpoint, InboxItem, OutgoingEmail
from services.notify.people import FOLLOWS, Preferences, person_inbox, registration_status


def _preferences(doc: dict) -> Preferences:
    known = {f.name for f in fields(Preferences)}
    return Preferences(person_id=doc["_id"], **{k: v for k, v in doc.items() if k in known and k != "person_id"})


def _doc(obj) -> dict:
    doc = asdict(obj)
    doc["_id"] = doc.pop("id")
    return doc


def _load(cls, doc: dict):
    """A dataclass from its document; fields it does not know (bookkeeping, newer fields) are left out."""
    known = {f.name for f in fields(cls)}
    return cls(id=doc["_id"], **{k: v for k, v in doc.items() if k in known and k != "id"})


def _delivery(doc: dict) -> Delivery:
    return _load(Delivery, doc)


class NotifyStore:
    def __init__(self, db: Database):
        self.db = db
        self.endpoints = db["endpoints"]
        self.deliveries = db["deliveries"]
        self.emails = db["emails"]
        self.inbox = db["inbox"]
        self.preferences = db["preferences"]
        self.activities = db["activities"]
        self.registrations = db["registrations"]
        self.held_tokens = db["held_tokens"]

    def ensure_indexes(self) -> None:
        self.endpoints.create_index([("owner_partner_id", ASCENDING)])
        self.endpoints.create_index([("status", ASCENDING)])
        self.endpoints.create_index([("outbox_pending", ASCENDING)])
        for queue in (self.deliveries, self.emails):
            queue.create_index([("state", ASCENDING), ("next_attempt_at", ASCENDING)])
        self.deliveries.create_index([("endpoint_id", ASCENDING), ("created_at", ASCENDING)])
        self.inbox.create_index([("recipient_id", ASCENDING), ("cursor", ASCENDING)])
        self.preferences.create_index([("mode", ASCENDING)])
        # No index on the follow_* arrays: on the embedded Mongo-wire server an index on an array field makes
        # equality (membership) queries on it match nothing. MongoDB deployments may add multikey indexes.
        self.activities.create_index([("status", ASCENDING), ("starts_at", ASCENDING)])
        self.registrations.create_index([("activity_id", ASCENDING)])
        self.emails.create_index([("activity_id", ASCENDING)])
        self.registrations.create_index([("reminder_pending", ASCENDING), ("reminder_due_at", ASCENDING)])
        self.held_tokens.create_index([("expires_at", ASCENDING)], expireAfterSeconds=0)

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # endpoints
    def add_endpoint(self, endpoint: Endpoint) -> None:
        documents.insert(self.endpoints, _doc(endpoint))

    def endpoint(self, endpoint_id: str) -> Endpoint | None:
        doc = self.endpoints.find_one({"_id": endpoint_id})
        return None if doc is None else _load(Endpoint, doc)

    def endpoints_of(self, owner_partner_id: str) -> list[Endpoint]:
        found = self.endpoints.find({"owner_partner_id": owner_partner_id}).sort("created_at", ASCENDING)
        return [_load(Endpoint, doc) for doc in found]

    def enabled_endpoints(self) -> list[Endpoint]:
        return [_load(Endpoint, doc) for doc in self.endpoints.find({"status": "enabled"})]

    def endpoint_at(self, endpoint_id: str) -> tuple[Endpoint, int] | None:
        """An endpoint and its revision, read together."""
        doc = self.endpoints.find_one({"_id": endpoint_id})
        return None if doc is None else (_load(Endpoint, doc), documents.revision_of(doc))

    def change_endpoint(self, endpoint_id: str, change: Callable[[Endpoint], Iterable[Envelope] | None],
                        expected_rev: int | None = None) -> tuple[Endpoint, int]:
        """Load, let the domain change it, save with its events in the same write (retried on races; only on
        ``expected_rev`` when given, else ``PreconditionFailed``). Returns the endpoint and its new revision."""
        saved = documents.change_model(self.endpoints, endpoint_id, change, partial(_load, Endpoint), _doc,
                                       expected_rev=expected_rev)
        return _load(Endpoint, saved), documents.revision_of(saved)

    # deliveries and emails: work queues with leases
    def add_delivery_once(self, delivery: Delivery) -> bool:
        return documents.insert_once(self.deliveries, _doc(delivery))

    def add_email_once(self, email: OutgoingEmail) -> bool:
        return documents.insert_once(self.emails, _doc(email))

    @staticmethod
    def _due(queue: Collection, cls, now: datetime, limit: int, query: dict | None = None) -> list[tuple]:
        found = queue.find({"state": "pending", "next_attempt_at": {"$lte": now}} | (query or {}))
        due = []
        for doc in found.sort("next_attempt_at", ASCENDING).limit(limit):
            if doc["next_attempt_at"] > now:  # the embedded store compares times to the second: never send early
                continue
            if doc.get("lease_until") is None or doc["lease_until"] <= now:
                due.append((_load(cls, doc), doc["_rev"]))
        return due

    @staticmethod
    def _claim(queue: Collection, item, rev: int, lease_until: datetime) -> int | None:
        """Take an item for one attempt; None if another worker got it first.

        A whole-document replace, not ``$set``: the Mongo-wire server stores a ``$set`` datetime as a string.
        """
        item.lease_until = lease_until
        try:
            return documents.replace(queue, _doc(item) | {"_rev": rev})["_rev"]
        except ConcurrentUpdate:
            return None

    def due_deliveries(self, now: datetime, limit: int,
                       skip_endpoints: Iterable[str] = ()) -> list[tuple[Delivery, int]]:
        """Due and not leased, oldest first; endpoints with no free slot are left out, so that a busy endpoint's
        backlog never hides the due deliveries of others."""
        skip = sorted(skip_endpoints)
        return self._due(self.deliveries, Delivery, now, limit, {"endpoint_id": {"$nin": skip}} if skip else None)

    def claim(self, delivery: Delivery, rev: int, lease_until: datetime) -> int | None:
        return self._claim(self.deliveries, delivery, rev, lease_until)

    def save_delivery(self, delivery: Delivery, rev: int) -> None:
        """Write the delivery back if nobody else changed it since it was claimed (``ConcurrentUpdate``)."""
        documents.replace(self.deliveries, _doc(delivery) | {"_rev": rev})

    def due_emails(self, now: datetime, limit: int) -> list[tuple[OutgoingEmail, int]]:
        return self._due(self.emails, OutgoingEmail, now, limit)

    def claim_email(self, email: OutgoingEmail, rev: int, lease_until: datetime) -> int | None:
        return self._claim(self.emails, email, rev, lease_until)

    def save_email(self, email: OutgoingEmail, rev: int) -> None:
        documents.replace(self.emails, _doc(email) | {"_rev": rev})

    def delivery(self, delivery_id: str) -> Delivery | None:
        doc = self.deliveries.find_one({"_id": delivery_id})
        return None if doc is None else _delivery(doc)

    def change_delivery(self, delivery_id: str, change: Callable[[Delivery], None]) -> Delivery:
        return _delivery(documents.change_model(self.deliveries, delivery_id, change, _delivery, _doc))

    def deliveries_of(self, endpoint_id: str, state: str | None = None, limit: int = 100,
                      before: str | None = None) -> list[dict]:
        """Newest event first: a delivery id grows with its event's id (a ULID), so it is also the page cursor."""
        query = {"endpoint_id": endpoint_id} | ({"state": state} if state else {})
        if before:
            query["_id"] = {"$lt": before}
        found = self.deliveries.find(query).sort("_id", DESCENDING).limit(limit)
        return [documents.public(doc) for doc in found]

    def failed_since(self, endpoint_id: str, since: datetime) -> list[str]:
        found = self.deliveries.find({"endpoint_id": endpoint_id, "state": "failed", "created_at": {"$gte": since}},
                                     {"_id": 1})
        return [doc["_id"] for doc in found]

    def emails_in(self, state: str, limit: int) -> list[OutgoingEmail]:
        found = self.emails.find({"state": state}).sort("created_at", DESCENDING).limit(limit)
        return [_load(OutgoingEmail, doc) for doc in found]

    def change_email(self, email_id: str, change: Callable[[OutgoingEmail], None]) -> OutgoingEmail:
        return _load(OutgoingEmail, documents.change_model(self.emails, email_id, change,
                                                           lambda doc: _load(OutgoingEmail, doc), _doc))

    def notice_exists(self, notice_id: str) -> bool:
        return bool(self.inbox.find_one({"_id": notice_id}, {"_id": 1})
                    or self.emails.find_one({"_id": notice_id}, {"_id": 1}))

    # tokens handed over by RPC (attendee tokens by events, survey tokens by evaluation) for the one email that
    # carries each: removed once it is made, or expired
    def hold_tokens(self, tokens: dict[str, str], expires_at: datetime) -> None:
        for ref, token in tokens.items():
            documents.insert_once(self.held_tokens, {"_id": ref, "token": token, "expires_at": expires_at})

    def held_tokens_of(self, refs: Iterable[str]) -> dict[str, str]:
        return {doc["_id"]: doc["token"] for doc in self.held_tokens.find({"_id": {"$in": sorted(set(refs))}})}

    def drop_held_tokens(self, refs: Iterable[str]) -> None:
        self.held_tokens.delete_many({"_id": {"$in": sorted(set(refs))}})

    # inbox
    def add_inbox_item_once(self, item: InboxItem) -> bool:
        return documents.insert_once(self.inbox, _doc(item))

    def inbox_of(self, recipient_id: str, *, unread_only: bool = False, before: str | None = None,
                 limit: int = 50) -> list[dict]:
        """Newest first; ``before`` is the cursor of the last item of the previous page."""
        query: dict = {"recipient_id": recipient_id}
        if unread_only:
            query["read"] = False
        if before:
            query["cursor"] = {"$lt": before}
        found = self.inbox.find(query).sort("cursor", DESCENDING).limit(limit)
        return [documents.public(doc) for doc in found]

    def unread_count(self, recipient_id: str) -> int:
        return self.inbox.count_documents({"recipient_id": recipient_id, "read": False})

    def mark_read(self, recipient_id: str, item_id: str, read: bool, now: datetime) -> dict:
        doc = self.inbox.find_one({"_id": item_id})
        if doc is None or doc["recipient_id"] != recipient_id:
            raise NotFound(f"No inbox item {item_id} for {recipient_id}.", {"item_id": item_id})

        def change(doc: dict) -> None:
            doc["read"], doc["read_at"] = read, now if read else None
        return documents.public(documents.update(self.inbox, item_id, change))

    # preferences
    def preferences_of(self, person_id: str) -> Preferences | None:
        return self.preferences_at(person_id)[0]

    def preferences_at(self, person_id: str) -> tuple[Preferences | None, int]:
        """A person's preferences (None: never set) and their revision (0: never set), read together."""
        doc = self.preferences.find_one({"_id": person_id})
        if doc is None:
            return None, 0
        return _preferences(doc), documents.revision_of(doc)

    def save_preferences(self, prefs: Preferences, expected_rev: int | None = None) -> int:
        """Set them as a whole (only on ``expected_rev`` when given; 0: never set); returns the new revision."""
        doc = asdict(prefs)
        doc["_id"] = doc.pop("person_id")
        return documents.revision_of(documents.put(self.preferences, doc, expected_rev=expected_rev))

    def preferences_for(self, person_ids: Iterable[str]) -> dict[str, Preferences]:
        """The preferences of those of ``person_ids`` who set any, in one query."""
        wanted = sorted(set(person_ids))
        if not wanted:
            return {}
        return {doc["_id"]: _preferences(doc) for doc in self.preferences.find({"_id": {"$in": wanted}})}

    def subscribers(self, facts: dict[str, set[str]]) -> list[Preferences]:
        """People who follow any organizer, theme, path or type of the activity, in one query (equality on
        scalar arrays, one branch per value: on every event notify hears, so one round trip, not one a value)."""
        branches = [{f"follow_{name}": value} for name in FOLLOWS for value in sorted(facts.get(name, set()))]
        if not branches:
            return []
        found = self.preferences.find({"$or": branches})
        return sorted((_preferences(doc) for doc in found), key=lambda p: p.person_id)

    def digest_readers(self) -> list[Preferences]:
        return [_preferences(doc) for doc in self.preferences.find({"mode": "weekly_digest"}).sort("_id", ASCENDING)]

    # read models
    def _upsert(self, collection: Collection, doc_id: str, values: dict, applied_event: str,
                keep: Callable[[dict], bool] = lambda doc: True) -> None:
        """Insert or update a read-model document, once per event; ``keep`` may refuse to change a document."""
        if documents.insert_once(collection, {"_id": doc_id, **values, "_applied": [applied_event]}):
            return

        def change(doc: dict) -> None:
            if keep(doc):
                doc.update(values)
        documents.update(collection, doc_id, change, applied_event=applied_event)

    def remember_activity(self, activity_id: str, values: dict, event_id: str) -> None:
        self._upsert(self.activities, activity_id, values, event_id,
                     keep=lambda doc: doc.get("status") != "cancelled" or values.get("status") == "cancelled")

    def activity(self, activity_id: str) -> dict | None:
        return documents.public(self.activities.find_one({"_id": activity_id}))

    def upcoming_activities(self, start: datetime, end: datetime) -> list[dict]:
        found = self.activities.find({"status": "published", "starts_at": {"$gte": start, "$lt": end}})
        return [documents.public(doc) for doc in found.sort("starts_at", ASCENDING)]

    def remember_registration(self, registration_id: str, values: dict, event_id: str) -> None:
        """A registration as its latest event says, unless the domain keeps its current status."""
        self._upsert(self.registrations, registration_id, values, event_id,
                     keep=lambda doc: registration_status(doc.get("status"), values["status"]) == values["status"])

    def registrants_of(self, activity_id: str) -> list[dict]:
        found = self.registrations.find({"activity_id": activity_id}).sort("_id", ASCENDING)
        return [documents.public(doc) for doc in found if doc.get("status") in ("confirmed", "waitlisted")]

    def change_registration(self, registration_id: str, change: Callable[[dict], None]) -> None:
        documents.update(self.registrations, registration_id, change)

    def anonymise_activity(self, activity_id: str) -> int:
        """Forget who registered for an activity and what they were sent (the emails go: their ids name their
        recipients); people left with no registration kept here lose their personal inbox, preferences and
        emails too. Returns how many documents changed."""
        people: dict[str, str | None] = {}
        changed = 0
        for doc in list(self.registrations.find({"activity_id": activity_id}, {"_id": 1, "person_id": 1, "email": 1})):
            if doc.get("person_id") not in (None, "anonymised"):
                people[doc["person_id"]] = doc.get("email")

            def forget(reg: dict) -> None:
                reg.update(person_id="anonymised", email=None, language=None, code=None, reminder_pending=False,
                           status="anonymised")
            documents.update(self.registrations, doc["_id"], forget)
            changed += 1
        changed += self.emails.delete_many({"activity_id": activity_id}).deleted_count
        changed += self.inbox.delete_many({"activity_id": activity_id,
                                           "recipient_id": {"$in": [person_inbox(p) for p in people]}}).deleted_count
        for person_id, email in people.items():
            if self.registrations.find_one({"person_id": person_id}, {"_id": 1}) is None:
                changed += self.forget_person(person_id, email)
        return changed

    def forget_person(self, person_id: str, email: str | None) -> int:
        """A person's inbox, preferences and emails (to their registered or preferred address) are removed."""
        prefs = self.preferences.find_one({"_id": person_id}, {"email": 1})
        addresses = sorted({a for a in (email, (prefs or {}).get("email")) if a})
        changed = self.inbox.delete_many({"recipient_id": person_inbox(person_id)}).deleted_count
        changed += self.preferences.delete_many({"_id": person_id}).deleted_count
        return changed + (self.emails.delete_many({"to": {"$in": addresses}}).deleted_count if addresses else 0)

    def registration_anonymised(self, registration_id: str) -> bool:
        return self.registrations.find_one({"_id": registration_id, "status": "anonymised"}, {"_id": 1}) is not None

    def due_reminders(self, now: datetime, limit: int = 200) -> list[dict]:
        found = self.registrations.find({"reminder_pending": True, "reminder_due_at": {"$lte": now}}).limit(limit)
        return [documents.public(doc) for doc in found]
