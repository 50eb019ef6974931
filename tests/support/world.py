"""A small world of partners, activities, endpoints and API keys for tests of who may do what.

Each partner's ``Side`` holds one of every object a route may act on (an agreement, a registration, a volunteer
shift and sign-up, a webhook delivery, inbox items, a person); objects that a call uses up (a registration to
cancel, a partner to suspend) are made fresh per call by the ``fresh_*`` methods and remembered, so that a test
can tell what it made itself from what a request stored.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from services.common.clock import isoformat, utcnow
from tests.support.activities import REVIEW_SCORES, publish_through_approval, qualify
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


def person_body() -> dict:
    n = next(_names)
    return {"person_id": f"s2026{n:04d}", "email": f"s2026{n:04d}@example.edu", "language": "en"}


def agreement_body(partner: str) -> dict:
    return {"partner_id": partner, "scope": "Joint lectures", "starts_on": "2026-09-01", "ends_on": "2027-08-31",
            "signed_by": [{"party": "counterpart", "name": "王馆长", "signed_on": "2026-08-20"},
                          {"party": "partner", "name": "Director", "signed_on": "2026-08-21"}]}


def shift_body(role_id: str) -> dict:
    """A shift that has begun (so hours may be confirmed) and is not over (so people may sign up)."""
    now = utcnow()
    return {"role_id": role_id, "starts_at": isoformat(now - timedelta(hours=1)),
            "ends_at": isoformat(now + timedelta(days=30)), "places": 1000}


def created(response) -> dict:
    assert response.status_code == 201, response.text
    return response.json()


def answered(response) -> dict:
    assert 200 <= response.status_code < 300, response.text
    return response.json()


@dataclass
class Side:
    """What one partner owns: itself, a draft and a published activity (co-organized by ``co``), an endpoint, and
    around the published activity a registration, a volunteer sign-up, a webhook delivery and inbox items."""

    partner: str
    co: str
    draft: str
    published: str
    endpoint: str
    key: str            # the id of one API key bound to this partner
    agreement: str = ""
    registration: str = ""
    person: str = ""    # the person who registered
    role: str = ""
    shift: str = ""
    signup: str = ""
    delivery: str = ""
    item: str = ""      # an item of the partner's inbox
    person_item: str = ""  # an item of the person's inbox
    fresh_drafts: list[str] = field(default_factory=list)


@dataclass
class World:
    admin: Api
    base_url: str
    own: Side
    other: Side
    keys: dict[str, str]   # principal name -> API key text
    key_ids: dict[str, str]
    venue: str = ""
    import_id: str = ""
    group_item: str = ""    # an item of the coordination group's inbox
    fresh_keys: list[str] = field(default_factory=list)
    fresh_partners: list[str] = field(default_factory=list)

    def api(self, principal: str) -> Api:
        return Api(self.base_url, self.keys.get(principal))

    def across(self, side: Side) -> Side:
        """The other partner's side."""
        return self.other if side is self.own else self.own

    def fresh_draft(self, side: Side, steps: tuple[str, ...] = ("submit", "approve")) -> str:
        """A new activity of the side, taken through ``steps``: by default submitted and approved by the
        coordination group, ready to be published."""
        activity = created(self.admin.post("/v1/activities", lecture(side.partner, [side.co])))
        for step in steps:
            assert self.admin.post(f"/v1/activities/{activity['id']}/{step}").status_code == 200
        side.fresh_drafts.append(activity["id"])
        return activity["id"]

    def fresh_key(self) -> str:
        key_id = created(self.admin.post("/v1/api-keys", {"kind": "staff", "label": "to revoke"}))["id"]
        self.fresh_keys.append(key_id)
        return key_id

    def fresh_partner(self, level: str = "campus", kind: str = "faculty", suspended: bool = False) -> str:
        """A partner nobody else uses: to suspend, review or add as a co-organizer."""
        partner_id = created(self.admin.post("/v1/partners", partner_body(kind, level)))["id"]
        self.fresh_partners.append(partner_id)
        if suspended:
            answered(self.admin.post(f"/v1/partners/{partner_id}/suspend", {"reason": "paused"}))
        return partner_id

    def fresh_review(self, scored: bool = False) -> str:
        """An outside partner under review (with the scoresheets a decision needs, when ``scored``)."""
        partner_id = self.fresh_partner("outside", "museum")
        answered(self.admin.post(f"/v1/partners/{partner_id}/review"))
        for reviewer in ("张", "李") if scored else ():
            answered(self.admin.post(f"/v1/partners/{partner_id}/review/scores",
                                     {"reviewer": reviewer, "scores": REVIEW_SCORES}))
        return partner_id

    def fresh_registration(self, side: Side) -> str:
        return created(self.admin.post(f"/v1/activities/{side.published}/registrations",
                                       person_body()))["registration_id"]

    def fresh_signup(self, side: Side) -> str:
        return created(self.admin.post(f"/v1/activities/{side.published}/volunteers",
                                       {**person_body(), "shift_id": side.shift}))["signup_id"]


