"""The bus ingress knows its senders from the broker alone (issue 11).

A campus system's identity is RabbitMQ's validated ``user_id``; the partner it acts for is the binding of that
broker user (its ``synergy-partner:<id>`` tag), and what it may do is decided by the policy table of HTTP for a
partner key of that partner. Nothing on the bus acts as the coordination group. Answers go only to the sender's
own reply queue ``synergy.replies.<user>``.
"""
from __future__ import annotations

import json
import logging
import re
import uuid

import kombu
import pika
import pytest
from pika.exceptions import NackError

from deploy import bus_access
from services.common.bus import declare_topology, handler_queue
from services.events.ingress import ingress_queue
from tests.e2e.test_walking_skeleton import FACULTY, YOUTH_LEAGUE, register
from tests.integration.test_events_flows import activity
from tests.support.api import eventually
from tests.support.bus_users import campus_users, management, uri_as, vhost_of  # noqa: F401 - a fixture
from tests.support.cli import Synergy
from tests.support.ingress_client import IngressClient, envelope
from tests.support.settle import bus_settled

ACCEPTED, REFUSED, DROPPED = "accepted", "refused", "not executed, not answered"


# --- the ingress queue ------------------------------------------------------------------------------------------

@pytest.mark.broker
def test_the_ingress_queue_refuses_publishes_when_full_instead_of_dropping_requests(vhost_uri):
    """At-least-once dead-lettering needs ``x-overflow: reject-publish`` (else RabbitMQ falls back to at-most-once):
    a full ingress queue refuses the publish (the sender's confirm is a nack) and keeps what it holds."""
    queue = ingress_queue("events", 5)
    with kombu.Connection(vhost_uri) as connection:
        declare_topology(connection)
        queue(connection.channel()).declare()
    vhost = vhost_of(vhost_uri).replace("/", "%2F")
    status, declared = management("GET", f"queues/{vhost}/{queue.name}")
    assert status == 200, status
    expected = dict(handler_queue("events", "x", "y", 5).queue_arguments)  # the one quorum-queue builder's
    assert declared["arguments"] == expected, declared["arguments"]
    assert declared["arguments"]["x-overflow"] == "reject-publish"

    policy = {"pattern": f"^{queue.name}$", "apply-to": "queues", "definition": {"max-length": 1}}
    assert management("PUT", f"policies/{vhost}/ingress-full", policy)[0] in (201, 204)
    eventually(lambda: management("GET", f"queues/{vhost}/{queue.name}")[1].get("policy") == "ingress-full",
               timeout=15)
    accepted = []
    with pika.BlockingConnection(pika.URLParameters(vhost_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        with pytest.raises(NackError):  # a quorum queue's limit is soft: it may take one more, never many
            for number in range(3):
                body = f"request {number}".encode()
                channel.basic_publish("synergy.ingress", "activity.submit", body, pika.BasicProperties(delivery_mode=2))
                accepted.append(body)
        kept = [channel.basic_get(queue.name, auto_ack=True)[2] for _ in accepted]
    assert accepted and kept == accepted, "every request the queue confirmed is still there, the first one included"


# --- granting bus access ---------------------------------------------------------------------------------------

@pytest.mark.broker
def test_a_grant_makes_a_campus_user_and_never_touches_an_operators_user(vhost_uri, caplog):
    vhost = vhost_of(vhost_uri).replace("/", "%2F")
    name, partner = f"campus-grant-{uuid.uuid4().hex[:8]}", "prt_" + "0123456789abcdefghjkmnpqrs"
    with caplog.at_level(logging.DEBUG):
        made = bus_access.grant(vhost_uri, name, partner)
    try:
        assert made.password not in caplog.text and made.password not in repr(made)
        assert management("GET", f"users/{name}")[1]["tags"] == [f"synergy-partner:{partner}"]
        assert management("GET", f"permissions/{vhost}/{name}")[1] == {
            "user": name, "vhost": vhost_of(vhost_uri), "configure": "^$", "write": r"^synergy\.ingress$",
            "read": "^" + re.escape(f"synergy.replies.{name}") + "$"}
        assert management("GET", f"queues/{vhost}/synergy.replies.{name}")[0] == 200
        with pytest.raises(bus_access.AccessRefused):
            bus_access.grant(vhost_uri, name, partner)  # an existing user is never changed, not even the password
        guest = management("GET", "users/guest")[1]
        for user, partner_id in (("guest", partner), (f"{name}-x", partner + ",administrator"),
                                 ("Not A Name", partner), (f"{name}-y", "prt_x")):
            with pytest.raises(bus_access.AccessRefused):
                bus_access.grant(vhost_uri, user, partner_id)
        with pytest.raises(bus_access.AccessRefused):
            bus_access.revoke(vhost_uri, "guest")
        assert management("GET", "users/guest")[1] == guest, "the operators' user is as it was"
        assert management("GET", f"users/{name}-x")[0] == 404
    finally:
        assert bus_access.revoke(vhost_uri, name)
    assert management("GET", f"users/{name}")[0] == 404
    assert management("GET", f"queues/{vhost}/synergy.replies.{name}")[0] == 404


# --- who may do what on the bus ---------------------------------------------------------------------------------

def approved(api, lead: str, co: list[str] | None = None) -> str:
    """An activity the coordination group has approved (ready to publish), made over HTTP."""
    response = api.post("/v1/activities", activity(lead, co or []))
    assert response.status_code == 201, response.text
    activity_id = response.json()["id"]
    for step in ("submit", "approve"):
        assert api.post(f"/v1/activities/{activity_id}/{step}").status_code == 200
    return activity_id


# (sender, command, expected outcome, what the refusal names); A = the partner the "bound" user is bound to
MATRIX = [
    ("bound to A", "submit led by A", ACCEPTED, None),
    ("bound to A", "submit led by B", REFUSED, "lead_organizer"),
    ("bound to A", "submit led by A, claiming B", REFUSED, "partnerid"),
    ("bound to A", "publish A's", ACCEPTED, None),
    ("bound to A", "publish B's", REFUSED, "No activity"),
    ("bound to A", "publish B's, co-organized by A", REFUSED, "Only the lead"),
    *[("unbound user", command, REFUSED, "Unbound sender") for command in (
        "submit led by A", "submit led by B", "publish A's", "publish B's", "publish B's, co-organized by A")],
    *[("the services' own user", command, REFUSED, "Unbound sender") for command in (
        "submit led by A", "submit led by B", "publish A's", "publish B's")],
    *[("bound to A, no user_id", command, DROPPED, None) for command in (
        "submit led by A", "submit led by B", "publish A's", "publish B's")],
]


def reason_of(answer: dict) -> str:
    return " ".join([str(answer.get("title")), str(answer.get("detail")), *answer.get("errors", {})])


@pytest.mark.cluster
def test_bus_senders_may_do_what_their_partner_key_may_and_nothing_else(make_cluster, campus_users):  # noqa: F811
    cluster = make_cluster()
    cluster.start()
    api = cluster.api
    a, b = register(api, FACULTY)["id"], register(api, YOUTH_LEAGUE)["id"]
    activities = cluster.db("events")["activities"]
    with pika.BlockingConnection(pika.URLParameters(cluster.amqp_uri)) as ops:  # the admin's reply queue
        ops.channel().queue_declare("synergy.replies.guest", durable=True)
    bound, unbound = campus_users(a), campus_users(None)
    clients = {"bound to A": IngressClient(bound.uri), "unbound user": IngressClient(unbound.uri),
               "the services' own user": IngressClient(cluster.amqp_uri),
               "bound to A, no user_id": IngressClient(bound.uri)}

    def command(name: str) -> tuple[str, dict, str | None]:
        """(type, data, partnerid) of a command; an activity to publish is made afresh for each row."""
        if name.startswith("submit"):
            return "activity.submit", activity(a if "led by A" in name else b), b if "claiming B" in name else None
        lead, co = (a, None) if name == "publish A's" else (b, [a] if "co-organized" in name else None)
        return "activity.publish", {"activity_id": approved(api, lead, co)}, None

    failures = []
    for sender, name, expected, reason in MATRIX:
        client = clients[sender]
        kind, data, claimed = command(name)
        before = activities.count_documents({})
        message = envelope(kind, data, partner_id=claimed)
        correlation = client.send(json.dumps(message).encode(), kind,
                                  user_id=None if "no user_id" in sender else client.user)
        if expected == DROPPED:
            bus_settled(cluster)
            got, answer = (DROPPED if not client.waiting() else "answered"), {}
        else:
            answer = client.answer(correlation)
            got = answer["status"]
        if got != expected or (reason and reason not in reason_of(answer)):
            failures.append(f"{sender} / {name}: expected {expected} ({reason}), got {got}: {answer}")
        if expected != ACCEPTED:
            published = kind == "activity.publish" and \
                activities.find_one({"_id": data["activity_id"]})["status"] != "approved"
            changed = activities.count_documents({}) != before or published
            if changed:
                failures.append(f"{sender} / {name}: refused, yet it changed something")
    for client in clients.values():
        client.close()
    assert not failures, "\n".join(failures)
    by = {doc["history"][-1]["by"] for doc in activities.find({"origin.channel": "amqp"})}
    assert by == {f"amqp:{bound.name}"}, by


@pytest.mark.cluster
def test_answers_go_only_to_the_senders_own_reply_queue(make_cluster, campus_users):  # noqa: F811
    cluster = make_cluster()
    cluster.start()
    a = register(cluster.api, FACULTY)["id"]
    b = register(cluster.api, YOUTH_LEAGUE)["id"]
    museum, victim = campus_users(a), campus_users(b)
    sender, other = IngressClient(museum.uri), IngressClient(victim.uri)
    activities = cluster.db("events")["activities"]

    # a reply_to naming another system's reply queue: refused, answered on the sender's own queue only
    foreign = sender.ask("activity.submit", activity(a), reply_to=victim.reply_queue)
    assert foreign["status"] == "refused" and "reply_to" in foreign["errors"], foreign
    # or any queue at all (the dead letters, an exclusive queue): the same
    dead = sender.ask("activity.submit", activity(a), reply_to="synergy.dead-letter")
    assert dead["status"] == "refused" and "reply_to" in dead["errors"], dead
    assert activities.count_documents({}) == 0, "a refused request created nothing"
    bus_settled(cluster)
    assert other.waiting() == [], "nothing was written into the other system's queue"

    # without reply_to the answer still goes to the sender's own queue; with its own queue it is answered there
    quiet = sender.ask("activity.submit", activity(a), reply_to=None)
    assert quiet["status"] == "accepted", quiet
    own = sender.ask("activity.submit", activity(a))
    assert own["status"] == "accepted", own
    bus_settled(cluster)
    assert other.waiting() == [] and sender.waiting() == []
    sender.close()
    other.close()


@pytest.mark.cluster
def test_one_command_binds_a_broker_user_while_the_cluster_runs_and_revoking_unbinds_it(make_cluster, tmp_path):
    """``synergy bus-access grant``: user, rights, reply queue and binding through the management API, used at
    once by the running events service (no restart, no file); ``revoke`` takes it all away."""
    cluster = make_cluster()
    cluster.start()
    a = register(cluster.api, FACULTY)["id"]
    synergy = Synergy(tmp_path, SYNERGY_API_URL=cluster.cluster.gateway_url, SYNERGY_API_KEY=cluster.key,
                      AMQP_URI=cluster.amqp_uri)
    name = f"museum-ticketing-{uuid.uuid4().hex[:8]}"
    unknown = synergy("bus-access", "grant", "--user", name, "--partner", "prt_01aaaaaaaaaaaaaaaaaaaaaaaa")
    assert unknown.code == 1 and management("GET", f"users/{name}")[0] == 404, unknown
    result = synergy("bus-access", "grant", "--user", name, "--partner", a, "--json")
    assert result.code == 0, result
    granted = json.loads(result.out)
    try:
        assert granted["reply_queue"] == f"synergy.replies.{name}" and granted["partner_id"] == a
        client = IngressClient(uri_as(cluster.amqp_uri, name, granted["password"]))
        answer = client.ask("activity.submit", activity(a))
        assert answer["status"] == "accepted", answer
        organizers = cluster.api.get(f"/v1/activities/{answer['activity_id']}").json()["organizers"]
        assert [(o["partner_id"], o["role"]) for o in organizers] == [(a, "lead")]
        client.close()
        listed = synergy("bus-access", "list", "--json")
        assert {"user": name, "partner_id": a, "reply_queue": granted["reply_queue"], "on_this_vhost": True} \
            in json.loads(listed.out), listed
    finally:
        assert synergy("bus-access", "revoke", "--user", name).code == 0
    assert management("GET", f"users/{name}")[0] == 404
    assert synergy("bus-access", "revoke", "--user", name).code == 1, "nothing left to revoke"
    with pytest.raises(pika.exceptions.ProbableAuthenticationError):
        IngressClient(uri_as(cluster.amqp_uri, name, granted["password"]))
    assert sum(granted["password"] in text for text in synergy.outputs) == 1, "the password is shown once"
    logs = "".join(path.read_text(errors="replace") for path in (tmp_path / "log").glob("*") if path.is_file())
    assert granted["password"] not in logs


@pytest.mark.cluster
def test_a_suspended_partners_bus_user_is_refused_like_its_keys_and_deep_json_is_refused(make_cluster,
                                                                                         campus_users):  # noqa: F811
    """One standing rule on every channel (policy.SILENCED_STANDING): a suspended partner's bound broker user acts no
    more than its API keys, and is heard again once reinstated; a command nested too deep is refused with a reason,
    not retried into the dead letters."""
    cluster = make_cluster()
    cluster.start()
    api = cluster.api
    a = register(api, FACULTY)["id"]
    client = IngressClient(campus_users(a).uri)
    activities = cluster.db("events")["activities"]
    assert client.ask("activity.submit", activity(a))["status"] == "accepted"

    assert api.post(f"/v1/partners/{a}/suspend", {"reason": "audit"}).status_code == 200
    refused = client.ask("activity.submit", activity(a))
    assert refused["status"] == "refused" and "suspended" in refused["detail"], refused
    assert activities.count_documents({}) == 1, "the refused command made nothing"

    assert api.post(f"/v1/partners/{a}/reinstate", {"reason": "cleared"}).status_code == 200
    assert client.ask("activity.submit", activity(a))["status"] == "accepted"

    deep = ('{"specversion": "1.0", "id": "evt_deep", "source": "test", "type": "activity.submit", "data": '
            + "[" * 5000 + "]" * 5000 + "}")
    correlation = client.send(deep.encode(), "activity.submit")
    answer = client.answer(correlation)
    assert answer["status"] == "refused" and answer["title"] == "Malformed request", answer
    assert activities.count_documents({}) == 2
    client.close()
