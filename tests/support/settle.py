"""Waiting until the bus has carried everything: for tests that assert that nothing more happens."""
from __future__ import annotations

from collections.abc import Callable
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


def _in_flight(cluster: ClusterHandle) -> dict[str, int]:
    """What is still on its way (empty: nothing). The outboxes are looked at before and after the queues: a
    handler that was running when one was looked at has left its events in an outbox or its message on a queue
    when the other is."""
    unsent_before = unsent_events(cluster)
    going = {queue: count for queue, count in broker.handler_backlog(cluster.amqp_uri).items() if count}
    unsent = max(unsent_before, unsent_events(cluster))
    return going | {"unsent events": unsent} if unsent else going


def _wait_until_empty(probe: Callable[[], dict[str, int]], rounds: int, timeout: float) -> None:
    """Wait until ``probe`` finds nothing ``rounds`` times in a row; the failure names what was still going."""
    seen: dict[str, int] = {}
    quiet = [0]

    def settled() -> bool:
        seen.clear()
        seen.update(probe())
        quiet[0] = 0 if seen else quiet[0] + 1
        return quiet[0] >= rounds
    try:
        eventually(settled, timeout=timeout, interval=0.2)
    except AssertionError:
        raise AssertionError(f"still going after {timeout} s: {seen}") from None


def bus_settled(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Wait until every event written so far has been published and handled by every service that consumes it,
    and what those handlers raised too: after this, a "nothing more happened" assertion has been given its
    chance to fail. (Timers and webhook or email retries are not the bus: wait for those by their own records.)"""
    _wait_until_empty(lambda: _in_flight(cluster), rounds=2, timeout=timeout)


def handlers_idle(cluster: ClusterHandle, timeout: float = 60.0) -> None:
    """Wait until no message is waiting or being handled on any queue a running service consumes: whatever
    reached the bus has been handled (for when an outbox is left pending on purpose, by a crash before its
    publish, with the service that would relay it down)."""
    def busy() -> dict[str, int]:
        return {queue: count for queue, count in broker.handler_backlog(cluster.amqp_uri, consumed_only=True).items()
                if count}
    _wait_until_empty(busy, rounds=2, timeout=timeout)
