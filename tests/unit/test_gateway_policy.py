"""The policy decides alone, and every route asks it: decisions on fake ownership facts, the route audit,
API keys, the rate limiter and the OpenAPI document built from the routes."""
from __future__ import annotations

import ast
import inspect
import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from services.common.errors import Forbidden, NotFound
from services.common.metrics import merge
from services.common.policy import (
    ADMIN,
    ADMIN_ONLY,
    ANYONE,
    ATTENDEE,
    CAMPUS_SYSTEM,
    PARTNER,
    RULES,
    STAFF,
    Principal,
    authorize,
)
from services.gateway import openapi
from services.gateway.apikeys import ApiKey, hash_key, looks_like_key
from services.gateway.ratelimit import RateLimiter
from services.gateway.service import GatewayService

MUSEUM, ARCHIVE, LEAGUE = "prt_museum", "prt_archive", "prt_league"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


class Facts:
    organizers = {"act_m": [{"partner_id": MUSEUM, "role": "lead"}, {"partner_id": LEAGUE, "role": "co_organizer"}],
                  "act_a": [{"partner_id": ARCHIVE, "role": "lead"}]}
    owners = {"ep_m": MUSEUM, "ep_a": ARCHIVE}
    parties = {"agr_m": {MUSEUM, LEAGUE}, "agr_a": {ARCHIVE}}

    def organizers_of(self, activity_id):
        if activity_id not in self.organizers:
            raise NotFound(f"No activity {activity_id}.")
        return self.organizers[activity_id]

    def endpoint_owner(self, endpoint_id):
        if endpoint_id not in self.owners:
            raise NotFound(f"No endpoint {endpoint_id}.")
        return self.owners[endpoint_id]

    def agreement_parties(self, agreement_id):
        if agreement_id not in self.parties:
            raise NotFound(f"No agreement {agreement_id}.")
        return self.parties[agreement_id]


def who(kind, partner=None):
    return Principal(kind=kind, key_id=f"key_{kind}", partner_id=partner, facts=Facts())


museum, league = who(PARTNER, MUSEUM), who(PARTNER, LEAGUE)
attendee = Principal(kind=ATTENDEE, key_id="attendee:reg_1", activity_id="act_m", registration_id="reg_1")

