"""Tokens and personal data outlive their use no longer: on the real cluster, with a real SMTP server.

One registrant takes part in a completed activity and answers its survey through the link of the invitation
email. The attendee token (from the registration's answer) and the survey token (from the email the SMTP server
received) are then looked for everywhere they must not be: notify's database and email listing, the bus, events'
store and outbox, the gateway's access log; and the response is looked for from its token.
"""
from __future__ import annotations

import hashlib
import json
import re
import secrets
from urllib.parse import unquote

import pytest

from tests.e2e.test_walking_skeleton import FACULTY, register
from tests.integration.test_events_flows import activity, at, ok, published
from tests.support.api import Api, eventually
from tests.support.smtp_server import SmtpServer
from tests.support.tap import Tap

pytestmark = pytest.mark.cluster

ANSWERS = {"knowledge": 5, "confidence": 4, "application": 4, "awareness": 2, "satisfaction": 5}
PERSON, EMAIL = "stu_token", "stu_token@uni.edu"


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def everything_in(db) -> str:
    """Every stored document of a service's database, as one text to search."""
    return "\n".join(str(doc) for name in db.list_collection_names() for doc in db[name].find())


def secret_forms(token: str) -> list[str]:
    """The token, its random part, and the hashes one could keep of it."""
    return [token, token.split("_", 1)[1], hashlib.sha256(token.encode()).hexdigest(),
            hashlib.sha256(b"response:" + token.encode()).hexdigest()[:40]]


@pytest.fixture(scope="module")
def flow(tmp_path_factory, mongo_uri, mongo_client, rabbitmq):
    """The flow of one registrant, run once for the tests of this module."""
    from deploy.launcher import Cluster, isolated_env
    from tests.conftest import ClusterHandle
    from tests.support import broker
    vhost = broker.create_vhost()
    amqp, prefix, key = broker.uri_for(vhost), f"t{secrets.token_hex(4)}_", "syn_admin_" + secrets.token_urlsafe(16)
    log_dir = tmp_path_factory.mktemp("tokens") / "log"
    handle = ClusterHandle(Cluster(env=isolated_env(amqp, mongo_uri, prefix, key), log_dir=log_dir), amqp,
                           mongo_client, prefix, key)
    smtp = SmtpServer().start()
    try:
        handle.start(extra_env=smtp.env)
        yield run_flow(handle, smtp)
    finally:
        handle.cluster.stop()
        smtp.stop()
        for service in ("partners", "events", "evaluation", "notify", "gateway"):
            mongo_client.drop_database(f"{prefix}{service}")
        broker.delete_vhost(vhost)


def run_flow(cluster, smtp) -> dict:
    api, anonymous = cluster.api, Api(cluster.cluster.gateway_url, None)
    tap = Tap(cluster.amqp_uri, "#")
    faculty = register(api, FACULTY)
    made = published(api, activity(faculty["id"], [], capacity=10, starts_at=at(1), ends_at=at(3)))
    path = f"/v1/activities/{made['id']}"
    eventually(lambda: api.get(f"{path}/surveys").status_code == 200, timeout=20)
    registration = ok(api.post(f"{path}/registrations", {"person_id": PERSON, "email": EMAIL}), 201)
    ok(api.post(f"{path}/start"))
    ok(api.post(f"{path}/check-ins", {"code": registration["code"]}))
    ok(api.post(f"{path}/complete"))
    invitation = eventually(lambda: [m for m in smtp.to(EMAIL) if "/respond" in text_of(m)], timeout=40)[0]
    link = next(word for word in text_of(invitation).split() if "/respond" in word)
    survey_token = unquote(re.search(r"(svt_[A-Za-z0-9_%-]+)", link).group(1))
    answer = anonymous.post("/v1/respond", {"answers": ANSWERS}, headers={"Authorization": f"Survey {survey_token}"})
    again = anonymous.post("/v1/respond", {"answers": ANSWERS}, headers={"Authorization": f"Survey {survey_token}"})
    notify = cluster.db("notify")
    eventually(lambda: notify["emails"].count_documents({}) >= 2
               and notify["emails"].count_documents({"state": {"$ne": "sent"}}) == 0, timeout=20)
    bus = [body.decode() for _, body in tap.drain(1.0)]
    tap.close()
    listing = {state: api.get(f"/v1/notify/emails?state={state}").text for state in ("sent", "pending", "failed")}
    return {"cluster": cluster, "api": api, "registration": registration, "attendee_token":
            registration["attendee_token"], "survey_token": survey_token, "link": link, "answer": answer,
            "again": again, "bus": bus, "listing": listing, "activity_id": made["id"]}


