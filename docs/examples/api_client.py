"""An example client of the Synergy HTTP API: what a partner developer's first script looks like.

    python docs/examples/api_client.py http://127.0.0.1:8000 "$(cat var/admin.key)"

As the coordination-group admin it registers two partners and issues the museum an API key; then, as the museum,
it drafts a joint activity (retrying safely with an Idempotency-Key), publishes it, waits for the outcome survey,
and reads its inbox. It shows what the museum's key may not do. Only ``requests`` is needed.
"""
from __future__ import annotations

import sys
import time
import uuid

import requests


class Synergy:
    def __init__(self, base_url: str, key: str):
        self.base = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {key}"

    def call(self, method: str, path: str, body: dict | None = None, *, expect: int = 200, **headers) -> dict:
        response = self.http.request(method, self.base + path, json=body, headers=headers, timeout=15)
        if response.status_code != expect:
            problem = response.json() if response.headers.get("content-type", "").endswith("json") else {}
            raise RuntimeError(f"{method} {path}: {response.status_code} {problem.get('title')}: "
                               f"{problem.get('detail')} {problem.get('errors', '')}")
        return response.json() if response.content else {}

    def create(self, path: str, body: dict) -> dict:
        """A creating POST that may be retried after a network error without creating twice."""
        key = str(uuid.uuid4())
        for attempt in range(3):
            try:
                return self.call("POST", path, body, expect=201, **{"Idempotency-Key": key})
            except requests.ConnectionError:
                time.sleep(2 ** attempt)
        raise RuntimeError(f"POST {path} failed three times")


def main(base_url: str, admin_key: str) -> int:
    admin = Synergy(base_url, admin_key)
    faculty = admin.create("/v1/partners", {"name": {"zh": "历史学院", "en": "School of History"},
                                            "level": "campus", "kind": "faculty"})
    museum = admin.create("/v1/partners", {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"},
                                           "level": "outside", "kind": "science_museum"})
    issued = admin.create("/v1/api-keys", {"kind": "partner", "partner_id": museum["id"], "label": "museum CMS"})
    print(f"museum key {issued['prefix']}… issued (shown once), expires {issued['expires_at']}")

    as_museum = Synergy(base_url, issued["key"])
    activity = as_museum.create("/v1/activities", {
        "title": {"zh": "科学与艺术讲座", "en": "Science and Art lecture"}, "activity_type": "lecture",
        "paths": ["activity", "resources"], "starts_at": "2026-12-05T10:00:00+08:00",
        "ends_at": "2026-12-05T12:00:00+08:00", "venue": "Library lecture hall",
        "lead_organizer": museum["id"], "co_organizers": [faculty["id"]]})
    published = as_museum.call("POST", f"/v1/activities/{activity['id']}/publish")
    print(f"activity {activity['id']} is {published['status']}")

    for _ in range(100):
        response = as_museum.http.get(f"{as_museum.base}/v1/activities/{activity['id']}/surveys", timeout=15)
        if response.status_code == 200:
            print(f"survey prepared: {len(response.json()['surveys'])}")
            break
        time.sleep(0.2)
    else:
        raise RuntimeError("no survey was prepared")
    inbox = as_museum.call("GET", f"/v1/partners/{museum['id']}/inbox")
    print(f"inbox: {len(inbox['items'])} item(s)")

    denied = as_museum.http.get(f"{as_museum.base}/v1/partners/{faculty['id']}", timeout=15)
    print(f"reading another partner: {denied.status_code} ({denied.json()['title']})")
    return 0 if denied.status_code == 404 else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
