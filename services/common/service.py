"""What every service has in common at its edge: correlation, and a ping for readiness checks."""
from __future__ import annotations

from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.rpc import Rpc

from services.common import metrics
from services.common.correlation import Correlation
from services.common.errors import DECLARED, Conflict


def rpc(fn):
    """nameko's ``@rpc``, knowing our declared errors: they are answers, logged as warnings, not crashes."""
    return Rpc.decorator(expected_exceptions=DECLARED)(fn)


class Consuming(DependencyProvider):
    """Whether every queue consumer of the service is consuming: its RPC queue may answer before its event
    queues are declared and bound, and an event published in between would never reach them."""

    def get_dependency(self, worker_ctx):
        return lambda: all(ext._consumers_ready.ready() for ext in self.container.extensions
                           if isinstance(ext, QueueConsumer))


class ServiceBase:
    """Mixed into each nameko service class."""

    correlation = Correlation()
    consuming = Consuming()

    @rpc
    def ping(self) -> dict:
        """Readiness: the service answers RPC, consumes all its queues and reaches its store."""
        if not self.consuming():
            raise Conflict(f"{self.name} is still binding its event queues.")
        store = getattr(self, "store", None)
        ping_store = getattr(store, "ping", None)
        return {"service": self.name, "store": bool(ping_store()) if ping_store else None}

    @rpc
    def metrics(self) -> str:
        """This process's counters in Prometheus text form (the gateway merges them into ``/metrics``)."""
        return metrics.exposition()
