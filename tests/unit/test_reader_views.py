"""Readers' views decided by the policy and shaped by events; a partner's standing as the gateway caches it."""
from __future__ import annotations

import pytest

from services.common import policy
from services.common.errors import NotFound
from services.common.policy import ADMIN, CAMPUS_SYSTEM, PARTNER, STAFF, Principal, Reader, reader_of
from services.events.views import activity_view, bookings_view
from services.gateway.facts import PartnerStanding

ACTIVITY = {"id": "act_1", "title": {"zh": "讲座"}, "status": "published", "starts_at": "s", "ends_at": "e",
            "organizer_ids": ["prt_lead", "prt_co"], "reviews": [{"comments": "internal"}], "history": [{}],
            "origin": {"channel": "amqp"}, "revision": 3,
            "organizers": [{"partner_id": "prt_lead", "role": "lead", "name": {"zh": "甲"}, "level": "campus",
                            "responsibility": "all", "contributions": [{"kind": "funding"}], "tasks": [{}]},
                           {"partner_id": "prt_co", "role": "co_organizer", "name": {"zh": "乙"}, "level": "campus",
                            "responsibility": "", "contributions": [], "tasks": []}]}


@pytest.mark.parametrize(("kind", "partner", "expected"), [
    (ADMIN, None, Reader(everything=True)),
    (STAFF, None, Reader(everything=True)),
    (CAMPUS_SYSTEM, None, Reader(everything=True)),
    (PARTNER, "prt_co", Reader(partner_id="prt_co")),
])
def test_the_policy_says_whom_a_reader_reads_whole(kind, partner, expected):
    assert reader_of(Principal(kind, "key", partner), "activity.read") == expected
    assert Reader.of(expected.as_dict()) == expected
    assert reader_of(None, "activity.read") == Reader() and Reader.of(None) == Reader()
    assert reader_of(Principal(PARTNER, "k", "prt_x"), "no.such.action") == Reader(), "fail closed"


def test_non_organizers_see_an_activitys_public_fields_and_organizers_see_it_whole():
    assert activity_view(ACTIVITY, Reader(partner_id="prt_co")) is ACTIVITY
    assert activity_view(ACTIVITY, Reader(everything=True)) is ACTIVITY
    shown = activity_view(ACTIVITY, Reader(partner_id="prt_other"))
    assert not {"reviews", "history", "origin", "revision", "organizer_ids"} & set(shown)
    assert shown["organizers"][0] == {"partner_id": "prt_lead", "role": "lead", "name": {"zh": "甲"},
                                      "level": "campus"}
    assert activity_view(ACTIVITY, Reader()) == shown


def test_a_partner_sees_others_bookings_as_busy_times_and_stale_holds_not_at_all():
    bookings = [{"activity_id": a, "title": {"zh": a}, "organizer_id": "p", "starts_at": 1, "ends_at": 2}
                for a in ("act_mine", "act_theirs", "act_draft", "act_ghost")]
    known = {"act_mine": {"organizer_ids": ["prt_me"], "status": "submitted", "history": []},
             "act_theirs": {"organizer_ids": ["prt_x"], "status": "published", "history": []},
             "act_draft": {"organizer_ids": ["prt_x"], "status": "draft", "history": []}}
    shown = bookings_view(bookings, lambda ids: {i: known[i] for i in ids if i in known}, Reader(partner_id="prt_me"))
    assert shown == [bookings[0], {"starts_at": 1, "ends_at": 2, "busy": True},
                     {"starts_at": 1, "ends_at": 2, "busy": True}]
    assert bookings_view(bookings, lambda ids: {}, Reader(everything=True)) == bookings


def test_a_partners_standing_is_trusted_for_a_while_and_the_last_known_stands_when_partners_is_down(monkeypatch):
    monkeypatch.setenv("API_PARTNER_STANDING_SECONDS", "5")
    now = [100.0]
    standing = PartnerStanding(clock=lambda: now[0])
    answers = iter(["approved", "suspended"])
    asked = []

    def ask(pid: str) -> str:
        asked.append(pid)
        return next(answers)
    assert standing.status_of("prt_1", ask) == "approved"
    now[0] += 4
    assert standing.status_of("prt_1", ask) == "approved" and asked == ["prt_1"], "within the window: no RPC"
    now[0] += 2
    assert standing.status_of("prt_1", ask) == "suspended"

    def down(pid: str) -> str:
        raise TimeoutError
    now[0] += 10
    assert standing.status_of("prt_1", down) == "suspended", "partners down: the last answer stands"
    with pytest.raises(TimeoutError):
        standing.status_of("prt_2", down)

    def missing(pid: str) -> str:
        raise NotFound("no such partner")
    assert standing.status_of("prt_3", missing) == "unknown"


def test_only_the_coordination_group_waives_re_approval():
    assert "activity.waive_reapproval" in policy.ADMIN_ONLY and "activity.waive_reapproval" not in policy.RULES
    for kind, partner in ((STAFF, None), (PARTNER, "prt_1"), (CAMPUS_SYSTEM, None)):
        assert not policy.allowed(Principal(kind, "k", partner), "activity.waive_reapproval", activity_id="act_1")
    assert policy.allowed(Principal(ADMIN, "k"), "activity.waive_reapproval", activity_id="act_1")
