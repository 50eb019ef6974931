"""Parsing what campus systems put on the ingress exchange, without a broker."""
from __future__ import annotations

import json

import pytest

from services.events.ingress import Refused, bound_partners, parse
from services.events.usecases import ingress_activity_id
from tests.support.ingress_client import envelope

PARTNERS = {"portal": "prt_league"}


def body(**changes) -> bytes:
    message = envelope("activity.submit", {"title": {"zh": "x"}}, "req_1")
    message.update(changes)
    return json.dumps(message).encode()


def test_a_command_is_read_with_its_sender_and_the_partner_it_is_bound_to():
    request = parse(body(), {"user_id": "portal", "correlation_id": "c1"}, PARTNERS)
    assert (request.type, request.request_id, request.sender, request.partner_id) == \
        ("activity.submit", "req_1", "portal", "prt_league")
    assert request.correlation_id == "c1"
    assert parse(body(), {}, PARTNERS).partner_id is None
    assert parse(body(partnerid="prt_x"), {"user_id": "other"}, PARTNERS).partner_id == "prt_x"


@pytest.mark.parametrize(("raw", "properties", "title"), [
    (b"{no", {}, "Malformed request"),
    (json.dumps([1]).encode(), {}, "Not an envelope"),
    (body(specversion="0.3"), {}, "Not an envelope"),
    (body(type="activity.delete"), {}, "Unknown command"),
    (body(data="x"), {}, "Not an envelope"),
    (body(partnerid="prt_other"), {"user_id": "portal"}, "Wrong sender"),
    (body(partnerid=7), {}, "Not an envelope"),
])
def test_what_cannot_be_a_command_is_refused_with_a_reason(raw, properties, title):
    with pytest.raises(Refused) as caught:
        parse(raw, properties, PARTNERS)
    assert caught.value.title == title


def test_bindings_and_derived_ids():
    assert bound_partners("portal:prt_a, museum : prt_b,broken,:prt_c") == {"portal": "prt_a", "museum": "prt_b"}
    assert bound_partners("") == {}
    first = ingress_activity_id("portal", "req_1")
    assert first == ingress_activity_id("portal", "req_1") != ingress_activity_id("museum", "req_1")
    assert first.startswith("act_") and len(first) == 30
