"""Saving aggregate documents safely: compare-and-set on a revision, events riding in the same document.

A document's ``_rev`` changes on every write; a write that expected another ``_rev`` matches nothing and is
retried on fresh state. A document's pending events (``outbox``) are written in the same single-document
write as the change that caused them, so the two are atomic on every MongoDB deployment, replica set or not.
The relay (outbox.py) publishes them and removes them.

The object's own *revision* (``_version``, shown as ``revision``) moves when its content changes or it raises
events; not when the relay removes sent events, nor when an ``update`` leaves the content as it was (a consumer
recording that it applied an event that changed nothing moves ``_rev`` only). So a copy a caller read stays
current until the object itself changes. A caller that changes a copy it read
(HTTP ``If-Match``) names the revision it read (``expected_rev``): the change is made only if the document is
still at that revision, else ``PreconditionFailed`` and nothing is written. The check is inside the ``_rev``
compare-and-set loop, so no other change can slip in between the check and the write.

Only whole-document inserts and replaces are used: they mean the same on MongoDB and on the embedded
Mongo-wire server, whose array update operators are not to be trusted.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

import bson
import bson.errors
from pymongo.collection import Collection
from pymongo.errors import DuplicateKeyError

from services.common.envelope import Envelope
from services.common.errors import ConcurrentUpdate, NotFound, PreconditionFailed

log = logging.getLogger(__name__)

APPLIED_KEEP = 500  # event ids remembered per document for idempotent consumers
MAX_ATTEMPTS = 20
BOOKKEEPING = ("_id", "_rev", "_version", "_applied", "outbox", "outbox_pending")  # storage's, not the object's


def with_events(doc: dict, events: Iterable[Envelope]) -> dict:
    pending = list(doc.get("outbox", [])) + [event.to_dict() for event in events]
    doc["outbox"] = pending
    doc["outbox_pending"] = bool(pending)
    return doc


def insert(collection: Collection, doc: dict, events: Iterable[Envelope] = ()) -> dict:
    """Insert a new aggregate with its first events. Raises DuplicateKeyError if the id exists."""
    doc = with_events(dict(doc), events)
    doc["_rev"] = doc["_version"] = 1
    doc.setdefault("_applied", [])
    collection.insert_one(doc)
    return doc


def insert_once(collection: Collection, doc: dict, events: Iterable[Envelope] = ()) -> bool:
    """Insert keyed by a deterministic id; a second insert of the same id is a no-op. True if created."""
    try:
        insert(collection, doc, events)
        return True
    except DuplicateKeyError:
        return False


def replace(collection: Collection, doc: dict, events: Iterable[Envelope] = (), *,
            content_changed: bool = True) -> dict:
    """Write the whole document if nobody changed it since it was read; else ``ConcurrentUpdate``.

    ``content_changed=False``: only bookkeeping changed (``_applied``), the object's revision stays."""
    expected = doc["_rev"]
    new = with_events(dict(doc), events)
    new["_rev"] = expected + 1
    new["_version"] = revision_of(doc) + (1 if content_changed else 0)
    result = collection.replace_one({"_id": doc["_id"], "_rev": expected}, new)
    if result.matched_count != 1:
        raise ConcurrentUpdate(f"{doc['_id']} changed while being updated")
    return new


def keep_newest(collection: Collection, doc: dict, known_is_newer: Callable[[dict], bool]) -> bool:
    """Insert ``doc``, or put it in place of the stored one unless ``known_is_newer(stored)``: a read model fed by
    events that may arrive out of order keeps the newest fact. True if written. A document stored before
    revisions existed is replaced once as it is."""
    for _ in range(MAX_ATTEMPTS):
        known = collection.find_one({"_id": doc["_id"]})
        if known is None:
            if insert_once(collection, doc):
                return True
            continue
        if known_is_newer(known):
            return False
        if "_rev" not in known:
            collection.replace_one({"_id": doc["_id"]}, with_events(dict(doc, _rev=1), ()))
            return True
        try:
            replace(collection, dict(doc, _rev=known["_rev"], _version=revision_of(known)))
            return True
        except ConcurrentUpdate:
            continue
    return False


def revision_of(doc: dict | None) -> int:
    """The object's revision (0: not written yet). Documents written before ``_version`` existed start from
    their ``_rev``, so a revision never comes back."""
    return 0 if doc is None else doc.get("_version", doc["_rev"])


