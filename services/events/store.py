"""The events repository: joint activities and the local read model of partners."""
from __future__ import annotations

from dataclasses import asdict

from pymongo import ASCENDING
from pymongo.database import Database

from services.common import documents
from services.common.envelope import Envelope
from services.events.domain import JointActivity, Organizer


def _to_doc(activity: JointActivity) -> dict:
    doc = asdict(activity)
    doc["_id"] = doc.pop("id")
    doc["organizer_ids"] = [org.partner_id for org in activity.organizers]  # scalar array: queryable
    return doc


def _from_doc(doc: dict) -> JointActivity:
    fields_ = {key: value for key, value in doc.items() if key not in documents.BOOKKEEPING + ("organizer_ids",)}
    fields_["organizers"] = [Organizer(**org) for org in doc["organizers"]]
    return JointActivity(id=doc["_id"], **fields_)


class EventsStore:
    def __init__(self, db: Database):
        self.db = db
        self.activities = db["activities"]
        self.partners = db["partner_directory"]

    def ensure_indexes(self) -> None:
        self.activities.create_index([("outbox_pending", ASCENDING)])
        self.activities.create_index([("status", ASCENDING), ("starts_at", ASCENDING)])
        self.activities.create_index([("organizer_ids", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # activities
    def add(self, activity: JointActivity) -> None:
        documents.insert(self.activities, _to_doc(activity))

    def get(self, activity_id: str) -> dict | None:
        return documents.public(self.activities.find_one({"_id": activity_id}))

    def change(self, activity_id: str, change) -> dict:
        """Apply ``change(activity) -> [Envelope]`` atomically with the events it returns."""
        def apply(doc: dict) -> list[Envelope]:
            activity = _from_doc(doc)
            events = change(activity)
            doc.update(_to_doc(activity))
            return events
        return documents.public(documents.update(self.activities, activity_id, apply))

    # read model of partners, fed by partner.* events
    def remember_partner(self, partner: dict) -> None:
        """Keep what partners said last: an event older than what is known (lower ``status_seq``) changes nothing,
        whatever order the queues of the different partner.* types delivered them in."""
        doc = {"_id": partner["partner_id"], "name": partner["name"], "level": partner["level"],
               "kind": partner["kind"], "status": partner["status"], "status_seq": partner.get("status_seq", 0)}
        for _ in range(documents.MAX_ATTEMPTS):
            known = self.partners.find_one({"_id": doc["_id"]})
            if known is None:
                if documents.insert_once(self.partners, doc):
                    return
                continue
            if known.get("status_seq", 0) > doc["status_seq"]:
                return
            doc["_rev"] = known.get("_rev", 0) + 1
            if self.partners.replace_one({"_id": doc["_id"], "_rev": known.get("_rev")}, doc).matched_count == 1:
                return

    def partner(self, partner_id: str) -> dict | None:
        doc = self.partners.find_one({"_id": partner_id})
        if doc is None:
            return None
        return {"partner_id": doc["_id"], **{k: v for k, v in doc.items() if k not in documents.BOOKKEEPING}}
