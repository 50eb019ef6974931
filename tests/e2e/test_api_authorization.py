"""Who may do what, over HTTP against the real cluster: every route, every kind of principal, on objects it owns
and objects it does not. Adding a route means adding a row to MATRIX (a test fails until every documented
operation has one).

Columns: ``admin`` (bootstrap key), ``staff``, ``campus`` (read-only campus system), ``own`` (a museum's key on
the museum's own objects), ``other`` (the same key on another partner's objects), ``co`` (a co-organizer's key on
an activity it co-organizes, and on the museum's other objects; None where it means nothing), ``anon`` (no key).
Expected: OK (any 2xx) or a status. Where an allowed caller meets a rule of the service (check-in opens three
hours before the start, ...), the row expects the service's status: the policy let it through.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from tests.support.api import eventually
from tests.support.contract import check_answer
from tests.support.world import (
    Side,
    World,
    agreement_body,
    answered,
    build_world,
    endpoint_body,
    import_csv,
    issue_key,
    lecture,
    partner_body,
    person_body,
    shift_body,
)

pytestmark = pytest.mark.cluster

OK = "2xx"
COLUMNS = ("admin", "staff", "campus", "own", "other", "co", "anon")


@dataclass
class Row:
    method: str
    path: str                       # placeholders: see PLACES
    expect: dict[str, object]
    body: Callable[[World, Side], dict | str] | None = None   # a str is sent as text/csv
    headers: dict[str, str] | None = None


def row(spec: str, admin, staff, campus, own, other, co, anon, body=None, headers=None) -> Row:
    method, path = spec.split(" ", 1)
    return Row(method, path, dict(zip(COLUMNS, (admin, staff, campus, own, other, co, anon), strict=True)), body,
               headers)


PUBLIC = dict(admin=OK, staff=OK, campus=OK, own=OK, other=OK, co=OK, anon=OK)
ADMIN_ONLY = dict(admin=OK, staff=403, campus=403, own=403, other=403, co=403, anon=401)
# Routes of one partner's objects: the coordination group, and the partner itself; everyone else is told nothing.
PARTNERS_OWN = dict(admin=OK, staff=OK, campus=403, own=OK, other=404, co=404, anon=401)
ANY_KEY = dict(admin=OK, staff=OK, campus=OK, own=OK, other=OK, co=OK, anon=401)
READ_ALL = dict(admin=OK, staff=OK, campus=OK, own=403, other=403, co=403, anon=401)
STAFF_ONLY = dict(admin=OK, staff=OK, campus=403, own=403, other=403, co=403, anon=401)
# an activity's organizers (lead and co-organizers) and the coordination group; others do not see the activity
ORGANIZERS = dict(admin=OK, staff=OK, campus=403, own=OK, other=404, co=OK, anon=401)
# the lead organizer and the coordination group: a co-organizer may see the activity (403), others may not (404)
LEAD_ONLY = dict(admin=OK, staff=OK, campus=403, own=OK, other=404, co=403, anon=401)

# a partner's path naming another partner's object (``{foreign_...}``): not found for anyone who may ask
MIXED = dict(admin=404, staff=404, campus=403, own=404, other=404, co=404, anon=401)

EDIT = {"If-Match": "*"}
SINCE = {"since": "2026-01-01T00:00:00+00:00"}
CONTRIBUTIONS = {"contributions": [{"kind": "speakers", "committed": "two speakers"}]}
TASKS = {"tasks": [{"title": "Print posters", "due_at": "2026-12-01T10:00:00+08:00"}]}
RUBRIC = {"criteria": [{"key": key, "label": {"zh": key}, "weight": 20} for key in (
    "legal_qualification", "resource_fit", "reputation", "safety_compliance", "past_performance")]}

MATRIX = [
    # system
    row("GET /health", **PUBLIC),
    row("GET /ready", **PUBLIC),
    row("GET /metrics", **READ_ALL),
    row("GET /openapi.json", **PUBLIC),
    row("GET /docs", **PUBLIC),
    row("GET /v1/catalogue/events", **PUBLIC),
    # partners                                  admin staff campus own  other co    anon
    row("POST /v1/partners",                    OK,   OK,   403,   403, 403,  403,  401,
        body=lambda w, s: partner_body()),
    row("GET /v1/partners",                     OK,   OK,   OK,    403, 403,  403,  401),
    row("GET /v1/partners.csv",                 **READ_ALL),
    row("POST /v1/partners/import",             OK,   OK,   403,   403, 403,  403,  401,
        body=lambda w, s: import_csv()),
    row("GET /v1/partners/imports/{import}",    **STAFF_ONLY),
    row("POST /v1/partners/recommendations",    **STAFF_ONLY, body=lambda w, s: {"themes": ["history"]}),
    row("GET /v1/partner-review-rubric",        **STAFF_ONLY),
    row("PUT /v1/partner-review-rubric",        **ADMIN_ONLY, body=lambda w, s: RUBRIC, headers=EDIT),
    row("GET /v1/partners/{partner}",           OK,   OK,   OK,    OK,  404,  404,  401),
    row("PATCH /v1/partners/{partner}",         **PARTNERS_OWN, body=lambda w, s: {"description": "Our museum"},
        headers=EDIT),
    row("GET /v1/partners/{partner}/history",   OK,   OK,   OK,    OK,  404,  404,  401),
    row("GET /v1/partners/{partner}/review",    **PARTNERS_OWN),
    row("POST /v1/partners/{reviewing}/review/evidence", OK, OK, 403, 404, 404, 404, 401,
        body=lambda w, s: {"title": "Licence", "ref": "https://example.org/licence.pdf"}),
    row("POST /v1/partners/{partner}/review/evidence", 409, 409, 403, 409, 404, 404, 401,  # not under review
        body=lambda w, s: {"title": "Licence", "ref": "https://example.org/licence.pdf"}),
    # qualification and the partner's standing: the coordination group only
    row("POST /v1/partners/{candidate}/review", **ADMIN_ONLY),
    row("POST /v1/partners/{reviewing}/review/scores", **ADMIN_ONLY,
        body=lambda w, s: {"reviewer": "张", "scores": {"legal_qualification": 5, "resource_fit": 5, "reputation": 4,
                                                      "safety_compliance": 4, "past_performance": 3}}),
    row("POST /v1/partners/{scored}/review/decision", **ADMIN_ONLY,
        body=lambda w, s: {"outcome": "approved", "reason": "qualified"}),
    row("POST /v1/partners/{spare}/suspend",    **ADMIN_ONLY, body=lambda w, s: {"reason": "paused"}),
    row("POST /v1/partners/{spare}/retire",     **ADMIN_ONLY, body=lambda w, s: {"reason": "closed"}),
    row("POST /v1/partners/{suspended}/reinstate", **ADMIN_ONLY, body=lambda w, s: {"reason": "back"}),
    row("GET /v1/partners/{partner}/inbox",     **PARTNERS_OWN),
    row("POST /v1/partners/{partner}/inbox/{item}", **PARTNERS_OWN, body=lambda w, s: {"read": True}),
    # agreements: signed and linked by the coordination group; a partner reads its own, one by one or as a list
    row("POST /v1/agreements",                  OK,   OK,   403,   403, 403,  403,  401,
        body=lambda w, s: agreement_body(s.partner)),
    row("GET /v1/agreements",                   **STAFF_ONLY),
    row("GET /v1/agreements/{agreement}",       **PARTNERS_OWN),
    row("GET /v1/partners/{partner}/agreements", **PARTNERS_OWN),
    row("POST /v1/agreements/{agreement}/activities", **STAFF_ONLY,
        body=lambda w, s: {"activity_id": s.published}),
    row("POST /v1/agreements/check",            **ADMIN_ONLY),
    # activities
    row("POST /v1/activities",                  OK,   OK,   403,   OK,  403,  403,  401,
        body=lambda w, s: lecture(s.partner, [s.co])),
    row("GET /v1/activities",                   **ANY_KEY),
    row("GET /v1/activities?status=draft",      OK,   OK,   OK,    403, 403,  403,  401),
    row("GET /v1/activities?status=draft&organizer={partner}", OK, OK, OK, OK, 403, 403, 401),
    row("GET /v1/calendar.ics",                 **PUBLIC),
    # everyone's participation: the coordination group, staff and the read-only campus system, never a partner
    row("GET /v1/participation?term=2026-autumn", OK, OK, OK,  403, 403,  403,  401),
    row("GET /v1/participation.csv?term=2026-autumn", OK, OK, OK, 403, 403, 403, 401),
    row("GET /v1/activities/{activity}",        OK,   OK,   OK,    OK,  404,  OK,   401),
    row("PATCH /v1/activities/{unsubmitted}",   **LEAD_ONLY, body=lambda w, s: {"description": "Updated"},
        headers=EDIT),
    row("POST /v1/activities/{unsubmitted}/submit", **LEAD_ONLY),
    row("POST /v1/activities/{submitted}/approve", **ADMIN_ONLY, body=lambda w, s: {"comments": "fine"}),
    row("POST /v1/activities/{submitted}/return", **ADMIN_ONLY, body=lambda w, s: {"reasons": ["add a speaker"]}),
    row("POST /v1/activities/{draft}/publish",  **LEAD_ONLY),
    row("POST /v1/activities/{draft}/cancel",   **LEAD_ONLY, body=lambda w, s: {"reason": "speaker ill"}),
    row("POST /v1/activities/{draft}/postpone", **LEAD_ONLY, body=lambda w, s: {"reason": "hall closed"}),
    row("POST /v1/activities/{draft}/start",    409,  409,  403,   409, 404,  403,  401),
    row("POST /v1/activities/{draft}/complete", 409,  409,  403,   409, 404,  403,  401),
    row("POST /v1/activities/{draft}/archive",  409,  409,  403,   403, 403,  403,  401),
    row("POST /v1/activities/{unsubmitted}/occurrences", **LEAD_ONLY,
        body=lambda w, s: {"starts_at": "2026-12-12T10:00:00+08:00", "ends_at": "2026-12-12T12:00:00+08:00"}),
    row("POST /v1/activities/{unsubmitted}/organizers", **LEAD_ONLY,
        body=lambda w, s: {"partner_id": w.fresh_partner()}),
    # a co-organizer changes its own part; the lead any part; nobody else
    row("PUT /v1/activities/{activity}/organizers/{co}/contributions", OK, OK, 403, 403, 404, OK, 401,
        body=lambda w, s: CONTRIBUTIONS, headers=EDIT),
    row("PUT /v1/activities/{activity}/organizers/{partner}/contributions", **LEAD_ONLY,
        body=lambda w, s: CONTRIBUTIONS, headers=EDIT),
    row("PUT /v1/activities/{activity}/organizers/{co}/tasks", OK, OK, 403, 403, 404, OK, 401, body=lambda w, s: TASKS,
        headers=EDIT),
    row("PUT /v1/activities/{activity}/organizers/{partner}/tasks", **LEAD_ONLY, body=lambda w, s: TASKS,
        headers=EDIT),
    # venues
    row("POST /v1/venues",                      OK,   OK,   403,   403, 403,  403,  401,
        body=lambda w, s: {"name": "Reading room", "kind": "library_space"}),
    row("GET /v1/venues",                       **ANY_KEY),
    row("GET /v1/venues/{venue}",               **ANY_KEY),
    # registrations, check-in, volunteers: the activity's organizers and the coordination group
    row("POST /v1/activities/{published}/registrations", **ORGANIZERS, body=lambda w, s: person_body()),
    row("GET /v1/activities/{published}/registrations", **ORGANIZERS),
    row("GET /v1/activities/{published}/registrations/{registration}", **ORGANIZERS),
    row("POST /v1/activities/{published}/registrations/{fresh_registration}/cancel", **ORGANIZERS),
    row("POST /v1/activities/{published}/check-ins", 409, 409, 403, 409, 404, 409, 401,
        body=lambda w, s: {"code": "ABCD2345"}),
    row("POST /v1/activities/{published}/volunteer-roles", **LEAD_ONLY,
        body=lambda w, s: {"name": {"zh": "摄影", "en": "Photographer"}}),
    row("POST /v1/activities/{published}/volunteer-shifts", **LEAD_ONLY, body=lambda w, s: shift_body(s.role)),
    row("GET /v1/activities/{published}/volunteer-shifts", OK, OK, OK, OK, 404, OK, 401),
    row("GET /v1/activities/{published}/volunteers", **ORGANIZERS),
    row("POST /v1/activities/{published}/volunteers", **ORGANIZERS,
        body=lambda w, s: {**person_body(), "shift_id": s.shift}),
    row("POST /v1/activities/{published}/volunteers/{fresh_signup}/cancel", **ORGANIZERS),
    row("POST /v1/activities/{published}/volunteers/{signup}/hours", **ORGANIZERS, body=lambda w, s: {"hours": 1}),
    # people: their record and inbox are for the coordination group (and read-only campus systems: the record)
    row("GET /v1/people/{person}/participation", OK, OK,  OK,    403, 403,  403,  401),
    row("GET /v1/people/{person}/inbox",        **STAFF_ONLY),
    row("POST /v1/people/{person}/inbox/{person_item}", **STAFF_ONLY,
        body=lambda w, s: {"read": True}),
    row("GET /v1/people/{person}/notification-preferences", **STAFF_ONLY),
    row("PUT /v1/people/{person}/notification-preferences", **STAFF_ONLY,
        body=lambda w, s: {"language": "en", "email": f"{s.person}@example.edu"},
        headers=EDIT),
    row("GET /v1/coordination-group/inbox",     **STAFF_ONLY),
    row("POST /v1/coordination-group/inbox/{group_item}", **STAFF_ONLY,
        body=lambda w, s: {"read": True}),
    # evaluation
    row("GET /v1/activities/{published}/surveys", OK, OK,   OK,    OK,  404,  OK,   401),
    row("GET /v1/activities/{published}/surveys/immediate", OK, OK, OK, OK, 404, OK, 401),
    row("PUT /v1/activities/{published}/surveys/immediate/questions", **ORGANIZERS,
        body=lambda w, s: {"questions": []}, headers=EDIT),
    row("POST /v1/activities/{published}/surveys/immediate/close", 409, 409, 403, 403, 403, 403, 401),
    # a survey token comes as `Authorization: Survey svt_…` (never in the path): no API key answers a survey
    row("GET /respond", **PUBLIC),               # the static page of invitation links (the token in its fragment)
    row("GET /v1/respond",                      401,  401,  401,   401, 401,  401,  401),
    row("POST /v1/respond",                     401,  401,  401,   401, 401,  401,  401,
        body=lambda w, s: {"answers": {"knowledge": 5}}),
    row("GET /v1/scores",                       **READ_ALL),
    row("GET /v1/terms/2026-autumn/synergy",    **READ_ALL),
    row("PUT /v1/terms/2026-autumn/plan",       **STAFF_ONLY,
        body=lambda w, s: {"targets": [{"dimension": "all", "target": 5}]}, headers=EDIT),
    row("GET /v1/terms/2026-autumn/plan",       **READ_ALL),
    row("GET /v1/terms/2026-autumn/report",     **READ_ALL),
    row("GET /v1/terms/2026-autumn/report?unit={partner}", OK, OK, OK, OK, 404, 404, 401),
    row("GET /v1/terms/2026-autumn/report/term-end", 404, 404, 404, 403, 403, 403, 401),  # none kept yet
    # notify: a partner's endpoints and deliveries are its own
    row("POST /v1/webhook-endpoints",           OK,   OK,   403,   OK,  403,  403,  401,
        body=lambda w, s: endpoint_body(s.partner)),
    row("GET /v1/webhook-endpoints/{endpoint}", OK,   OK,   403,   OK,  404,  404,  401),
    row("GET /v1/webhook-endpoints/{endpoint}/deliveries", OK, OK, 403, OK, 404, 404, 401),
    row("POST /v1/partners/{partner}/webhook-endpoints", OK, OK, 403, OK, 403, 403, 401,
        body=lambda w, s: {"url": "http://127.0.0.1:9/other", "event_types": ["activity.published"]}),
    row("GET /v1/partners/{partner}/webhook-endpoints", **PARTNERS_OWN),
    row("GET /v1/partners/{partner}/webhook-endpoints/{endpoint}", **PARTNERS_OWN),
    row("PATCH /v1/partners/{partner}/webhook-endpoints/{endpoint}", **PARTNERS_OWN,
        body=lambda w, s: {"description": "our CMS"}, headers=EDIT),
    row("POST /v1/partners/{partner}/webhook-endpoints/{endpoint}/rotate-secret", **PARTNERS_OWN,
        body=lambda w, s: {"overlap_hours": 1}),
    row("GET /v1/partners/{partner}/webhook-endpoints/{endpoint}/deliveries", **PARTNERS_OWN),
    row("POST /v1/partners/{partner}/webhook-endpoints/{endpoint}/replay", **PARTNERS_OWN,
        body=lambda w, s: SINCE),
    row("GET /v1/partners/{partner}/webhook-deliveries/{delivery}", **PARTNERS_OWN),
    row("POST /v1/partners/{partner}/webhook-deliveries/{delivery}/replay", 409, 409, 403, 409, 404, 404, 401),
    # one's own path with another partner's object in it: nobody gets the object that way
    row("GET /v1/partners/{partner}/webhook-endpoints/{foreign_endpoint}", **MIXED),
    row("PATCH /v1/partners/{partner}/webhook-endpoints/{foreign_endpoint}", **MIXED,
        body=lambda w, s: {"description": "not ours"}, headers=EDIT),
    row("GET /v1/partners/{partner}/webhook-deliveries/{foreign_delivery}", **MIXED),
    row("POST /v1/partners/{partner}/inbox/{foreign_item}", **MIXED, body=lambda w, s: {"read": True}),
    row("GET /v1/activities/{published}/registrations/{foreign_registration}", **MIXED),
    row("POST /v1/activities/{published}/registrations/{foreign_registration}/cancel", **MIXED),
    row("POST /v1/activities/{published}/volunteers/{foreign_signup}/hours", **MIXED,
        body=lambda w, s: {"hours": 1}),
    # emails that could not be sent carry people's addresses: the admin only
    row("GET /v1/notify/emails",                **ADMIN_ONLY),
    row("POST /v1/notify/emails/eml_unknown/retry", 404, 403, 403, 403, 403, 403, 401),
    # API keys: the admin only
    row("POST /v1/api-keys", **ADMIN_ONLY, body=lambda w, s: {"kind": "staff", "label": "another"}),
    row("GET /v1/api-keys", **ADMIN_ONLY),
    row("GET /v1/api-keys/{key}", **ADMIN_ONLY),
    row("PATCH /v1/api-keys/{key}", **ADMIN_ONLY, body=lambda w, s: {"label": "relabelled"}, headers=EDIT),
    row("POST /v1/api-keys/{key}/revoke", **ADMIN_ONLY),
]

# A registration's surveys, for API keys (attendee tokens on the registration routes: test_api_attendees.py). No
# registration is made here: the allowed reach the events service and hear that there is none. The attendee page.
MATRIX += [
    row("GET /v1/activities/{published}/registrations/reg_none/surveys", 404, 404, 403, 404, 404, 404, 401),
    row("GET /attendee", **PUBLIC),
]


def operations_of(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def _pattern(document: dict, method: str, path: str) -> str:
    """A documented path as a pattern: a parameter limited to a few words (``{step}``) matches only those."""
    words = {p["name"]: p["schema"]["enum"] for p in document["paths"][path][method.lower()].get("parameters", [])
             if p["in"] == "path" and "enum" in p.get("schema", {})}

    def part(found: re.Match) -> str:
        name = found.group(1)
        return "(?:" + "|".join(map(re.escape, words[name])) + ")" if name in words else "[^/]+"
    return re.sub(r"\\\{([^}]+)\\\}", part, re.escape(path))


def documented_operation(document: dict, method: str, path: str) -> tuple[str, str]:
    """The documented operation a row's path falls under (``{step}`` routes serve several verbs)."""
    path = path.split("?", 1)[0]
    if method.lower() in document["paths"].get(path, {}):
        return method, path
    for op_method, op_path in sorted(operations_of(document)):
        if op_method == method and re.fullmatch(_pattern(document, op_method, op_path), path):
            return op_method, op_path
    return method, path


