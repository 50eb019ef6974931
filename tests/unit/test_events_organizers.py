"""``events.organizers_of``: the ownership fact the gateway's policy asks for, to scope partner keys."""
from __future__ import annotations

import pytest

from services.common.errors import NotFound
from tests.unit.test_services import LEAD, events_service, lecture


def test_organizers_of_names_each_organizer_and_role_and_refuses_an_unknown_activity():
    service, _, partners = events_service()
    partners.get_partner.side_effect = None
    partners.get_partner.return_value = {"id": "prt_01bbbbbbbbbbbbbbbbbbbbbbbb", "name": {"zh": "馆"},
                                         "level": "outside", "kind": "museum", "status": "approved"}
    created = service.create_activity(lecture(LEAD, ["prt_01bbbbbbbbbbbbbbbbbbbbbbbb"]))
    assert service.organizers_of(created["id"]) == [
        {"partner_id": LEAD, "role": "lead"},
        {"partner_id": "prt_01bbbbbbbbbbbbbbbbbbbbbbbb", "role": "co_organizer"}]
    with pytest.raises(NotFound):
        service.organizers_of("act_missing")
