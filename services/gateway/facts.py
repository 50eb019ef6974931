"""Facts the gateway asks of the services that own them: ownership for the policy, once per request and object;
a partner's standing for every request of its keys, trusted for a few seconds."""
from __future__ import annotations

import time
from collections.abc import Callable

import eventlet

from services.common.config import env
from services.common.errors import NotFound


class RpcFacts:
    """``policy.Facts`` over the gateway worker's RPC proxies."""

    def __init__(self, worker):
        self._worker = worker
        self._organizers: dict[str, list[dict]] = {}
        self._owners: dict[str, str] = {}
        self._agreements: dict[str, dict] = {}

    def organizers_of(self, activity_id: str) -> list[dict]:
        if activity_id not in self._organizers:
            self._organizers[activity_id] = self._worker.events.organizers_of(activity_id)
        return self._organizers[activity_id]

    def endpoint_owner(self, endpoint_id: str) -> str:
        if endpoint_id not in self._owners:
            self._owners[endpoint_id] = self._worker.notify.endpoint_owner(endpoint_id)
        return self._owners[endpoint_id]

    def agreement(self, agreement_id: str) -> dict:
        """The agreement (asked once per request: the route shows the copy the policy decided on)."""
        if agreement_id not in self._agreements:
            self._agreements[agreement_id] = self._worker.partners.get_agreement(agreement_id)
        return self._agreements[agreement_id]

    def agreement_parties(self, agreement_id: str) -> set[str]:
        return set(self.agreement(agreement_id)["bound_partner_ids"])


class PartnerStanding:
    """A partner's standing (its status), as partners answers it by RPC, trusted for ``API_PARTNER_STANDING_SECONDS``
    in this gateway process: a partner key is checked on every request without asking partners each time, and a
    suspension, retirement or reinstatement takes effect within those seconds.

    When partners does not answer, the last answer known stands (however old); with none, the request fails (503).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._known: dict[str, tuple[float, str]] = {}

    def status_of(self, partner_id: str, ask: Callable[[str], str]) -> str:
        now = self._clock()
        known = self._known.get(partner_id)
        if known is not None and now - known[0] < float(env("API_PARTNER_STANDING_SECONDS")):
            return known[1]
        try:
            status = ask(partner_id)
        except NotFound:
            status = "unknown"
        except (Exception, eventlet.Timeout):  # noqa: BLE001 - partners unreachable: what was known stands
            if known is None:
                raise
            return known[1]
        self._known[partner_id] = (now, status)
        return status


STANDING = PartnerStanding()


def standing_of(worker, partner_id: str) -> str:
    """The partner's status, from the cache or asked of partners (within the gateway's RPC deadline)."""
    def ask(pid: str) -> str:
        with eventlet.Timeout(float(env("GATEWAY_RPC_TIMEOUT_SECONDS"))):
            return worker.partners.get_partner(pid)["status"]
    return STANDING.status_of(partner_id, ask)