# Every documented operation has a row; an entry here would name one that cannot have one yet (none can't).
PENDING_ROWS: set[tuple[str, str]] = set()

# placeholder -> the documented parameter it stands for, and how a column's side fills it in
PLACES: dict[str, tuple[str, Callable[[World, Side], str]]] = {
    "{partner}": ("{partner_id}", lambda w, s: s.partner),
    "{co}": ("{partner_id}", lambda w, s: s.co),
    "{activity}": ("{activity_id}", lambda w, s: s.published),
    "{published}": ("{activity_id}", lambda w, s: s.published),
    "{draft}": ("{activity_id}", lambda w, s: w.fresh_draft(s)),          # approved: ready to publish
    "{unsubmitted}": ("{activity_id}", lambda w, s: w.fresh_draft(s, steps=())),
    "{submitted}": ("{activity_id}", lambda w, s: w.fresh_draft(s, steps=("submit",))),
    "{endpoint}": ("{endpoint_id}", lambda w, s: s.endpoint),
    "{agreement}": ("{agreement_id}", lambda w, s: s.agreement),
    "{registration}": ("{registration_id}", lambda w, s: s.registration),
    "{fresh_registration}": ("{registration_id}", lambda w, s: w.fresh_registration(s)),
    "{signup}": ("{signup_id}", lambda w, s: s.signup),
    "{fresh_signup}": ("{signup_id}", lambda w, s: w.fresh_signup(s)),
    "{delivery}": ("{delivery_id}", lambda w, s: s.delivery),
    "{item}": ("{item_id}", lambda w, s: s.item),
    "{person}": ("{person_id}", lambda w, s: s.person),
    "{person_item}": ("{item_id}", lambda w, s: s.person_item),
    "{group_item}": ("{item_id}", lambda w, s: w.group_item),
    "{venue}": ("{venue_id}", lambda w, s: w.venue),
    "{import}": ("{import_id}", lambda w, s: w.import_id),
    "{candidate}": ("{partner_id}", lambda w, s: w.fresh_partner("outside", "museum")),
    "{reviewing}": ("{partner_id}", lambda w, s: w.fresh_review()),
    "{scored}": ("{partner_id}", lambda w, s: w.fresh_review(scored=True)),
    "{spare}": ("{partner_id}", lambda w, s: w.fresh_partner()),
    "{suspended}": ("{partner_id}", lambda w, s: w.fresh_partner(suspended=True)),
    "{key}": ("{key_id}", lambda w, s: s.key),
    "{foreign_endpoint}": ("{endpoint_id}", lambda w, s: w.across(s).endpoint),
    "{foreign_delivery}": ("{delivery_id}", lambda w, s: w.across(s).delivery),
    "{foreign_item}": ("{item_id}", lambda w, s: w.across(s).item),
    "{foreign_registration}": ("{registration_id}", lambda w, s: w.across(s).registration),
    "{foreign_signup}": ("{signup_id}", lambda w, s: w.across(s).signup),
}