def issue_key(admin: Api, kind: str, partner_id: str | None = None) -> dict:
    body = {"kind": kind, "label": f"{kind} key"}
    if partner_id:
        body["partner_id"] = partner_id
    return created(admin.post("/v1/api-keys", body))


def _first_item(admin: Api, path: str) -> str:
    return eventually(lambda: next(iter(answered(admin.get(path))["items"]), None), timeout=20)["id"]


def _furnish(admin: Api, side: Side) -> None:
    """The objects around a side's published activity, and what notify made of them."""
    activity = f"/v1/activities/{side.published}"
    side.agreement = created(admin.post("/v1/agreements", agreement_body(side.partner)))["id"]
    person = person_body()
    side.person = person["person_id"]
    side.registration = created(admin.post(f"{activity}/registrations", person))["registration_id"]
    roles = created(admin.post(f"{activity}/volunteer-roles", {"name": {"zh": "引导", "en": "Guide"}}))["roles"]
    side.role = roles[0]["role_id"]
    side.shift = created(admin.post(f"{activity}/volunteer-shifts", shift_body(side.role)))["shifts"][0]["shift_id"]
    side.signup = created(admin.post(f"{activity}/volunteers",
                                     {**person_body(), "shift_id": side.shift}))["signup_id"]
    side.delivery = _first_item(admin, f"/v1/partners/{side.partner}/webhook-endpoints/{side.endpoint}/deliveries")
    side.item = _first_item(admin, f"/v1/partners/{side.partner}/inbox")
    side.person_item = _first_item(admin, f"/v1/people/{side.person}/inbox")


def build_world(admin: Api, base_url: str) -> World:
    museum, archive, league, faculty = (created(admin.post("/v1/partners", body)) for body in (
        partner_body("museum"), partner_body("archive"), partner_body("youth_league", "campus"),
        partner_body("faculty", "campus")))
    sides = []
    for outside in (museum, archive):
        qualify(admin, outside["id"])
    for lead, co in ((museum["id"], league["id"]), (archive["id"], faculty["id"])):
        endpoint = created(admin.post("/v1/webhook-endpoints", endpoint_body(lead)))["id"]
        draft = created(admin.post("/v1/activities", lecture(lead, [co])))["id"]
        published = created(admin.post("/v1/activities", lecture(lead, [co])))["id"]
        assert publish_through_approval(admin, published).status_code == 200
        key = issue_key(admin, "partner", lead)["id"]
        sides.append(Side(partner=lead, co=co, draft=draft, published=published, endpoint=endpoint, key=key))
    for side in sides:
        eventually(lambda s=side: admin.get(f"/v1/activities/{s.published}/surveys").status_code == 200, timeout=20)
        _furnish(admin, side)
    keys, key_ids = {"admin": "", "anon": ""}, {}
    for name, kind, partner in (("staff", "staff", None), ("campus", "campus_system", None),
                                ("partner", "partner", museum["id"]), ("co", "partner", league["id"])):
        issued = issue_key(admin, kind, partner)
        keys[name], key_ids[name] = issued["key"], issued["id"]
    keys["admin"] = admin.session.headers["Authorization"].removeprefix("Bearer ")
    keys["anon"] = None
    venue = created(admin.post("/v1/venues", {"name": "Lecture hall", "kind": "library_space"}))["id"]
    imported = admin.session.post(f"{base_url}/v1/partners/import?mode=partial", timeout=15,
                                  data=import_csv().encode(), headers={"Content-Type": "text/csv"})
    group_item = _first_item(admin, "/v1/coordination-group/inbox")
    return World(admin=admin, base_url=base_url, own=sides[0], other=sides[1], keys=keys, key_ids=key_ids,
                 venue=venue, import_id=answered(imported)["import_id"], group_item=group_item)


def import_csv() -> str:
    """One partner to import, named afresh each time."""
    n = next(_names)
    return f"name_zh,name_en,level,kind\n导入{n},Imported {n},campus,faculty\n"
