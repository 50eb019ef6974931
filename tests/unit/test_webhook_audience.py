"""The webhook audience policy as a matrix: every type of the catalogue × endpoint owners (the lead organizer, a
co-organizer, an unrelated partner), delivered or not and with which fields. A new type without a row in
``EXPECTED`` fails here; one without a rule in the policy reaches nobody."""
from __future__ import annotations

import pytest
from marshmallow import Schema, fields

from services.common.catalogue import CATALOGUE
from services.common.policy.webhooks import WEBHOOK_AUDIENCES, webhook_view
from services.notify.fanout import needs_organizers

LEAD, CO, STRANGER = "prt_lead", "prt_co", "prt_stranger"
OWNERS = (LEAD, CO, STRANGER)
ORGANIZERS = [{"partner_id": LEAD, "role": "lead", "name": {"zh": "甲"}, "level": "campus"},
              {"partner_id": CO, "role": "co_organizer", "name": {"zh": "乙"}, "level": "outside"}]
N, ALL, ORG, OWN = (False, False, False), (True, True, True), (True, True, False), (True, False, False)
SECRET = "secret-of-the-organizers"

# event type -> delivered to (lead, co-organizer, unrelated partner). Partner news are about LEAD in the samples.
EXPECTED = {
    "activity.published": ALL, "activity.started": ALL, "activity.completed": ALL, "activity.updated": ALL,
    "activity.cancelled": ALL, "activity.postponed": ALL,
    "activity.submitted": ORG, "activity.approved": ORG, "activity.returned": ORG, "activity.archived": ORG,
    "activity.organizer_suspended": (True, True, False),  # the lead, and the suspended organizer (CO)
    "participation.recorded": ORG, "personal_data.anonymised": ORG,
    "survey.prepared": ORG, "survey.opened": ORG, "survey.closed": ORG,
    "partner.evaluated": OWN, "term_report.generated": N, "endpoint.disabled": OWN,
    "agreement.signed": (True, True, False), "agreement.expiring": OWN, "agreement.expired": OWN,
    **{f"partner.{verb}": OWN for verb in ("registered", "updated", "review_started", "approved", "rejected",
                                           "suspended", "reinstated", "retired", "renewal_due")},
    # internal: never sent to any webhook
    **{name: N for name in ("activity.organizer_updated", "activity.task_due", "registration.confirmed",
                            "registration.waitlisted", "registration.promoted", "registration.cancelled",
                            "survey.invitations_issued")},
}
OVERRIDES = {"activity_id": "act_1", "partner_id": LEAD, "lead_partner_id": LEAD, "owner_partner_id": LEAD,
             "counterpart": CO, "organizers": ORGANIZERS, "comments": SECRET, "reasons": [SECRET], "by": SECRET,
             "sent_back_for_approval": False, "was_published": True, "person_id": "stu_1",
             "contributions": [{"partner_id": LEAD, "kind": "funding", "committed": "lead-part", "delivered": True},
                               {"partner_id": CO, "kind": "space", "committed": "co-part", "delivered": False}]}


def sample(schema: Schema) -> dict:
    """Data of the schema's shape, with the ids of this matrix."""
    data = {}
    for name, fld in schema.fields.items():
        if name in OVERRIDES:
            data[name] = OVERRIDES[name]
        elif isinstance(fld, fields.Nested):
            data[name] = sample(fld.schema)
        elif isinstance(fld, fields.List):
            data[name] = [sample(fld.inner.schema)] if isinstance(fld.inner, fields.Nested) else ["x"]
        else:
            data[name] = {fields.Integer: 1, fields.Float: 1.0, fields.Boolean: False, fields.Dict: {}}.get(
                type(fld), "x")
    return data


def data_of(event_type: str) -> dict:
    data = sample(CATALOGUE[event_type].schema())
    if event_type == "activity.organizer_suspended":
        data["partner_id"] = CO
    return data


def looked_up(event_type: str, data: dict) -> list[dict]:
    """What notify asks of events for a type whose data does not name the organizers."""
    return [{"partner_id": o["partner_id"], "role": o["role"]} for o in ORGANIZERS] \
        if needs_organizers(event_type, data) else []


def test_every_type_of_the_catalogue_has_an_expected_audience():
    assert set(CATALOGUE) == set(EXPECTED), "add the new type to EXPECTED and a rule to policy.WEBHOOK_AUDIENCES"
    public = {name for name, entry in CATALOGUE.items() if entry.public}
    assert public <= set(WEBHOOK_AUDIENCES), public - set(WEBHOOK_AUDIENCES)


@pytest.mark.parametrize("event_type", sorted(EXPECTED))
def test_who_receives_each_type(event_type):
    data = data_of(event_type)
    internal = not CATALOGUE[event_type].public
    got = tuple(not internal and webhook_view(owner, event_type, data, looked_up(event_type, data)) is not None
                for owner in OWNERS)
    assert got == EXPECTED[event_type]


@pytest.mark.parametrize("event_type", sorted(t for t, e in EXPECTED.items() if e[2]))
def test_an_unrelated_partner_gets_the_public_view_only(event_type):
    data = data_of(event_type)
    view = webhook_view(STRANGER, event_type, data, looked_up(event_type, data))
    assert SECRET not in str(view)
    # aims and capacity are public, as the API's reads show them (contracts.public); counts and parts are not
    assert not {"contributions", "registered_count", "checked_in_count", "by"} & set(view)
    assert view["activity_id"] == "act_1"


def test_each_organizer_sees_its_own_contributions_only():
    data = data_of("activity.completed")
    lead, co = (webhook_view(owner, "activity.completed", data) for owner in (LEAD, CO))
    assert [c["committed"] for c in lead["contributions"]] == ["lead-part"]
    assert [c["committed"] for c in co["contributions"]] == ["co-part"]
    assert lead["registered_count"] == 1 and len(data["contributions"]) == 2, "the event itself is unchanged"


def test_organizers_get_the_whole_story_of_their_drafts():
    data = data_of("activity.returned")
    assert webhook_view(CO, "activity.returned", data) == data


def test_an_update_sending_the_activity_back_for_approval_reaches_its_organizers_only():
    data = data_of("activity.updated") | {"sent_back_for_approval": True}
    assert webhook_view(CO, "activity.updated", data) == data
    assert webhook_view(STRANGER, "activity.updated", data) is None
    data = data_of("activity.updated") | {"changes": {"venue": {"before": "a", "after": "b"},
                                                      "origin": {"before": None, "after": "x"}}}
    assert list(webhook_view(STRANGER, "activity.updated", data)["changes"]) == ["venue"]


def test_calling_off_an_activity_never_published_reaches_its_organizers_only():
    for event_type in ("activity.cancelled", "activity.postponed"):
        data = data_of(event_type)
        for unpublished in ({"was_published": False}, {}):
            called_off = {k: v for k, v in data.items() if k != "was_published"} | unpublished
            assert webhook_view(LEAD, event_type, called_off) is not None
            assert webhook_view(STRANGER, event_type, called_off) is None


def test_activity_events_without_known_organizers_reach_nobody():
    data = data_of("participation.recorded")
    assert all(webhook_view(owner, "participation.recorded", data, []) is None for owner in OWNERS)


def test_an_unknown_type_reaches_nobody():
    assert all(webhook_view(owner, "activity.teleported", {"activity_id": "act_1", "organizers": ORGANIZERS})
               is None for owner in OWNERS)