# (principal, action, resource, expected: None = allowed, or the error)
DECISIONS = [
    (who(ADMIN), "anything.at_all", {}, None),
    (who(STAFF), "partner.register", {}, None),
    (who(STAFF), "apikey.create", {}, Forbidden),
    (who(STAFF), "partner.approve", {}, Forbidden),
    (who(CAMPUS_SYSTEM), "activity.read", {"activity_id": "act_a"}, None),
    (who(CAMPUS_SYSTEM), "activity.publish", {"activity_id": "act_a"}, Forbidden),
    (who(CAMPUS_SYSTEM), "inbox.read", {"partner_id": MUSEUM}, Forbidden),
    (museum, "partner.read", {"partner_id": MUSEUM}, None),
    (museum, "partner.read", {"partner_id": ARCHIVE}, NotFound),
    (museum, "partner.list", {}, Forbidden),
    (museum, "inbox.read", {"partner_id": ARCHIVE}, NotFound),
    (museum, "activity.create", {"partner_id": MUSEUM}, None),
    (museum, "activity.create", {"partner_id": ARCHIVE}, Forbidden),
    (museum, "activity.create", {"partner_id": None}, Forbidden),
    (museum, "activity.read", {"activity_id": "act_m"}, None),
    (museum, "activity.read", {"activity_id": "act_a"}, NotFound),
    (museum, "activity.read", {"activity_id": "act_missing"}, NotFound),
    (museum, "activity.publish", {"activity_id": "act_m"}, None),
    (league, "activity.publish", {"activity_id": "act_m"}, Forbidden),
    (league, "activity.read", {"activity_id": "act_m"}, None),
    (museum, "survey.read", {"activity_id": "act_a"}, NotFound),
    (museum, "endpoint.read", {"endpoint_id": "ep_m"}, None),
    (museum, "endpoint.read", {"endpoint_id": "ep_a"}, NotFound),
    (museum, "delivery.list", {"endpoint_id": "ep_missing"}, NotFound),
    (museum, "endpoint.register", {"partner_id": ARCHIVE}, Forbidden),
    (museum, "apikey.list", {}, Forbidden),
    (museum, "agreement.read", {"agreement_id": "agr_m"}, None),
    (league, "agreement.read", {"agreement_id": "agr_m"}, None),  # the campus unit on the other side
    (museum, "agreement.read", {"agreement_id": "agr_a"}, NotFound),
    (museum, "agreement.read", {"agreement_id": "agr_missing"}, NotFound),
    (who(CAMPUS_SYSTEM), "agreement.read", {"agreement_id": "agr_m"}, Forbidden),
    (museum, "some.new_action", {}, Forbidden),
    (who(PARTNER, None), "partner.read", {"partner_id": None}, Forbidden),
    (None, "calendar.read", {}, None),  # no key: only what anyone may do
    (None, "activity.list", {}, Forbidden),
    (None, "participation.export", {}, Forbidden),
    # an attendee: its own registration only (and only on the routes that take attendee tokens, see http.py)
    (attendee, "registration.read", {"activity_id": "act_m", "registration_id": "reg_1"}, None),
    (attendee, "registration.cancel", {"activity_id": "act_m", "registration_id": "reg_1"}, None),
    (attendee, "registration.surveys", {"activity_id": "act_m", "registration_id": "reg_1"}, None),
    (attendee, "registration.read", {"activity_id": "act_m", "registration_id": "reg_2"}, NotFound),
    (attendee, "registration.cancel", {"activity_id": "act_a", "registration_id": "reg_1"}, NotFound),
    (attendee, "registration.list", {"activity_id": "act_m"}, Forbidden),
    (attendee, "activity.read", {"activity_id": "act_m"}, Forbidden),
    (attendee, "survey.read", {"activity_id": "act_m"}, Forbidden),
    (museum, "registration.read", {"activity_id": "act_m", "registration_id": "reg_1"}, None),
    (who(CAMPUS_SYSTEM), "registration.surveys", {"activity_id": "act_m", "registration_id": "reg_1"}, Forbidden),
]


@pytest.mark.parametrize(("principal", "action", "resource", "expected"), DECISIONS)
def test_the_policy_decides(principal, action, resource, expected):
    if expected is None:
        authorize(principal, action, **resource)
    else:
        with pytest.raises(expected):
            authorize(principal, action, **resource)


def test_a_hidden_object_is_answered_like_a_missing_one():
    with pytest.raises(NotFound) as hidden:
        authorize(museum, "activity.read", activity_id="act_a")
    with pytest.raises(NotFound) as missing:
        authorize(museum, "activity.read", activity_id="act_missing")
    assert hidden.value.message.replace("act_a", "X") == missing.value.message.replace("act_missing", "X")


def route_functions():
    for name, member in inspect.getmembers(GatewayService, inspect.isfunction):
        if getattr(member, "nameko_entrypoints", None) and hasattr(member, "route_doc"):
            yield name, member


def actions_asked(member, node: ast.expr) -> list[str]:
    """The action names a route may ask: a constant, or an f-string over the route's ``<any(...):name>`` part,
    expanded for every value the URL rule admits."""
    (entrypoint,) = member.nameko_entrypoints
    return [action for _, action in openapi.action_names(entrypoint.url, node)]


