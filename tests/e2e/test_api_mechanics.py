"""The mechanics every route shares, over HTTP on the real cluster: keys, Idempotency-Key, ETag/If-Match,
pages, limits, CORS, metrics, the docs page, the key CLI, and no secret in any log."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deploy.launcher import ROOT
from tests.support.activities import qualify
from tests.support.api import Api, eventually
from tests.support.world import created, endpoint_body, lecture, partner_body

pytestmark = pytest.mark.cluster


def test_keys_idempotency_etags_pages_metrics_docs_and_no_secret_in_the_logs(cluster, webhook_server):
    admin, base = cluster.api, cluster.cluster.gateway_url
    partners = cluster.db("partners")["partners"]

    # a key is shown once, works, shows its prefix in lists, and stops working when revoked
    issued = created(admin.post("/v1/api-keys", {"kind": "staff", "label": "library desk"}))
    staff_key = issued["key"]
    assert staff_key.startswith(issued["prefix"] + "_") and issued["status"] == "active"
    stored = cluster.db("gateway")["api_keys"].find_one({"_id": issued["id"]})
    assert staff_key not in json.dumps(stored, default=str) and stored["hash"] != staff_key
    listed = admin.get("/v1/api-keys").json()["items"]
    assert [k["prefix"] for k in listed] == [issued["prefix"]] and "key" not in listed[0]
    staff = Api(base, staff_key)
    museum = created(staff.post("/v1/partners", partner_body()))

    # Idempotency-Key: the same key and body answer the first answer again, and nothing is made twice
    body, headers = partner_body(), {"Idempotency-Key": "register-42"}
    first = staff.post("/v1/partners", body, headers=headers)
    again = staff.post("/v1/partners", body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert partners.count_documents({"name.en": body["name"]["en"]}) == 1
    other = staff.post("/v1/partners", partner_body(), headers=headers)
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency_key_reused")
    refused = staff.post("/v1/partners", {"name": {"zh": "x"}}, headers={"Idempotency-Key": "bad-1"})
    assert refused.status_code == 422
    fixed = staff.post("/v1/partners", partner_body(), headers={"Idempotency-Key": "bad-1"})
    assert fixed.status_code == 201, "a refused request does not use up its Idempotency-Key"
    # a replayed creation does not show a secret a second time
    hook = endpoint_body(museum["id"], webhook_server.url + "/hooks")
    shown = staff.post("/v1/webhook-endpoints", hook, headers={"Idempotency-Key": "hook-1"})
    replay = staff.post("/v1/webhook-endpoints", hook, headers={"Idempotency-Key": "hook-1"})
    assert shown.json()["secret"].startswith("whsec_") and "secret" not in replay.json()
    assert replay.json()["id"] == shown.json()["id"]
    assert cluster.db("notify")["endpoints"].count_documents({}) == 1
    idempotency_records = json.dumps(list(cluster.db("gateway")["idempotency"].find()), default=str)
    assert shown.json()["secret"] not in idempotency_records

    # ETag and If-None-Match; If-Match on an update: missing 428, stale 412, current 200
    read = admin.get(f"/v1/partners/{museum['id']}")
    assert read.headers["ETag"]
    assert admin.get(f"/v1/partners/{museum['id']}", headers={"If-None-Match": read.headers["ETag"]}).status_code == 304
    key_path = f"/v1/api-keys/{issued['id']}"
    etag = admin.get(key_path).headers["ETag"]
    assert admin.session.patch(base + key_path, json={"label": "x"}).status_code == 428
    assert admin.session.patch(base + key_path, json={"label": "desk 2"}, headers={"If-Match": etag}).status_code == 200
    stale = admin.session.patch(base + key_path, json={"label": "desk 3"}, headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["content-type"] == "application/problem+json"
    assert admin.get(key_path).json()["label"] == "desk 2"

    # cursor pages with a Link to the next one
    first_page = admin.get("/v1/partners", params={"limit": 2})
    assert len(first_page.json()["items"]) == 2 and first_page.json()["next_cursor"]
    assert 'rel="next"' in first_page.headers["Link"]
    rest = admin.get("/v1/partners", params={"limit": 50, "after": first_page.json()["next_cursor"]}).json()["items"]
    assert {p["id"] for p in first_page.json()["items"]}.isdisjoint({p["id"] for p in rest})
    assert len(first_page.json()["items"]) + len(rest) == partners.count_documents({})

    # unknown routes and methods are problems too
    nowhere = staff.get("/v1/nowhere")
    assert nowhere.status_code == 404 and nowhere.headers["content-type"] == "application/problem+json"
    wrong = staff.session.delete(base + "/v1/catalogue/events")
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "GET"
    assert wrong.headers["content-type"] == "application/problem+json"

    # size limit
    huge = staff.post("/v1/partners", data=b'{"a":"' + b"x" * (1 << 20) + b'"}',
                      headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"

    # metrics: requests by route and status, events published and consumed, webhook outcomes, dead letters
    qualify(cluster.api, museum["id"])  # an outside institution organizes only once qualified
    activity = created(staff.post("/v1/activities", lecture(museum["id"], [])))
    assert staff.post(f"/v1/activities/{activity['id']}/submit").status_code == 200
    assert cluster.api.post(f"/v1/activities/{activity['id']}/approve").status_code == 200
    assert staff.post(f"/v1/activities/{activity['id']}/publish").status_code == 200
    eventually(lambda: webhook_server.to("/hooks"), timeout=20)

    def scraped() -> str:
        return cluster.api.get("/metrics").text  # a key: the scrape is not public
    text = eventually(lambda: 'synergy_webhook_deliveries_total{outcome="delivered",service="notify"}' in scraped()
                      and scraped(), timeout=20)
    for expected in ('synergy_http_requests_total{method="POST",route="register_partner",status="201"}',
                     'synergy_events_published_total{service="partners",type="partner.registered"}',
                     'synergy_events_consumed_total{outcome="handled",service="evaluation",type="activity.published"}',
                     'synergy_queue_messages{queue="synergy.dead-letter"} 0.0',
                     "synergy_http_request_duration_seconds_bucket"):
        assert expected in text, expected

    # the readable docs page lists every operation; no script or style is fetched from elsewhere
    page = Api(base, None).get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for path in Api(base, None).get("/openapi.json").json()["paths"]:
        assert path in page.text
    assert "src=" not in page.text and "http://" not in page.text.replace(webhook_server.url, "")

    # the key CLI works on the same keys
    env = dict(cluster.cluster.env)
    made = subprocess.run([sys.executable, "-m", "services.gateway.keys", "create", "--kind", "campus_system",
                           "--label", "second classroom"], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True)
    cli_key = json.loads(made.stdout)
    campus = Api(base, cli_key["key"])
    assert campus.get("/v1/partners").status_code == 200
    assert campus.post("/v1/partners", partner_body()).status_code == 403
    subprocess.run([sys.executable, "-m", "services.gateway.keys", "revoke", cli_key["id"]], cwd=ROOT, env=env,
                   capture_output=True, check=True)
    assert campus.get("/v1/partners").status_code == 401
    assert admin.post(f"/v1/api-keys/{issued['id']}/revoke").json()["status"] == "revoked"
    assert staff.get("/v1/partners").status_code == 401

    # no secret in any log line of any service
    cluster.stop()
    logs = "".join(path.read_text(errors="replace") for path in cluster.cluster.log_dir.glob("*.log"))
    assert all(f"{service} ready" in logs for service in ("partners", "events", "evaluation", "notify", "gateway")), \
        "every service's log was read"
    for secret in (staff_key, cli_key["key"], cluster.key, shown.json()["secret"]):
        assert secret not in logs
        # its random part, after "syn_<prefix>_" or "whsec_" (which may hold "_" itself: its last piece alone
        # can be as short as "0", found in any log)
        assert secret.split("_", 2)[-1] not in logs


def test_rate_limits_answer_429_with_retry_after_and_cors_allows_only_configured_origins(make_cluster):
    handle = make_cluster()
    handle.start(extra_env={"API_RATE_LIMIT_PER_MINUTE": "5", "CORS_ALLOWED_ORIGINS": "https://campus.example"})
    api = handle.api
    answers = []
    while len(answers) < 30 and not any(a.status_code == 429 for a in answers):
        answers.append(api.get("/v1/partners"))
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429, statuses
    limited = answers[-1]
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
    assert Api(handle.cluster.gateway_url, None).get("/health").status_code == 200, "probes are never limited"

    preflight = api.session.options(handle.cluster.gateway_url + "/v1/partners",
                                    headers={"Origin": "https://campus.example",
                                             "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://campus.example"
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"]
    elsewhere = Api(handle.cluster.gateway_url, None).get("/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in elsewhere.headers


def test_a_service_that_does_not_answer_gives_503_with_retry_after_not_a_hanging_request(make_cluster):
    handle = make_cluster()
    handle.start(extra_env={"GATEWAY_RPC_TIMEOUT_SECONDS": "2"})
    handle.stop("partners")
    down = eventually(lambda: (answer := Api(handle.cluster.gateway_url, None).get("/ready")).status_code == 503
                      and answer.json())  # /ready answers from a cache of 2 s
    assert "error" in down["services"]["partners"]
    slow = Api(handle.cluster.gateway_url, handle.key).get("/v1/activities/act_01aaaaaaaaaaaaaaaaaaaaaaaa")
    assert slow.status_code == 404, "other services still answer"
    waiting = handle.api.get("/v1/partners")  # the RPC waits in the queue; the gateway stops waiting after 2 s
    assert waiting.status_code == 503, waiting.text
    assert waiting.headers["Retry-After"] and waiting.headers["content-type"] == "application/problem+json"
