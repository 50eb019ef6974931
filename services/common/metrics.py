"""Counters every service keeps, in Prometheus form, and how the gateway merges them into one ``/metrics``.

Each service process counts into its own registry (no process/platform collectors: five processes would clash);
``ServiceBase.metrics`` (RPC) returns the registry as Prometheus text, and the gateway's ``/metrics`` merges the
texts of every service with its own. Every series carries a ``service`` label, so nothing collides in the merge.
"""
from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families

disable_created_metrics()

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS_PUBLISHED = Counter("synergy_events_published", "Events published on the bus (after the broker's confirm)",
                           ["service", "type"], registry=REGISTRY)
EVENTS_CONSUMED = Counter("synergy_events_consumed", "Events taken from the bus by a handler, by outcome "
                          "(handled, failed: requeued, dead_lettered: rejected as invalid)",
                          ["service", "type", "outcome"], registry=REGISTRY)
WEBHOOK_DELIVERIES = Counter("synergy_webhook_deliveries", "Webhook delivery attempts by outcome",
                             ["service", "outcome"], registry=REGISTRY)


def service_of(source: str) -> str:
    """``/synergy/events`` -> ``events``."""
    return source.rstrip("/").rsplit("/", 1)[-1] or "unknown"


def exposition() -> str:
    return generate_latest(REGISTRY).decode("utf-8")


class _Families:
    def __init__(self, families: Iterable[Metric]):
        self.families = list(families)

    def collect(self):
        return self.families


def merge(texts: Iterable[str]) -> str:
    """Prometheus texts of several processes as one exposition, samples of a family together."""
    merged: dict[str, Metric] = {}
    for text in texts:
        for family in text_string_to_metric_families(text):
            if family.name in merged:
                merged[family.name].samples.extend(family.samples)
            else:
                merged[family.name] = family
    return generate_latest(_Families(merged.values())).decode("utf-8")