def check_revision(doc: dict | None, expected_rev: int | None) -> None:
    """``PreconditionFailed`` unless ``doc`` is at ``expected_rev`` (None: any revision; 0: not written yet)."""
    if expected_rev is None:
        return
    current = revision_of(doc)
    if current != expected_rev:
        raise PreconditionFailed("The object changed since you read it; read it again.",
                                 {"revision": current, "expected_revision": expected_rev})


def update(collection: Collection, doc_id: str, change: Callable[[dict], Iterable[Envelope] | None],
           *, applied_event: str | None = None, expected_rev: int | None = None) -> dict | None:
    """Load, change, save; retried on concurrent writes. ``change`` mutates the doc and returns its events.

    With ``applied_event``, the event id is recorded in the document in the same write, and a document that
    has already applied it is left alone (returns None): a redelivered event has no second effect.
    With ``expected_rev``, the change is made only on that revision (compare-and-set), else ``PreconditionFailed``.
    A change that leaves the content as it was and raises no events writes nothing (or, with ``applied_event``,
    only the record of it): the object's revision stays, so nobody's ``If-Match`` goes stale for nothing.
    """
    for _ in range(MAX_ATTEMPTS):
        doc = collection.find_one({"_id": doc_id})
        if doc is None:
            raise NotFound(f"{doc_id} does not exist", {"id": doc_id})
        check_revision(doc, expected_rev)
        if applied_event is not None:
            applied = doc.setdefault("_applied", [])
            if applied_event in applied:
                return None
            applied.append(applied_event)
            del applied[:-APPLIED_KEEP]
        before = _content(doc)
        events = list(change(doc) or ())
        content_changed = bool(events) or before is None or _content(doc) != before
        if not content_changed and applied_event is None:
            return doc
        try:
            return replace(collection, doc, events, content_changed=content_changed)
        except ConcurrentUpdate:
            log.debug("retrying update of %s after a concurrent write", doc_id)
    raise ConcurrentUpdate(f"{doc_id} is being changed by others too often; try again", {"id": doc_id})


def _content(doc: dict) -> bytes | None:
    """The object's content as BSON bytes, to tell whether a change changed anything (None: cannot tell)."""
    try:
        return bson.encode({key: value for key, value in doc.items() if key not in BOOKKEEPING})
    except (bson.errors.InvalidDocument, TypeError, OverflowError):
        return None


def change_model(collection: Collection, doc_id: str, change: Callable[[Any], Iterable[Envelope] | None],
                 load: Callable[[dict], Any], dump: Callable[[Any], dict], *, applied_event: str | None = None,
                 expected_rev: int | None = None) -> dict | None:
    """``update`` of a domain object: ``load`` it from the document, let ``change`` act on it and return its
    events, ``dump`` it back; the object and its events in one write."""
    def apply(doc: dict) -> Iterable[Envelope] | None:
        model = load(doc)
        events = change(model)
        doc.update(dump(model))
        return events
    return update(collection, doc_id, apply, applied_event=applied_event, expected_rev=expected_rev)


def put(collection: Collection, doc: dict, *, expected_rev: int | None = None) -> dict:
    """Create the document or replace its fields with ``doc``'s (settings, preferences: one per id).

    ``expected_rev`` 0 means "only if nobody wrote it yet"; another number, only on that revision.
    """
    if expected_rev in (None, 0):
        try:
            return insert(collection, doc)
        except DuplicateKeyError:
            check_revision(collection.find_one({"_id": doc["_id"]}), expected_rev)

    def change(stored: dict) -> None:
        stored.update(doc)
    try:
        return update(collection, doc["_id"], change, expected_rev=expected_rev)
    except NotFound:
        if expected_rev is None:
            raise
        check_revision(None, expected_rev)
        raise


REVISION = "revision"


def public(doc: dict | None) -> dict | None:
    """The document as the outside sees it: ``id`` instead of ``_id``, no storage bookkeeping."""
    if doc is None:
        return None
    shown = {key: value for key, value in doc.items() if key not in BOOKKEEPING}
    return {"id": doc["_id"], **shown}


def versioned(doc: dict | None) -> dict | None:
    """``public(doc)`` with its ``revision``: the view of an object callers change with ``expected_rev`` (HTTP
    ``If-Match``; the gateway makes the ``ETag`` of it)."""
    shown = public(doc)
    if shown is not None:
        shown[REVISION] = revision_of(doc)
    return shown
