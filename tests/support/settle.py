"""Waiting until the bus has carried everything: for tests that assert that nothing more happens."""
from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support import broker
from tests.support.api import eventually

if TYPE_CHECKING:
    from tests.conftest import ClusterHandle

SERVICES = ("partners", "events", "evaluation", "notify", "gateway")


def unsent_events(cluster: ClusterHandle) -> int:
    """Events written with a change but not yet published (the outboxes of every service's documents)."""
    return sum(cluster.db(service)[name].count_documents({"outbox_pending": True})
               for service in SERVICES for name in cluster.db(service).list_collection_names())


def _quiet(cluster: ClusterHandle) -> bool:
    # the outboxes before and after the queues: a handler that was running when one was looked at has either
    # left its events in an outbox or its message on a queue when the other is
    return unsent_events(cluster) == 0 and not any(broker.handler_backlog(cluster.amqp_uri).values()) \
        and unsent_events(cluster) == 0


def bus_settled(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Wait until every event written so far has been published and handled by every service that consumes it,
    and what those handlers raised too: after this, a "nothing more happened" assertion has been given its
    chance to fail. (Timers and webhook or email retries are not the bus: wait for those by their own records.)"""
    eventually(lambda: _quiet(cluster) and _quiet(cluster), timeout=timeout, interval=0.2)


def handlers_idle(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Wait until no message is waiting or being handled on any service's queue: whatever reached the bus has
    been handled (for when an outbox is left pending on purpose, e.g. by a crash before its publish)."""
    eventually(lambda: not any(broker.handler_backlog(cluster.amqp_uri).values()), timeout=timeout, interval=0.2)