def test_sent_emails_keep_no_token_in_the_store_or_the_listing(flow):
    """Defect: sent emails were kept with their text, tokens included, and listed by GET /v1/notify/emails."""
    notify = flow["cluster"].db("notify")
    stored = everything_in(notify)
    assert "sent" in flow["listing"]["sent"] and EMAIL in flow["listing"]["sent"], "the sent emails are listed"
    for token in (flow["attendee_token"], flow["survey_token"]):
        for form in secret_forms(token)[:2]:
            assert form not in stored, "a token is kept in notify's database"
            assert all(form not in text for text in flow["listing"].values()), "a token is listed"


def test_a_response_cannot_be_found_from_its_token(flow):
    """Defect: a response's id was sha256("response:" + token): the token led to the answers."""
    assert flow["answer"].status_code == 201, flow["answer"].text
    assert flow["again"].status_code == 409, "one token answers once"
    evaluation = flow["cluster"].db("evaluation")
    (response,) = list(evaluation["responses"].find())
    kept = str(response)
    for form in secret_forms(flow["survey_token"]) + [PERSON, EMAIL, flow["registration"]["registration_id"]]:
        assert form not in kept, f"the response holds {form[:12]}…"
    assert response["_id"].startswith("rsp_")
    elsewhere = "\n".join(str(doc) for name in evaluation.list_collection_names() if name != "responses"
                          for doc in evaluation[name].find())
    assert response["_id"] not in elsewhere, "nothing else in evaluation names the response"


def test_survey_tokens_ride_in_the_fragment_and_no_log_keeps_them(flow):
    """Defect: survey links were /v1/respond/<token>: the path, which access logs keep."""
    base = flow["cluster"].cluster.gateway_url
    assert flow["link"].startswith("http") and "/respond#" in flow["link"], flow["link"]
    assert flow["survey_token"] not in flow["link"].split("#", 1)[0]
    logs = "".join(p.read_text(errors="replace") for p in flow["cluster"].cluster.log_dir.glob("*.log"))
    assert logs, "the services wrote logs"
    for form in secret_forms(flow["survey_token"])[:2]:
        assert form not in logs, "a log keeps the survey token"
    old = Api(base, None).post(f"/v1/respond/svt_{secrets.token_urlsafe(32)}", {"answers": ANSWERS})
    assert old.status_code in (404, 410) and old.headers["content-type"] == "application/problem+json"
    page = Api(base, None).get("/respond")
    assert page.status_code == 200 and "Survey " in page.text, "the page of the link sends the token as a header"


