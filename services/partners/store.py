"""The partners repository: the only module here that speaks pymongo.

Partners, their reviews and their pending events live in one document each; so do agreements. A collaboration
record is keyed by partner and activity and remembers which events it has applied.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, fields

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common import documents
from services.common.envelope import Envelope
from services.common.errors import Conflict
from services.partners.agreements import Agreement, bound_partners
from services.partners.domain import MAY_ORGANIZE, Partner, name_key, search_text
from services.partners.history import collaboration_key, merge

DERIVED = ("name_key", "search_text", "resource_kinds")
_PARTNER_FIELDS = {f.name for f in fields(Partner)}
_AGREEMENT_FIELDS = {f.name for f in fields(Agreement)}


def _partner_doc(partner: Partner) -> dict:
    doc = asdict(partner)
    doc["_id"] = doc.pop("id")
    # top-level scalars and scalar arrays: what queries need (see docs/architecture.md, storage rules)
    doc.update(name_key=name_key(partner.name), search_text=search_text(partner.name),
               resource_kinds=partner.resource_kinds)
    return doc


def _partner_of(doc: dict) -> Partner:
    return Partner(id=doc["_id"], **{k: v for k, v in doc.items() if k in _PARTNER_FIELDS and k != "id"})


def _agreement_doc(agreement: Agreement) -> dict:
    doc = asdict(agreement)
    doc["_id"] = doc.pop("id")
    return doc


def _agreement_of(doc: dict) -> Agreement:
    return Agreement(id=doc["_id"], **{k: v for k, v in doc.items() if k in _AGREEMENT_FIELDS and k != "id"})


def _agreement_view(doc: dict | None) -> dict | None:
    """An agreement as callers see it, with the partners it binds (``bound_partner_ids``: who may read it)."""
    shown = documents.public(doc)
    if shown is not None:
        shown["bound_partner_ids"] = bound_partners(shown["partner_id"], shown["counterpart"])
    return shown


def _shown(doc: dict | None) -> dict | None:
    shown = documents.versioned(doc)
    if shown is not None:
        for key in ("name_key", "search_text"):
            shown.pop(key, None)
    return shown


class PartnerStore:
    def __init__(self, db: Database):
        self.db = db
        self.partners = db["partners"]
        self.collaborations = db["collaborations"]
        self.agreements = db["agreements"]
        self.imports = db["imports"]
        self.settings = db["settings"]

    def ensure_indexes(self) -> None:
        self.backfill()
        self.partners.create_index([("outbox_pending", ASCENDING)])
        self.partners.create_index([("level", ASCENDING), ("kind", ASCENDING)])
        self.partners.create_index([("status", ASCENDING)])
        self.partners.create_index([("name_key", ASCENDING)], unique=True)
        # No index on the scalar arrays (themes, resource_kinds): on the embedded nx-27017 an index on an array
        # field makes equality queries on it match nothing (tests/integration/test_partners_store.py).
        self.partners.create_index([("renewal_due_on", ASCENDING)])
        self.collaborations.create_index([("partner_id", ASCENDING)])
        self.collaborations.create_index([("activity_id", ASCENDING)])
        self.agreements.create_index([("outbox_pending", ASCENDING)])
        self.agreements.create_index([("partner_id", ASCENDING)])
        self.agreements.create_index([("next_notice_on", ASCENDING)])
        self.imports.create_index([("status", ASCENDING), ("resume_after", ASCENDING)])

    def backfill(self) -> int:
        """Give partners registered before the query fields existed their ``name_key``, ``search_text`` and
        ``resource_kinds``; a name registered twice back then keeps both, the later one's key marked with its id.
        Runs at every start; a no-op once done. Returns how many partners it completed."""
        done = 0
        for doc in list(self.partners.find({"name_key": None}).sort("_id", ASCENDING)):
            key = name_key(doc["name"])
            if self.name_taken(key):
                key = f"{key}#{doc['_id']}"

            def complete(current: dict, key=key) -> None:
                current.update(_partner_doc(_partner_of(current)), name_key=key)
            documents.update(self.partners, doc["_id"], complete)
            done += 1
        return done

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # partners
    def add(self, partner: Partner, events: list[Envelope]) -> None:
        """Insert a new partner with its events; ``Conflict`` if a partner of the same name exists."""
        if self.name_taken(name_key(partner.name)):
            raise Conflict(f"A partner named {partner.name['zh']} is registered already.", {"field": "name"})
        try:
            documents.insert(self.partners, _partner_doc(partner), events)
        except DuplicateKeyError:
            raise Conflict(f"A partner named {partner.name['zh']} is registered already.",
                           {"field": "name"}) from None

    def name_taken(self, key: str) -> bool:
        return self.partners.count_documents({"name_key": key}, limit=1) > 0

    def names_taken(self, keys: list[str]) -> set[str]:
        return {key for key in set(keys) if self.name_taken(key)}

    def get(self, partner_id: str) -> dict | None:
        return _shown(self.partners.find_one({"_id": partner_id}))

    def load(self, partner_id: str) -> Partner | None:
        doc = self.partners.find_one({"_id": partner_id})
        return None if doc is None else _partner_of(doc)

    def change(self, partner_id: str, change: Callable[[Partner], list[Envelope]],
               expected_rev: int | None = None) -> dict:
        """Apply ``change(partner) -> [Envelope]`` and save it with its events in one write (``PreconditionFailed``
        if ``expected_rev`` is given and the partner is at another revision)."""
        try:
            return _shown(documents.change_model(self.partners, partner_id, change, _partner_of, _partner_doc,
                                                       expected_rev=expected_rev))
        except DuplicateKeyError:
            raise Conflict("Another partner has this name.", {"field": "name"}) from None

    def find(self, *, level: str | None = None, kind: str | None = None, status: str | None = None,
             resource: str | None = None, theme: str | None = None, q: str | None = None,
             after: str | None = None, limit: int = 50) -> list[dict]:
        query: dict = {}
        for key, value in (("level", level), ("kind", kind), ("status", status), ("resource_kinds", resource),
                           ("themes", theme)):
            if value is not None:
                query[key] = value
        if q:
            query["search_text"] = {"$regex": re.escape(q.casefold())}  # user text is never a pattern
        if after:
            query["_id"] = {"$gt": after}
        return [_shown(doc) for doc in self.partners.find(query).sort("_id", ASCENDING).limit(limit)]

    def organizing_partners(self, level: str | None = None) -> list[dict]:
        """Every partner that may organize a published activity (candidates for recommendations)."""
        query: dict = {"status": {"$in": list(MAY_ORGANIZE)}}
        if level:
            query["level"] = level
        return [_shown(doc) for doc in self.partners.find(query).sort("_id", ASCENDING)]

    def renewals_due(self, today: str, limit: int = 200) -> list[str]:
        found = self.partners.find({"renewal_due_on": {"$lte": today}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    # collaboration history
    def merge_collaboration(self, partner_id: str, activity_id: str, fields_: dict, event_id: str) -> bool:
        """Fold one event's facts into the record of a partner in an activity, once per event. True if applied."""
        key = collaboration_key(partner_id, activity_id)
        first = {"_id": key, "partner_id": partner_id, "activity_id": activity_id, "_applied": [event_id]}
        merge(first, fields_)
        if documents.insert_once(self.collaborations, first):  # never visible half-made
            return True

        def apply(doc: dict) -> None:
            merge(doc, fields_)
        return documents.update(self.collaborations, key, apply, applied_event=event_id) is not None

    def collaborations_of(self, partner_id: str) -> list[dict]:
        found = self.collaborations.find({"partner_id": partner_id})
        records = [{k: v for k, v in documents.public(doc).items() if k != "id"} for doc in found]
        return sorted(records, key=lambda record: record.get("starts_at") or "")

    def collaborations_by_partner(self, partner_ids: list[str]) -> dict[str, list[dict]]:
        return {partner_id: self.collaborations_of(partner_id) for partner_id in partner_ids}

    # agreements
    def add_agreement(self, agreement: Agreement, events: list[Envelope]) -> None:
        documents.insert(self.agreements, _agreement_doc(agreement), events)

    def get_agreement(self, agreement_id: str) -> dict | None:
        return _agreement_view(self.agreements.find_one({"_id": agreement_id}))

    def agreements_of(self, partner_id: str) -> list[dict]:
        """The agreements that bind the partner, on either side (``bound_partners``)."""
        found = self.agreements.find({"$or": [{"partner_id": partner_id}, {"counterpart": partner_id}]}).sort(
            "_id", ASCENDING)
        return [_agreement_view(doc) for doc in found]

    def find_agreements(self, *, status: str | None = None, ends_before: str | None = None,
                        after: str | None = None, limit: int = 50) -> list[dict]:
        query: dict = {}
        if status:
            query["status"] = status
        if ends_before:
            query["ends_on"] = {"$lt": ends_before}
        if after:
            query["_id"] = {"$gt": after}
        return [_agreement_view(doc) for doc in self.agreements.find(query).sort("_id", ASCENDING).limit(limit)]

    def change_agreement(self, agreement_id: str, change: Callable[[Agreement], list[Envelope]]) -> dict:
        return _agreement_view(documents.change_model(self.agreements, agreement_id, change, _agreement_of,
                                                       _agreement_doc))

    def agreements_due(self, today: str, limit: int = 500) -> list[str]:
        """Agreements in force whose next notice day has come."""
        found = self.agreements.find({"status": "in_force", "next_notice_on": {"$lte": today}}, {"_id": 1})
        return [doc["_id"] for doc in found.limit(limit)]

    # CSV imports: the plan of one import in one document
    def add_import(self, job: dict) -> None:
        documents.insert(self.imports, job)

    def get_import(self, import_id: str) -> dict | None:
        return documents.public(self.imports.find_one({"_id": import_id}))

    def finish_import(self, import_id: str, imported: list[dict], errors: dict) -> dict:
        def finish(job: dict) -> None:
            job.update(status="done", imported=imported, errors=errors)
        return documents.public(documents.update(self.imports, import_id, finish))

    def imports_to_resume(self, now: str) -> list[str]:
        found = self.imports.find({"status": "pending", "resume_after": {"$lte": now}}, {"_id": 1})
        return [doc["_id"] for doc in found.limit(50)]

    # settings of the coordination group (e.g. the default review rubric)
    def setting(self, name: str) -> tuple[dict | None, int]:
        """A setting's value (None: never set) and its revision (0 when never set)."""
        doc = self.settings.find_one({"_id": name})
        return (None, 0) if doc is None else (doc["value"], documents.revision_of(doc))

    def save_setting(self, name: str, value: dict, by: str, at, expected_rev: int | None = None) -> tuple[dict, int]:
        """Set a setting (only on ``expected_rev`` when given; 0: never set); returns the value and new revision."""
        saved = documents.put(self.settings, {"_id": name, "value": value, "by": by, "at": at},
                              expected_rev=expected_rev)
        return saved["value"], documents.revision_of(saved)