def template(path: str) -> str:
    path = path.split("?", 1)[0]
    for placeholder, (name, _) in PLACES.items():
        path = path.replace(placeholder, name)
    return path


def resolve(world: World, entry: Row, column: str) -> str:
    side = world.other if column == "other" else world.own
    path = entry.path
    if "{key}" in path and "revoke" in path:
        path = path.replace("{key}", world.fresh_key())
    for placeholder, (_, value) in PLACES.items():
        if placeholder in path:
            path = path.replace(placeholder, value(world, side))
    return path


def counts(cluster) -> dict[str, int]:
    return {"partners": cluster.db("partners")["partners"].count_documents({}),
            "agreements": cluster.db("partners")["agreements"].count_documents({}),
            "activities": cluster.db("events")["activities"].count_documents({}),
            "venues": cluster.db("events")["venues"].count_documents({}),
            "endpoints": cluster.db("notify")["endpoints"].count_documents({}),
            "keys": cluster.db("gateway")["api_keys"].count_documents({})}


# creating routes -> what they add to (one document per allowed call)
CREATES = {"/v1/partners": "partners", "/v1/partners/import": "partners", "/v1/agreements": "agreements",
           "/v1/activities": "activities", "/v1/activities/{unsubmitted}/occurrences": "activities",
           "/v1/venues": "venues", "/v1/webhook-endpoints": "endpoints",
           "/v1/partners/{partner}/webhook-endpoints": "endpoints", "/v1/api-keys": "keys"}