def test_every_protected_route_asks_the_policy_first_about_an_action_it_knows():
    seen = set()
    for name, member in route_functions():
        tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(member))))
        body = [node for node in tree.body[0].body if not isinstance(node, ast.Expr) or
                not isinstance(node.value, ast.Constant)]  # skip the docstring
        call = body[0].value if isinstance(body[0], ast.Expr) else None
        asks = isinstance(call, ast.Call) and getattr(call.func, "id", None) == "authorize"
        if member.route_doc.public:  # no key: if it asks, it asks about an action anyone may take
            assert not asks or set(actions_asked(member, call.args[1])) <= ANYONE, name
            continue
        assert asks, name
        later = [node for node in ast.walk(tree) if isinstance(node, ast.Call) and node is not call
                 and getattr(node.func, "id", None) == "authorize"]  # a further question on some requests
        for asked in (call, *later):
            for action in actions_asked(member, asked.args[1]):
                assert action in RULES or action in ADMIN_ONLY, f"{name}: {action} is in neither RULES nor ADMIN_ONLY"
                seen.add(action)
    assert set(RULES) <= seen | {"apikey"}, f"rules for actions no route asks: {set(RULES) - seen}"


def test_api_keys_are_random_prefixed_hashed_and_expire():
    key, text = ApiKey.issue(kind=STAFF, label="desk", partner_id=None, valid_for=timedelta(days=1), now=NOW,
                             created_by="t")
    other, other_text = ApiKey.issue(kind=STAFF, label="desk", partner_id=None, valid_for=timedelta(days=1),
                                     now=NOW, created_by="t")
    assert text.startswith(key.prefix + "_") and looks_like_key(text) and text != other_text
    assert key.hash == hash_key(text) and text not in str(key.view(NOW))
    assert key.usable(NOW) and not key.usable(NOW + timedelta(days=1))
    assert key.view(NOW + timedelta(days=2))["status"] == "expired"
    key.revoke(NOW, "admin")
    assert not key.usable(NOW) and key.view(NOW)["status"] == "revoked"
    assert key.principal() == Principal(STAFF, key.id)
    with pytest.raises(ValueError):
        ApiKey.issue(kind=PARTNER, label="x", partner_id=None, valid_for=timedelta(days=1), now=NOW, created_by="t")


def test_the_rate_limiter_lets_a_burst_through_then_asks_to_wait():
    clock = [0.0]
    limiter = RateLimiter(3, clock=lambda: clock[0])
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k")
    assert wait == pytest.approx(20.0) and RateLimiter.retry_after(wait) == "20"
    assert limiter.take("other") == 0.0
    clock[0] = 20.0
    assert limiter.take("k") == 0.0
    assert RateLimiter(0).take("k") == 0.0


