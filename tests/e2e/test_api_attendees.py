"""Attendees reach only their own registration, with the token they were sent, over HTTP on the real cluster.

Who may do what with API keys is the matrix of test_api_authorization.py; this is the same question for the one
principal that is not an API key: each row is a route called with an attendee token on the token's own
registration (``own``), on another registration of the same activity (``other``), with a well-formed token that
was never issued (``forged``), with a malformed one (``malformed``), and with the token sent as a bearer key
(``as_key``). Then the token's whole life: shown once, mailed in the confirmation only, never stored or logged.
"""
from __future__ import annotations

import secrets
from urllib.parse import parse_qs

import pytest

from tests.support.activities import publish_through_approval
from tests.support.api import Api, eventually
from tests.support.smtp_server import SmtpServer
from tests.support.world import created, lecture, partner_body

pytestmark = pytest.mark.cluster

OK = "2xx"
PAGE = "https://campus.example/my-registration"
REGISTRATION = "/v1/activities/{activity}/registrations/{registration}"

# route                                               own   other forged malformed as_key
ATTENDEE_MATRIX = [
    ("GET " + REGISTRATION,                            OK,   404,  401,   401,      401),
    ("GET " + REGISTRATION + "/surveys",               OK,   404,  401,   401,      401),
    ("POST " + REGISTRATION + "/cancel",               OK,   404,  401,   401,      401),
    # no other route takes an attendee token, not even those of the same registration's activity
    ("GET /v1/activities/{activity}",                  401,  401,  401,   401,      401),
    ("GET /v1/activities/{activity}/registrations",    401,  401,  401,   401,      401),
    ("GET /v1/activities/{activity}/surveys",          401,  401,  401,   401,      401),
    ("POST /v1/activities/{activity}/check-ins",       401,  401,  401,   401,      401),
    ("GET /v1/people/{person}/participation",          401,  401,  401,   401,      401),
    ("GET /v1/people/{person}/inbox",                  401,  401,  401,   401,      401),
    ("PUT /v1/people/{person}/notification-preferences", 401, 401, 401,   401,      401),
    ("GET /v1/partners",                               401,  401,  401,   401,      401),
]
COLUMNS = ("own", "other", "forged", "malformed", "as_key")


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def register(admin: Api, activity_id: str, person: str) -> dict:
    made = admin.post(f"/v1/activities/{activity_id}/registrations", {"person_id": person,
                                                                      "email": f"{person}@uni.edu"})
    assert made.status_code == 201, made.text
    return made.json()


def link_in(message) -> dict[str, str]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    line = next(line for line in text.splitlines() if line.startswith(PAGE))
    return {key: values[0] for key, values in parse_qs(line.split("#", 1)[1]).items()}