def other_side_as_it_stands(world: World) -> dict:
    """What the ``other`` column's refused writes might have changed on the other partner's objects."""
    admin, side = world.admin, world.other
    partner = answered(admin.get(f"/v1/partners/{side.partner}"))
    endpoint = answered(admin.get(f"/v1/partners/{side.partner}/webhook-endpoints/{side.endpoint}"))
    activity = answered(admin.get(f"/v1/activities/{side.published}"))
    registration = answered(admin.get(f"/v1/activities/{side.published}/registrations/{side.registration}"))
    volunteering = answered(admin.get(f"/v1/activities/{side.published}/volunteers"))
    inbox = answered(admin.get(f"/v1/partners/{side.partner}/inbox", params={"limit": 200}))["items"]
    return {"partner": {k: partner.get(k) for k in ("name", "description", "contacts", "status", "review")},
            "endpoint": {k: endpoint.get(k) for k in ("url", "description", "event_types", "rotation_ends_at")},
            "activity": {k: activity.get(k) for k in ("status", "description", "organizers", "sequence")},
            "registration": registration["state"],
            "signup": [(s["state"], s.get("hours")) for s in volunteering["signups"] if s["signup_id"] == side.signup],
            "item": [item.get("read") for item in inbox if item["id"] == side.item],
            "agreement": answered(admin.get(f"/v1/agreements/{side.agreement}")).get("activity_ids")}


