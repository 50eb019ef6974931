"""Ownership facts for the policy, asked of the services that own the objects, once per request and object."""
from __future__ import annotations


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