def test_the_openapi_document_describes_every_route_from_the_service_schemas():
    document = openapi.build(GatewayService)
    assert document["openapi"] == "3.1.0"
    operations = {(op.method, op.path) for op in openapi.operations(GatewayService)}
    assert ("POST", "/v1/activities") in operations and ("GET", "/v1/partners/{partner_id}") in operations
    documented = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    assert documented == operations
    schemas = document["components"]["schemas"]
    assert schemas["ActivityDraft"]["additionalProperties"] is False
    assert "lead_organizer" in schemas["ActivityDraft"]["required"]
    create = document["paths"]["/v1/activities"]["post"]
    assert create["x-synergy-action"] == "activity.create"
    assert {"401", "403", "422", "429"} <= set(create["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert document["paths"]["/health"]["get"]["security"] == []
    steps = document["paths"]["/v1/activities/{activity_id}/{step}"]["post"]  # two routes, actions per word
    assert steps["x-synergy-action"]["submit"] == "activity.submit"
    assert steps["x-synergy-action"]["approve"] == "activity.approve"
    assert steps["x-synergy-allowed"]["approve"] == ["admin"]
    assert steps["x-synergy-allowed"]["publish"] == ["admin", "staff", "partner (lead)"]
    shifts = document["paths"]["/v1/activities/{activity_id}/volunteer-{part}"]["post"]
    assert shifts["x-synergy-action"] == {"roles": "volunteer.add_role", "shifts": "volunteer.add_shift"}
    page = openapi.render_html(document)
    assert "approve: admin;" in page or "approve: admin</td>" in page
    assert "/v1/webhook-endpoints/{endpoint_id}/deliveries" in page and "<script" not in page
    # two routes on one path and method (lifecycle steps, the coordination group's decisions): one operation
    # whose path part takes the words of both
    (step,) = [p for p in document["paths"]["/v1/activities/{activity_id}/{step}"]["post"]["parameters"]
               if p["name"] == "step"]
    assert {"submit", "publish", "approve", "return", "cancel", "postpone"} <= set(step["schema"]["enum"])


def test_lists_take_cursor_and_the_old_name_where_there_was_one_but_not_both():
    from werkzeug.test import EnvironBuilder

    from services.gateway.http import BadRequest, paging

    def request(query: str):
        return EnvironBuilder(path="/v1/partners", query_string=query).get_request()

    assert paging(request("cursor=prt_2&limit=2"), passes_as="after", alias="after") == {"after": "prt_2",
                                                                                           "limit": "2"}
    assert paging(request("after=prt_2"), passes_as="after", alias="after") == {"after": "prt_2"}
    assert paging(request("before=x"), passes_as="after", alias="after") == {"before": "x"}  # the service says no
    assert paging(request("cursor=abc")) == {"cursor": "abc"}
    with pytest.raises(BadRequest) as refused:
        paging(request("cursor=a&before=b"), passes_as="before", alias="before")
    assert refused.value.status == 422 and "before" in refused.value.extra["errors"]


def test_metrics_of_several_processes_merge_into_one_exposition():
    one = '# HELP x_total a\n# TYPE x_total counter\nx_total{service="a"} 1.0\n'
    two = '# HELP x_total a\n# TYPE x_total counter\nx_total{service="b"} 2.0\n'
    merged = merge([one, two])
    assert merged.count("# TYPE x_total counter") == 1
    assert 'x_total{service="a"} 1.0' in merged and 'x_total{service="b"} 2.0' in merged


def test_an_organizer_may_change_only_its_own_part(monkeypatch):
    from services.common import policy
    monkeypatch.setitem(policy.RULES, "activity.part.update", {PARTNER: policy.OWN_PART})
    authorize(league, "activity.part.update", activity_id="act_m", partner_id=LEAGUE)
    authorize(museum, "activity.part.update", activity_id="act_m", partner_id=MUSEUM)
    with pytest.raises(Forbidden):
        authorize(league, "activity.part.update", activity_id="act_m", partner_id=MUSEUM)
    with pytest.raises(Forbidden):  # the lead, too, commits only for itself (as the events service rules)
        authorize(museum, "activity.part.update", activity_id="act_m", partner_id=LEAGUE)
    with pytest.raises(NotFound):
        authorize(league, "activity.part.update", activity_id="act_a", partner_id=LEAGUE)


def test_attendee_tokens_are_taken_by_the_routes_of_one_registration_and_no_other():
    taking = {(op.method, op.path) for op in openapi.operations(GatewayService) if op.doc.attendees}
    registration = "/v1/activities/{activity_id}/registrations/{registration_id}"
    assert taking == {("GET", registration), ("POST", registration + "/cancel"), ("GET", registration + "/surveys")}
    attendee_actions = {action for action, kinds in RULES.items() if ATTENDEE in kinds}
    assert attendee_actions == {"registration.read", "registration.cancel", "registration.surveys"}
    assert all(kinds[ATTENDEE] == "own_registration" for kinds in RULES.values() if ATTENDEE in kinds)
    document = openapi.build(GatewayService)
    assert document["paths"][registration]["get"]["security"] == [{"apiKey": []}, {"attendeeToken": []}]
    assert "security" not in document["paths"]["/v1/activities/{activity_id}"]["get"]
