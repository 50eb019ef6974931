"""A small world of partners, activities, endpoints and API keys for tests of who may do what."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from tests.support.activities import publish_through_approval, qualify
from tests.support.api import Api, eventually

_names = itertools.count(1)


def partner_body(kind: str = "museum", level: str = "outside") -> dict:
    n = next(_names)
    return {"name": {"zh": f"伙伴{n}", "en": f"Partner {n}"}, "level": level, "kind": kind}


def lecture(lead: str, co: list[str]) -> dict:
    return {"title": {"zh": "讲座", "en": "Lecture"}, "activity_type": "lecture", "paths": ["activity"],
            "starts_at": "2026-12-05T10:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00",
            "lead_organizer": lead, "co_organizers": co}


def endpoint_body(owner: str, url: str = "http://127.0.0.1:9/hook") -> dict:
    return {"owner_partner_id": owner, "url": url, "event_types": ["activity.published"]}


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


@dataclass
class Side:
    """What one partner owns: itself, a draft and a published activity (co-organized by ``co``), an endpoint."""

    partner: str
    co: str
    draft: str
    published: str
    endpoint: str
    key: str            # the id of one API key bound to this partner
    fresh_drafts: list[str] = field(default_factory=list)


@dataclass
class World:
    admin: Api
    base_url: str
    own: Side
    other: Side
    keys: dict[str, str]   # principal name -> API key text
    key_ids: dict[str, str]
    fresh_keys: list[str] = field(default_factory=list)

    def api(self, principal: str) -> Api:
        return Api(self.base_url, self.keys.get(principal))

    def fresh_draft(self, side: Side) -> str:
        """A new activity, submitted and approved by the coordination group: ready to be published."""
        activity = created(self.admin.post("/v1/activities", lecture(side.partner, [side.co])))
        for step in ("submit", "approve"):
            assert self.admin.post(f"/v1/activities/{activity['id']}/{step}").status_code == 200
        side.fresh_drafts.append(activity["id"])
        return activity["id"]

    def fresh_key(self) -> str:
        key_id = created(self.admin.post("/v1/api-keys", {"kind": "staff", "label": "to revoke"}))["id"]
        self.fresh_keys.append(key_id)
        return key_id


def issue_key(admin: Api, kind: str, partner_id: str | None = None) -> dict:
    body = {"kind": kind, "label": f"{kind} key"}
    if partner_id:
        body["partner_id"] = partner_id
    return created(admin.post("/v1/api-keys", body))


def build_world(admin: Api, base_url: str) -> World:
    museum, archive, league, faculty = (created(admin.post("/v1/partners", body)) for body in (
        partner_body("museum"), partner_body("archive"), partner_body("youth_league", "campus"),
        partner_body("faculty", "campus")))
    sides = []
    for outside in (museum, archive):
        qualify(admin, outside["id"])
    for lead, co in ((museum["id"], league["id"]), (archive["id"], faculty["id"])):
        draft = created(admin.post("/v1/activities", lecture(lead, [co])))["id"]
        published = created(admin.post("/v1/activities", lecture(lead, [co])))["id"]
        assert publish_through_approval(admin, published).status_code == 200
        endpoint = created(admin.post("/v1/webhook-endpoints", endpoint_body(lead)))["id"]
        key = issue_key(admin, "partner", lead)["id"]
        sides.append(Side(partner=lead, co=co, draft=draft, published=published, endpoint=endpoint, key=key))
    for side in sides:
        eventually(lambda s=side: admin.get(f"/v1/activities/{s.published}/surveys").status_code == 200, timeout=20)
    keys, key_ids = {"admin": "", "anon": ""}, {}
    for name, kind, partner in (("staff", "staff", None), ("campus", "campus_system", None),
                                ("partner", "partner", museum["id"]), ("co", "partner", league["id"])):
        issued = issue_key(admin, kind, partner)
        keys[name], key_ids[name] = issued["key"], issued["id"]
    keys["admin"] = admin.session.headers["Authorization"].removeprefix("Bearer ")
    keys["anon"] = None
    return World(admin=admin, base_url=base_url, own=sides[0], other=sides[1], keys=keys, key_ids=key_ids)