def test_registration_events_and_outboxes_carry_no_attendee_token(flow):
    """Defect: registration.confirmed carried the plain attendee token into outboxes and dead letters."""
    confirmed = [json.loads(body) for body in flow["bus"] if '"registration.confirmed"' in body]
    assert confirmed, "the registration was announced on the bus"
    events = flow["cluster"].db("events")
    stored = everything_in(events)
    for form in secret_forms(flow["attendee_token"])[:2]:
        assert all(form not in body for body in flow["bus"]), "an event on the bus carries the attendee token"
        assert form not in stored, "events' store (its outbox included) keeps the attendee token"
    assert all("attendee_token" not in event["data"] for event in confirmed)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def test_personal_data_past_retention_leave_notify_and_idempotency_records_expire(make_cluster, smtp):
    """Defect: idempotency records kept answer bodies (the registrant's email) for ever; a person's inbox items
    and preferences were never purged when events anonymised the registrations."""
    cluster = make_cluster()
    cluster.start(extra_env={**smtp.env, "PERSONAL_DATA_RETENTION_DAYS": "0", "EVENTS_SWEEP_SECONDS": "1",
                             "IDEMPOTENCY_KEEP_SECONDS": "3"})
    api = cluster.api
    faculty = register(api, FACULTY)
    made = published(api, activity(faculty["id"], [], capacity=10, starts_at=at(25 / 3600), ends_at=at(30 / 3600)))
    path = f"/v1/activities/{made['id']}"
    ok(api.post(f"{path}/registrations", {"person_id": PERSON, "email": EMAIL},
                headers={"Idempotency-Key": "retention-1"}), 201)
    assert api.put(f"/v1/people/{PERSON}/notification-preferences", {"email": EMAIL}).status_code == 200
    notify, gateway = cluster.db("notify"), cluster.db("gateway")
    eventually(lambda: notify["inbox"].count_documents({"recipient_id": f"person:{PERSON}"}), timeout=20)
    assert EMAIL in str(list(gateway["idempotency"].find())), "the registration's answer is kept for replays"

    eventually(lambda: cluster.db("events")["rosters"].find_one({"_id": made["id"], "anonymised_at": {"$ne": None}}),
               timeout=60)
    # the embedded store removes expired documents when it is next read; MongoDB's TTL monitor runs every 60 s
    eventually(lambda: gateway["idempotency"].count_documents({}) == 0, timeout=90, interval=1)
    eventually(lambda: notify["inbox"].count_documents({"recipient_id": f"person:{PERSON}"}) == 0, timeout=20)
    assert notify["preferences"].find_one({"_id": PERSON}) is None, "the anonymised person's preferences are gone"
    stored = everything_in(notify) + everything_in(gateway)
    assert PERSON not in stored and EMAIL not in stored


def test_the_admin_key_file_is_rotated_and_the_old_key_is_refused(cluster, tmp_path):
    """Defect: the bootstrap admin key never expired and could not be rotated."""
    from services.gateway import keys
    from services.gateway.store import GatewayStore
    store, key_file = GatewayStore(cluster.db("gateway")), tmp_path / "var" / "admin.key"
    base = cluster.cluster.gateway_url

    def status(key: str) -> int:
        return Api(base, key).get("/v1/api-keys").status_code
    assert keys.main(["ensure-admin", "--file", str(key_file)], store=store) == 0
    first = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600 and status(first) == 200
    assert keys.main(["ensure-admin", "--file", str(key_file)], store=store) == 0
    assert key_file.read_text().strip() == first, "a usable key is kept"
    assert keys.main(["rotate-admin", "--file", str(key_file)], store=store) == 0
    second = key_file.read_text().strip()
    assert second != first and key_file.stat().st_mode & 0o777 == 0o600
    assert status(second) == 200 and status(first) == 401, "the old key is refused at once"
    listed = [k for k in Api(base, second).get("/v1/api-keys").json()["items"] if k["kind"] == "admin"]
    assert sorted(k["status"] for k in listed) == ["active", "revoked"] and all(k["expires_at"] for k in listed)


def test_survey_invitation_events_and_outboxes_carry_no_survey_token(flow):
    """The same for survey tokens: survey.invitations_issued carried each invitation's token (to notify)."""
    issued = [json.loads(body) for body in flow["bus"] if '"survey.invitations_issued"' in body]
    assert issued and all("invitation_id" in i for event in issued for i in event["data"]["invitations"])
    stored = everything_in(flow["cluster"].db("evaluation"))
    for form in secret_forms(flow["survey_token"])[:2]:
        assert all(form not in body for body in flow["bus"]), "an event on the bus carries the survey token"
        assert form not in stored, "evaluation's store (its outbox included) keeps the survey token"
