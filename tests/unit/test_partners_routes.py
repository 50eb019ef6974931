"""The gateway's partner routes: who sees contacts, and what a CSV body must be."""
from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.common.policy import ADMIN, PARTNER, Principal
from services.gateway.http import BadRequest
from services.gateway.routes.partners import may_see_contacts, read_csv


def test_contacts_are_seen_by_the_coordination_group_and_the_partner_itself():
    admin = Principal(kind=ADMIN, key_id="a")
    museum = Principal(kind=PARTNER, key_id="k", partner_id="prt_m")
    assert may_see_contacts(admin) and may_see_contacts(admin, "prt_x")
    assert may_see_contacts(museum, "prt_m")
    assert not may_see_contacts(museum, "prt_x") and not may_see_contacts(museum)


def request(data: bytes, content_type: str) -> Request:
    return Request(EnvironBuilder(method="POST", data=data, content_type=content_type).get_environ())


def test_a_csv_body_is_utf8_text_of_a_csv_type():
    assert read_csv(request("名称".encode(), "text/csv; charset=utf-8")) == "名称"
    for data, content_type, status in ((b"x", "application/json", 415), ("名".encode("gbk"), "text/csv", 400)):
        with pytest.raises(BadRequest) as caught:
            read_csv(request(data, content_type))
        assert caught.value.status == status
