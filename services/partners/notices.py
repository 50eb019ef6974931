"""The scheduled job's notices: agreements ending (60, 30, 7 days; expired) and approvals to renew, each once.

Each notice is marked in its document in the same compare-and-set write as its event (agreements.py,
review.renewal_notice), so the job may run on any number of instances, any number of times.
"""
from __future__ import annotations

from datetime import date, datetime

from services.common.catalogue import announce
from services.partners import review
from services.partners.agreements import Agreement
from services.partners.domain import Partner
from services.partners.store import PartnerStore

KINDS = ("agreement.expiring", "agreement.expired", "partner.renewal_due")


def give_due(store: PartnerStore, day: date, now: datetime) -> dict[str, int]:
    """Announce every notice due on ``day`` not given yet; how many of each kind this run gave."""
    given: dict[str, list[str]] = {}  # per document, the events of the write that won (a retry overwrites)
    for agreement_id in store.agreements_due(day.isoformat()):
        def notices(agreement: Agreement):
            events = [announce(kind, data, subject=agreement.id) for kind, data in agreement.due_notices(day, now)]
            given[agreement.id] = [event.type for event in events]
            return events
        store.change_agreement(agreement_id, notices)
    for partner_id in store.renewals_due(day.isoformat()):
        def renewal(partner: Partner):
            data = review.renewal_notice(partner, day.isoformat())
            events = [announce("partner.renewal_due", data, subject=partner.id)] if data else []
            given[partner.id] = [event.type for event in events]
            return events
        store.change(partner_id, renewal)
    announced = dict.fromkeys(KINDS, 0)
    for kinds in given.values():
        for kind in kinds:
            announced[kind] += 1
    return announced
