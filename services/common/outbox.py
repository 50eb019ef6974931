"""The outbox relay: publishes the events that documents carry, then removes them from the document.

Order of work for each pending event: publish with a broker confirm, then remove it from the document. A
crash before the publish leaves the event pending (published after restart); a crash after the publish and
before the removal publishes it again with the same id, which consumers ignore. So every event goes out at
least once and takes effect exactly once.

The relay wakes after every worker of its service (so a new event leaves at once) and also polls, to pick up
events left by a crash or by another instance.
"""
from __future__ import annotations

import logging

from pymongo.collection import Collection

from services.common import failpoints, metrics
from services.common.background import WokenLoop
from services.common.bus import Publisher
from services.common.config import Settings
from services.common.documents import MAX_ATTEMPTS
from services.common.envelope import Envelope
from services.common.mongo import database

log = logging.getLogger(__name__)

BATCH = 200


def relay_pending(collection: Collection, publisher: Publisher) -> int:
    """Publish every pending event of ``collection``; returns how many were published."""
    published = 0
    for doc in list(collection.find({"outbox_pending": True}).limit(BATCH)):
        sent_ids = []
        for raw in doc.get("outbox", []):
            envelope = Envelope.from_dict(raw)
            failpoints.reach("outbox.before_publish")
            publisher.publish(envelope)
            failpoints.reach("outbox.after_publish")
            metrics.EVENTS_PUBLISHED.labels(metrics.service_of(envelope.source), envelope.type).inc()
            sent_ids.append(envelope.id)
            published += 1
        _forget(collection, doc["_id"], set(sent_ids))
    return published


def _forget(collection: Collection, doc_id: str, sent: set[str]) -> None:
    for _ in range(MAX_ATTEMPTS):
        doc = collection.find_one({"_id": doc_id})
        if doc is None:
            return
        remaining = [raw for raw in doc.get("outbox", []) if raw["id"] not in sent]
        doc.update(outbox=remaining, outbox_pending=bool(remaining), _rev=doc["_rev"] + 1)
        if collection.replace_one({"_id": doc_id, "_rev": doc["_rev"] - 1}, doc).matched_count == 1:
            return
    log.warning("could not mark events of %s as sent; they will be sent again and deduplicated", doc_id)


class OutboxRelay(WokenLoop):
    """Runs the relay in the background of a service for the named collections of its database."""

    identifier = "outbox-relay"

    def __init__(self, *collections: str):
        self.collection_names = collections

    def setup(self):
        super().setup()
        self.settings = Settings.from_env()
        self.publisher = Publisher(self.settings.amqp_uri)
        db = database(self.container.service_name, self.settings)
        self.collections = [db[name] for name in self.collection_names]

    def interval(self) -> float:
        return self.settings.outbox_poll_seconds

    def tick(self) -> int:
        return sum(relay_pending(collection, self.publisher) for collection in self.collections)

    def finish(self) -> None:
        self.publisher.close()