def test_every_route_allows_and_denies_each_principal_as_the_policy_says(cluster):
    """Also the contract test: every documented operation is called, every answer checked against the document."""
    world = build_world(cluster.api, cluster.cluster.gateway_url)
    document = world.admin.get("/openapi.json").json()
    documented = operations_of(document)
    covered = {documented_operation(document, entry.method, template(entry.path)) for entry in MATRIX}
    assert documented - covered == PENDING_ROWS, "documented operations without a row in MATRIX (or a row added: " \
                                                 "take it out of PENDING_ROWS)"
    assert covered - documented == set(), "rows for operations that are not documented"

    before, allowed_creates = counts(cluster), dict.fromkeys(CREATES.values(), 0)
    other_before = other_side_as_it_stands(world)
    assert other_before["signup"] and other_before["item"] == [False], other_before
    mismatches = []
    for entry in MATRIX:
        for column, expected in entry.expect.items():
            if expected is None:
                continue
            principal = {"own": "partner", "other": "partner"}.get(column, column)
            api = world.api(principal)
            path = resolve(world, entry, column)
            side = world.other if column == "other" else world.own
            kwargs = {"headers": dict(entry.headers or {})}
            body = entry.body(world, side) if entry.body is not None else None
            if isinstance(body, str):
                kwargs["data"], kwargs["headers"]["Content-Type"] = body.encode(), "text/csv"
            elif body is not None:
                kwargs["json"] = body
            response = api.session.request(entry.method, world.base_url + path, timeout=15, **kwargs)
            status = response.status_code
            good = 200 <= status < 300 if expected == OK else status == expected
            if not good:
                mismatches.append(f"{entry.method} {entry.path} as {column}: expected {expected}, got {status} "
                                  f"{response.text[:200]}")
            if status >= 400:
                assert response.headers["content-type"] == "application/problem+json", (entry.path, column)
            mismatches += check_answer(document, entry.method, documented_operation(
                document, entry.method, template(entry.path))[1], response)
            if 200 <= status < 300 and entry.method == "POST" and entry.path in CREATES:
                allowed_creates[CREATES[entry.path]] += 1
    assert not mismatches, "\n".join(mismatches)

    # the museum's key was refused every change to the other partner's objects: they are as they were
    assert other_side_as_it_stands(world) == other_before

    # refused requests stored nothing: every new document is one an allowed request (or the test) made
    made_here = {"activities": len(world.own.fresh_drafts) + len(world.other.fresh_drafts),
                 "keys": len(world.fresh_keys), "partners": len(world.fresh_partners)}
    after = counts(cluster)
    for name in before:
        assert after[name] == before[name] + allowed_creates[name] + made_here.get(name, 0), name


