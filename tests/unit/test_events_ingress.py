"""Parsing what campus systems put on the ingress exchange, and who they are, without a broker."""
from __future__ import annotations

import json

import pytest

from services.common.bus_users import Bindings, Management, ManagementError, partner_of
from services.events.bus_commands import ingress_activity_id
from services.events.ingress import Refused, parse
from tests.support.ingress_client import envelope

LEAGUE = "prt_" + "0123456789abcdefghjkmnpqrs"
PORTAL = {"user_id": "portal", "reply_to": "synergy.replies.portal"}


def body(**changes) -> bytes:
    message = envelope("activity.submit", {"title": {"zh": "x"}}, "req_1")
    message.update(changes)
    return json.dumps(message).encode()


def test_a_command_is_read_with_its_sender_and_the_partner_it_is_bound_to():
    request = parse(body(), dict(PORTAL, correlation_id="c1"), LEAGUE)
    assert (request.type, request.request_id, request.sender, request.partner_id) == \
        ("activity.submit", "req_1", "portal", LEAGUE)
    assert request.correlation_id == "c1"
    assert parse(body(partnerid=LEAGUE), {"user_id": "portal"}, LEAGUE).partner_id == LEAGUE  # no reply_to: fine


@pytest.mark.parametrize(("raw", "properties", "partner", "title"), [
    (b"{no", PORTAL, LEAGUE, "Malformed request"),
    (json.dumps([1]).encode(), PORTAL, LEAGUE, "Not an envelope"),
    (body(specversion="0.3"), PORTAL, LEAGUE, "Not an envelope"),
    (body(type="activity.delete"), PORTAL, LEAGUE, "Unknown command"),
    (body(data="x"), PORTAL, LEAGUE, "Not an envelope"),
    (body(partnerid="prt_other"), PORTAL, LEAGUE, "Wrong sender"),
    (body(partnerid=7), PORTAL, LEAGUE, "Not an envelope"),
    (body(), PORTAL, None, "Unbound sender"),
    (body(partnerid=LEAGUE), PORTAL, None, "Unbound sender"),  # naming a partner binds nobody
    (body(), dict(PORTAL, reply_to="synergy.replies.museum"), LEAGUE, "Wrong reply queue"),
    (body(), dict(PORTAL, reply_to="amq.gen-x"), LEAGUE, "Wrong reply queue"),
])
def test_what_cannot_be_a_command_is_refused_with_a_reason(raw, properties, partner, title):
    with pytest.raises(Refused) as caught:
        parse(raw, properties, partner)
    assert caught.value.title == title


def test_derived_ids():
    first = ingress_activity_id("portal", "req_1")
    assert first == ingress_activity_id("portal", "req_1") != ingress_activity_id("museum", "req_1")
    assert first.startswith("act_") and len(first) == 30


def test_a_binding_is_one_well_formed_partner_tag():
    assert partner_of({"tags": [f"synergy-partner:{LEAGUE}"]}) == LEAGUE
    assert partner_of({"tags": f"management,synergy-partner:{LEAGUE}"}) == LEAGUE
    for tags in ([], ["administrator"], ["synergy-partner:prt_x"], [f"synergy-partner:{LEAGUE}", "synergy-partner:"
                                                                    + LEAGUE.replace("0", "1")]):
        assert partner_of({"tags": tags}) is None, tags
    assert partner_of(None) is None


def test_the_management_api_is_found_from_the_broker_and_never_shows_its_password():
    api = Management.for_broker("amqp://ops:s%40cret@rabbit.campus:5672/synergy")
    assert (api.base_url, api.username, api.password) == ("http://rabbit.campus:15672", "ops", "s@cret")
    assert "s@cret" not in repr(api)
    assert Management.for_broker("amqps://ops:pw@rabbit/").base_url == "https://rabbit:15671"
    other = Management.for_broker("amqp://ops:pw@rabbit/", "https://admin:other@mgmt.campus:443/rabbit/")
    assert (other.base_url, other.username, other.password) == ("https://mgmt.campus:443/rabbit", "admin", "other")
    same = Management.for_broker("amqp://ops:pw@rabbit/", "http://mgmt:15672")
    assert (same.base_url, same.username, same.password) == ("http://mgmt:15672", "ops", "pw")


class FakeManagement:
    def __init__(self, users: dict):
        self.users, self.asked = users, 0

    def user(self, name: str):
        self.asked += 1
        if self.users is None:
            raise ManagementError("unreachable")
        return self.users.get(name)


def test_bindings_are_read_from_the_broker_and_kept_a_few_seconds():
    now = [0.0]
    api = FakeManagement({"portal": {"tags": [f"synergy-partner:{LEAGUE}"]}})
    bindings = Bindings(api, ttl=10, clock=lambda: now[0])
    assert bindings.partner_of("portal") == LEAGUE and bindings.partner_of("museum") is None
    assert bindings.partner_of("portal") == LEAGUE and api.asked == 2
    api.users = {}  # revoked
    now[0] = 11
    assert bindings.partner_of("portal") is None and api.asked == 3
    api.users = None
    now[0] = 30
    with pytest.raises(ManagementError):
        bindings.partner_of("portal")


def test_a_command_nested_too_deep_is_refused_with_a_reason_not_retried():
    """The same bounds as HTTP bodies (validation.bounded_json): a RecursionError would requeue the message until
    it is dead-lettered, with no answer to the sender."""
    deep = ('{"specversion": "1.0", "id": "req_1", "source": "t", "type": "activity.submit", "data": '
            + "[" * 5000 + "]" * 5000 + "}").encode()
    with pytest.raises(Refused, match="deep"):
        parse(deep, PORTAL, LEAGUE)
