"""Partners: levels and kinds, and what registration announces."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.common.catalogue import check_data
from services.common.errors import ValidationFailed
from services.common.validation import load
from services.partners.domain import Partner, collaborations_from_published
from services.partners.schemas import PartnerRegistration

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_units_inside_the_university_are_active_and_outside_institutions_apply():
    faculty = Partner.register("prt_1", name={"zh": "文学院"}, level="campus", kind="faculty", now=NOW)
    museum = Partner.register("prt_2", name={"zh": "博物馆"}, level="outside", kind="museum", now=NOW)
    assert (faculty.status, museum.status) == ("active", "applied")
    assert check_data("partner.registered", museum.registered_event(), producing=True)


def test_a_kind_must_belong_to_its_level():
    with pytest.raises(ValueError):
        Partner.register("prt_1", name={"zh": "x"}, level="library", kind="museum", now=NOW)
    with pytest.raises(ValidationFailed) as caught:
        load(PartnerRegistration(), {"name": {"zh": "x"}, "level": "library", "kind": "museum"})
    assert "kind" in caught.value.details["errors"]


def test_themes_are_deduplicated():
    partner = Partner.register("prt_1", name={"zh": "x"}, level="campus", kind="faculty", now=NOW,
                               themes=["b", "a", "b"])
    assert partner.themes == ["a", "b"]


def test_each_organizer_of_a_published_activity_gains_one_collaboration():
    data = {"activity_id": "act_1", "title": {"zh": "讲座"}, "starts_at": "2026-12-05T02:00:00.000Z",
            "organizers": [{"partner_id": "p1", "role": "lead"}, {"partner_id": "p2", "role": "co_organizer"}]}
    found = collaborations_from_published(data, NOW)
    assert [(c.key, c.role) for c in found] == [("p1:act_1", "lead"), ("p2:act_1", "co_organizer")]