# What each reader sees of a listing: whole where it may read the activity, else the public fields only.
WHOLE_ONLY = {"reviews", "history", "origin"}


def check_reader_views(world: World) -> list[str]:
    """Every column's listing: the own side's published activity and the other side's, whole or public."""
    mismatches = []
    sees_whole = {"admin": (True, True), "staff": (True, True), "campus": (True, True), "own": (True, False),
                  "co": (True, False)}
    for column, (own_whole, other_whole) in sees_whole.items():
        principal = {"own": "partner"}.get(column, column)
        items = {item["id"]: item for item in answered(world.api(principal).get("/v1/activities",
                                                                                params={"limit": 200}))["items"]}
        for side, whole in ((world.own, own_whole), (world.other, other_whole)):
            item = items.get(side.published)
            if item is None or (WHOLE_ONLY <= set(item)) != whole or \
                    any("contributions" in org for org in item["organizers"]) != whole:
                mismatches.append(f"GET /v1/activities as {column}: {side.published} whole={not whole}: {item}")
    return mismatches


def check_suspended_partner_keys(world: World) -> list[str]:
    """A suspended partner's key is refused (403) on every route that takes a key."""
    partner = world.fresh_partner()
    api = world.api("anon")
    api.session.headers["Authorization"] = f"Bearer {issue_key(world.admin, 'partner', partner)['key']}"
    assert api.get(f"/v1/partners/{partner}").status_code == 200
    answered(world.admin.post(f"/v1/partners/{partner}/suspend", {"reason": "audit"}))
    eventually(lambda: api.get(f"/v1/partners/{partner}").status_code == 403, timeout=20)
    mismatches = []
    for entry in MATRIX:
        if entry.expect["anon"] != 401 or set(entry.expect.values()) == {401}:
            continue  # a public route (no key asked), or one that takes no API key at all (a survey token)
        response = api.session.request(entry.method, world.base_url + resolve(world, entry, "own"), timeout=15,
                                       json=None)
        if response.status_code != 403 or "suspended" not in response.json().get("detail", ""):
            mismatches.append(f"{entry.method} {entry.path} with a suspended partner's key: {response.status_code}")
    return mismatches


def test_each_reader_sees_its_view_of_listings_and_a_suspended_partners_key_is_refused_everywhere(cluster):
    world = build_world(cluster.api, cluster.cluster.gateway_url)
    answered(world.admin.put(f"/v1/activities/{world.other.published}/organizers/{world.other.co}/contributions",
                             CONTRIBUTIONS, headers=EDIT))
    mismatches = check_reader_views(world) + check_suspended_partner_keys(world)
    assert not mismatches, "\n".join(mismatches)
