"""The events repository: joint activities, venues with their bookings, rosters, and the read model of partners."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields
from datetime import datetime

from pymongo import ASCENDING
from pymongo.database import Database

from services.common import documents
from services.common.envelope import Envelope
from services.events.domain import LIVE, JointActivity, Organizer, holds_venue
from services.events.listing import query_terms, sort_key, title_terms
from services.events.registration import Roster
from services.events.venues import Venue

TOKENS_INDEXED = "~indexed"  # the marker of attendee_tokens: the registrations made before it are indexed
DERIVED = ("organizer_ids", "lead_id", "title_terms", "listing_key", "next_task_due")
ACTIVITY_FIELDS = {f.name for f in fields(JointActivity)}


def _to_doc(activity: JointActivity) -> dict:
    doc = asdict(activity)
    doc["_id"] = doc.pop("id")
    doc["organizer_ids"] = [org.partner_id for org in activity.organizers]  # scalar array: queryable
    doc["lead_id"] = activity.lead.partner_id
    doc["title_terms"] = title_terms(activity.title)
    doc["listing_key"] = sort_key(activity.starts_at, activity.id)
    doc["next_task_due"] = activity.next_task_due  # scalar: the clock's query for task reminders
    return doc


def _from_doc(doc: dict) -> JointActivity:
    fields_ = {key: value for key, value in doc.items() if key in ACTIVITY_FIELDS and key != "id"}
    fields_["organizers"] = [Organizer(**org) for org in doc["organizers"]]
    return JointActivity(id=doc["_id"], **fields_)


def _public_activity(doc: dict | None) -> dict | None:
    shown = documents.versioned(doc)
    if shown is not None:
        for name in ("title_terms", "listing_key", "sort_key", "retention_done", "next_task_due"):
            shown.pop(name, None)
    return shown


def _roster_doc(roster: Roster) -> dict:
    doc = asdict(roster)
    doc["_id"] = doc.pop("activity_id")
    doc["person_ids"] = roster.person_ids()
    doc["attendee_hashes"] = roster.attendee_hashes()  # scalar array: the registration of a token is queryable
    return doc


def _roster(doc: dict) -> Roster:
    return Roster(activity_id=doc["_id"], registrations=doc["registrations"], roles=doc["roles"],
                  shifts=doc["shifts"], signups=doc["signups"], anonymised_at=doc.get("anonymised_at"))


def _venue_doc(venue: Venue) -> dict:
    doc = asdict(venue)
    doc["_id"] = doc.pop("id")
    return doc


def _venue(doc: dict) -> Venue:
    return Venue(id=doc["_id"], **{k: v for k, v in doc.items()
                                    if k in {f.name for f in fields(Venue)} and k != "id"})


Change = Callable[..., list[Envelope] | None]


class EventsStore:
    def __init__(self, db: Database):
        self.db = db
        self.activities = db["activities"]
        self.partners = db["partner_directory"]
        self.venues = db["venues"]
        self.rosters = db["rosters"]
        self.offers = db["partner_offers"]
        self.attendee_tokens = db["attendee_tokens"]  # token hash (_id) -> its registration: found by _id

    def ensure_indexes(self) -> None:
        """Indexes on scalar fields only: the embedded store stops matching a scalar-array field (organizer_ids,
        title_terms, person_ids, attendee_hashes) once it is indexed, so those are queried unindexed here (add
        multikey indexes by hand on a large real MongoDB)."""
        for collection in (self.activities, self.venues, self.rosters):
            collection.create_index([("outbox_pending", ASCENDING)])
        self.activities.create_index([("status", ASCENDING), ("starts_at", ASCENDING)])
        self.activities.create_index([("listing_key", ASCENDING)])
        self.activities.create_index([("ends_at", ASCENDING)])
        self.activities.create_index([("next_task_due", ASCENDING)])
        for retired in ("organizer_ids_1", "sort_key_1"):  # sort_key: the listing key of an earlier version
            if retired in self.activities.index_information():
                self.activities.drop_index(retired)
        self.backfill()
        self.index_attendee_tokens()

    def backfill(self) -> int:
        """Give activities written by an earlier version the derived fields the listing queries."""
        count = 0
        def derive(doc: dict) -> None:
            doc.pop("sort_key", None)
            doc.update(_to_doc(_from_doc(doc)))
        for doc in list(self.activities.find({"listing_key": None}, {"_id": 1}).limit(10_000)):
            documents.update(self.activities, doc["_id"], derive)
            count += 1
        return count

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # activities ---------------------------------------------------------------------------------------------
    def add(self, activity: JointActivity, events: list[Envelope] = ()) -> None:
        documents.insert(self.activities, _to_doc(activity), events)

    def add_once(self, activity: JointActivity, events: list[Envelope] = ()) -> bool:
        return documents.insert_once(self.activities, _to_doc(activity), events)

    def get(self, activity_id: str) -> dict | None:
        return _public_activity(self.activities.find_one({"_id": activity_id}))

    def load(self, activity_id: str) -> JointActivity | None:
        doc = self.activities.find_one({"_id": activity_id})
        return _from_doc(doc) if doc else None

    def change(self, activity_id: str, change: Change, *, applied_event: str | None = None,
               expected_rev: int | None = None) -> dict | None:
        """Apply ``change(activity) -> [Envelope]`` atomically with the events it returns (only on ``expected_rev``
        when given, else ``PreconditionFailed``)."""
        return _public_activity(documents.change_model(self.activities, activity_id, change, _from_doc, _to_doc,
                                                       applied_event=applied_event, expected_rev=expected_rev))

    def find(self, *, organizer=None, theme=None, path=None, type=None, series=None, status=None, q=None,
             starts_from=None, starts_before=None, after_key=None, statuses=(), limit=50) -> list[dict]:
        """Activities in start order; every condition is equality or range on a top-level field."""
        conditions: list[dict] = []
        for name, value in (("organizer_ids", organizer), ("themes", theme), ("paths", path),
                            ("activity_type", type), ("series", series), ("status", status)):
            if value is not None:
                conditions.append({name: value})
        if status is None and statuses:
            conditions.append({"status": {"$in": list(statuses)}})
        conditions += [{"title_terms": term} for term in query_terms(q or "")]
        if starts_from is not None:
            conditions.append({"starts_at": {"$gte": starts_from}})
        if starts_before is not None:
            conditions.append({"starts_at": {"$lt": starts_before}})
        if after_key is not None:
            conditions.append({"listing_key": {"$gt": after_key}})
        query = {"$and": conditions} if conditions else {}
        found = self.activities.find(query).sort("listing_key", ASCENDING).limit(limit)
        return [_public_activity(doc) for doc in found]

    def sort_key_of(self, activity: dict) -> str:
        return sort_key(activity["starts_at"], activity["id"])

    def holders(self, activity_ids: list[str]) -> dict[str, dict]:
        """``{id: {organizer_ids, status, history}}`` of the activities that book a venue (one query)."""
        if not activity_ids:
            return {}
        found = self.activities.find({"_id": {"$in": list(activity_ids)}},
                                     {"_id": 1, "organizer_ids": 1, "status": 1, "history": 1})
        return {doc["_id"]: {"organizer_ids": doc.get("organizer_ids") or [], "status": doc["status"],
                             "history": doc.get("history") or []} for doc in found}

    def holding_ids_of_lead(self, partner_id: str, now: datetime, limit: int = 5000) -> set[str]:
        """The activities ``partner_id`` leads that hold a venue for a time not over yet (the quota counts them)."""
        found = self.activities.find({"lead_id": partner_id, "ends_at": {"$gt": now}},
                                     {"_id": 1, "venue_id": 1, "status": 1, "history": 1}).limit(limit)
        return {doc["_id"] for doc in found
                if doc.get("venue_id") and holds_venue(doc["status"], doc.get("history") or [])}

    def live_ids_of_partner(self, partner_id: str) -> list[str]:
        return [doc["_id"] for doc in self.activities.find({"organizer_ids": partner_id}, {"_id": 1, "status": 1})
                if doc.get("status") in LIVE]

    def count_in_series(self, series: str) -> int:
        return self.activities.count_documents({"series": series})

    def due(self, status: str, field: str, now: datetime, limit: int = 100) -> list[str]:
        """Activities in ``status`` whose ``field`` (starts_at or ends_at) has come."""
        found = self.activities.find({"status": status, field: {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    def tasks_due_by(self, horizon: datetime, limit: int = 200) -> list[str]:
        """Activities with a task to remind whose deadline is at or before ``horizon``."""
        found = self.activities.find({"next_task_due": {"$lte": horizon}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    def ended_before(self, cutoff: datetime, limit: int = 100) -> list[str]:
        """Activities that ended before ``cutoff`` whose personal data were not yet dealt with.

        ``$in: [False, None]`` also finds documents written before the field existed, on both stores.
        """
        found = self.activities.find({"ends_at": {"$lt": cutoff}, "retention_done": {"$in": [False, None]}},
                                     {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    # venues -------------------------------------------------------------------------------------------------
    def add_venue(self, venue: Venue) -> None:
        documents.insert(self.venues, _venue_doc(venue))

    def add_venue_once(self, venue: Venue) -> bool:
        """Add a venue with a derived id; False if it is there already."""
        return documents.insert_once(self.venues, _venue_doc(venue))

    def offered_venues_of(self, partner_id: str) -> list[Venue]:
        """The venues made from the spaces a partner offers (not those entered by hand)."""
        found = self.venues.find({"partner_id": partner_id}).limit(500)
        return [venue for venue in map(_venue, found) if venue.offer_key is not None]

    def venue(self, venue_id: str) -> Venue | None:
        doc = self.venues.find_one({"_id": venue_id})
        return _venue(doc) if doc else None

    def list_venues(self) -> list[Venue]:
        return [_venue(doc) for doc in self.venues.find({}).sort("_id", ASCENDING).limit(500)]

    def change_venue(self, venue_id: str, change: Change) -> Venue:
        return _venue(documents.change_model(self.venues, venue_id, change, _venue, _venue_doc))

    # rosters ------------------------------------------------------------------------------------------------
    def roster(self, activity_id: str) -> Roster:
        doc = self.rosters.find_one({"_id": activity_id})
        return _roster(doc) if doc else Roster(activity_id)

    def change_roster(self, activity_id: str, change: Change) -> Roster:
        """Apply ``change(roster) -> [Envelope]`` atomically; the roster is made on first use."""
        documents.insert_once(self.rosters, _roster_doc(Roster(activity_id)))
        return _roster(documents.change_model(self.rosters, activity_id, change, _roster, _roster_doc))

    def rosters_for(self, activity_ids: list[str]) -> dict[str, Roster]:
        found = self.rosters.find({"_id": {"$in": list(activity_ids)}}) if activity_ids else []
        return {doc["_id"]: _roster(doc) for doc in found}

    def index_attendee(self, digest: str, activity_id: str, registration_id: str) -> None:
        """Where the registration of an attendee token is; written before the registration itself, so that no
        registration is ever without it (one whose write then failed is found nowhere in its roster)."""
        self.attendee_tokens.replace_one({"_id": digest}, {"_id": digest, "activity_id": activity_id,
                                                           "registration_id": registration_id}, upsert=True)

    def roster_of_attendee(self, digest: str) -> Roster | None:
        """The roster holding the registration whose attendee token has this hash: two lookups by ``_id``."""
        found = self.attendee_tokens.find_one({"_id": digest})
        doc = self.rosters.find_one({"_id": found["activity_id"]}) if found else None
        return _roster(doc) if doc else None

    def index_attendee_tokens(self) -> int:
        """Index the tokens of registrations made before ``attendee_tokens`` existed; once (a marker says so)."""
        if self.attendee_tokens.find_one({"_id": TOKENS_INDEXED}) is not None:
            return 0
        count = 0
        for doc in self.rosters.find({}, {"registrations": 1}):
            for item in doc.get("registrations", []):
                if item.get("attendee_hash"):
                    self.index_attendee(item["attendee_hash"], doc["_id"], item["registration_id"])
                    count += 1
        self.attendee_tokens.replace_one({"_id": TOKENS_INDEXED}, {"_id": TOKENS_INDEXED, "count": count},
                                         upsert=True)
        return count

    def rosters_of_person(self, person_id: str) -> list[Roster]:
        return [_roster(doc) for doc in self.rosters.find({"person_ids": person_id}).limit(1000)]

    # read model of partners, fed by partner.* events ------------------------------------------------------
    def remember_partner(self, partner: dict, as_of: str = "") -> bool:
        """Keep what we know of a partner; an older fact never overwrites a newer one. True if changed.

        Partners numbers every status change (``status_seq``); when present it orders the facts, else ``as_of``.
        """
        if "status_seq" in partner:
            as_of = f"seq:{partner['status_seq']:012d}"
        doc = {"_id": partner["partner_id"], "name": partner["name"], "level": partner["level"],
               "kind": partner["kind"], "status": partner["status"], "as_of": as_of}
        return documents.keep_newest(self.partners, doc, lambda known: bool(as_of) and known.get("as_of", "") > as_of)

    def remember_offer(self, partner_id: str, spaces: list[dict], profile_seq: int) -> bool:
        """Keep the spaces a partner offers as of its newest profile seen; an older profile changes nothing."""
        doc = {"_id": partner_id, "spaces": list(spaces), "profile_seq": profile_seq}
        return documents.keep_newest(self.offers, doc, lambda known: known["profile_seq"] >= profile_seq)

    def offer_of(self, partner_id: str) -> dict | None:
        """``{spaces, profile_seq}`` of the newest profile seen, or None if the partner never announced spaces."""
        doc = self.offers.find_one({"_id": partner_id})
        return None if doc is None else {"spaces": doc["spaces"], "profile_seq": doc["profile_seq"]}

    def partner(self, partner_id: str) -> dict | None:
        doc = self.partners.find_one({"_id": partner_id})
        if doc is None:
            return None
        return {"partner_id": doc["_id"], "name": doc["name"], "level": doc["level"], "kind": doc["kind"],
                "status": doc["status"]}