def test_an_attendee_token_opens_its_own_registration_and_nothing_else(make_cluster, smtp):
    cluster = make_cluster()
    cluster.start(extra_env={**smtp.env, "ATTENDEE_PAGE_URL": PAGE})
    admin, base = cluster.api, cluster.cluster.gateway_url
    faculty = created(admin.post("/v1/partners", partner_body("faculty", "campus")))
    activity = created(admin.post("/v1/activities", lecture(faculty["id"], []) | {"capacity": 1}))
    assert publish_through_approval(admin, activity["id"]).status_code == 200
    aid = activity["id"]

    # the token is shown once: in the answer to the registration (not in a replay of it) and in the confirmation
    first = admin.post(f"/v1/activities/{aid}/registrations", {"person_id": "stu_li", "email": "stu_li@uni.edu"},
                       headers={"Idempotency-Key": "li-1"})
    assert first.status_code == 201, first.text
    li = first.json()
    replay = admin.post(f"/v1/activities/{aid}/registrations", {"person_id": "stu_li", "email": "stu_li@uni.edu"},
                        headers={"Idempotency-Key": "li-1"})
    assert replay.headers["Idempotent-Replayed"] == "true" and "attendee_token" not in replay.json()
    wu = register(admin, aid, "stu_wu")
    assert li["attendee_token"].startswith("att_") and (li["state"], wu["state"]) == ("confirmed", "waitlisted")
    confirmation = eventually(lambda: smtp.to("stu_li@uni.edu"), timeout=20)[0]
    assert link_in(confirmation) == {"activity": aid, "registration": li["registration_id"],
                                     "token": li["attendee_token"]}
    waitlisted = eventually(lambda: smtp.to("stu_wu@uni.edu"), timeout=20)[0]
    assert link_in(waitlisted)["token"] == wu["attendee_token"]
    inbox = admin.get("/v1/people/stu_li/inbox").text
    assert li["attendee_token"] not in inbox, "the inbox (which staff may read) never shows the token"

    # the matrix: li's token on li's registration, on wu's, a forged one, a malformed one, li's token as a key
    forged = "att_" + secrets.token_urlsafe(32)
    auth = {"own": f"Attendee {li['attendee_token']}", "other": f"Attendee {li['attendee_token']}",
            "forged": f"Attendee {forged}", "malformed": "Attendee att_short",
            "as_key": f"Bearer {li['attendee_token']}"}
    mismatches = []
    for spec, *expected in ATTENDEE_MATRIX:
        method, path = spec.split(" ", 1)
        for column, want in zip(COLUMNS, expected, strict=True):
            if method == "POST" and path.endswith("/cancel") and column == "own":
                continue  # cancelling is the last act, below
            registration = wu if column == "other" else li
            concrete = path.format(activity=aid, registration=registration["registration_id"], person="stu_li")
            body = {"code": li["code"]} if path.endswith("check-ins") else {"mode": "weekly_digest"} \
                if "preferences" in path else None
            answer = Api(base, None).session.request(method, base + concrete, json=body, timeout=15,
                                                     headers={"Authorization": auth[column]})
            good = 200 <= answer.status_code < 300 if want == OK else answer.status_code == want
            if not good:
                mismatches.append(f"{spec} as {column}: expected {want}, got {answer.status_code} {answer.text[:150]}")
            elif answer.status_code >= 400:
                assert answer.headers["content-type"] == "application/problem+json"
    assert mismatches == []
    assert admin.get(f"/v1/activities/{aid}/registrations/{wu['registration_id']}").json()["state"] == "waitlisted", \
        "another registration was left as it was"

    # what the attendee sees: the state, the place on the waitlist, the code; the surveys' windows
    as_wu = Api(base, None)
    as_wu.session.headers["Authorization"] = f"Attendee {wu['attendee_token']}"
    wu_path = f"/v1/activities/{aid}/registrations/{wu['registration_id']}"
    mine = as_wu.get(wu_path).json()
    assert (mine["state"], mine["waitlist_position"], mine["code"]) == ("waitlisted", 1, None)
    assert "attendee_hash" not in mine and "attendee_token" not in mine
    surveys = eventually(lambda: as_wu.get(wu_path + "/surveys").json()["items"], timeout=20)
    assert [s["stage"] for s in surveys] == ["immediate"] and surveys[0]["status"] == "prepared"
    # li cancels with li's token; wu gets the seat, and sees it with wu's token
    as_li = Api(base, None)
    as_li.session.headers["Authorization"] = f"Attendee {li['attendee_token']}"
    li_path = f"/v1/activities/{aid}/registrations/{li['registration_id']}"
    assert as_li.post(li_path + "/cancel").json()["state"] == "cancelled"
    assert as_li.post(li_path + "/cancel").status_code == 409
    assert as_li.get(li_path).json()["state"] == "cancelled", "a cancelled registration can still be read"
    promoted = as_wu.get(wu_path).json()
    assert promoted["state"] == "confirmed" and promoted["code"] and promoted["waitlist_position"] is None
    assert as_wu.post(wu_path + "/cancel", headers={"Authorization": f"Attendee {forged}"}).status_code == 401
    assert as_wu.get(wu_path).json()["state"] == "confirmed", "refused requests changed nothing"

    # the default page of the link: static, its own script only, calling this origin with the token as a header
    page = Api(base, None).get("/attendee")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src 'sha256-" in page.headers["Content-Security-Policy"] and "Attendee " in page.text
    assert "connect-src 'self'" in page.headers["Content-Security-Policy"] and "http" not in page.text.lower().replace(
        "http-equiv", "")

    # nothing secret is kept: the roster holds hashes; no service logs a token
    stored = cluster.db("events")["rosters"].find_one({"_id": aid})
    kept = str({k: v for k, v in stored.items() if k != "outbox"})
    for token in (li["attendee_token"], wu["attendee_token"]):
        assert token not in kept and token.split("_", 1)[1] not in kept
    cluster.stop()
    logs = "".join(path.read_text(errors="replace") for path in cluster.cluster.log_dir.glob("*.log"))
    assert logs, "the services wrote logs"
    for token in (li["attendee_token"], wu["attendee_token"], forged):
        assert token not in logs and token.split("_", 1)[1] not in logs
