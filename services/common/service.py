"""What every service has in common at its edge: correlation, and a ping for readiness checks."""
from __future__ import annotations

from nameko.rpc import Rpc

from services.common import metrics
from services.common.correlation import Correlation
from services.common.errors import DECLARED


def rpc(fn):
    """nameko's ``@rpc``, knowing our declared errors: they are answers, logged as warnings, not crashes."""
    return Rpc.decorator(expected_exceptions=DECLARED)(fn)


class ServiceBase:
    """Mixed into each nameko service class."""

    correlation = Correlation()

    @rpc
    def ping(self) -> dict:
        """Readiness: the service answers RPC and reaches its store."""
        store = getattr(self, "store", None)
        ping_store = getattr(store, "ping", None)
        return {"service": self.name, "store": bool(ping_store()) if ping_store else None}

    @rpc
    def metrics(self) -> str:
        """This process's counters in Prometheus text form (the gateway merges them into ``/metrics``)."""
        return metrics.exposition()
