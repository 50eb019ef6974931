"""``SynergyClient``: the HTTP API with typed results, retries, idempotency keys, ETags and pagination.

    from synergy_client import SynergyClient
    client = SynergyClient("http://127.0.0.1:8000", api_key)
    faculty = client.register_partner({"name": {"zh": "历史学院"}, "level": "campus", "kind": "faculty"})
    for partner in client.partners(kind="faculty"):       # follows next_cursor page by page
        print(partner.id, partner.name["zh"])
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from synergy_client import types
from synergy_client.errors import Conflict, PreconditionFailed, ServerError
from synergy_client.transport import NO_RETRY, Reply, RetryPolicy, Transport

R = TypeVar("R", bound=types.Resource)

CURSOR_PARAM = "cursor"    # the query parameter that takes a page's next_cursor (every list of the API)
CURSOR_FIELD = "next_cursor"
PREFERENCE_FIELDS = ("email", "language", "channels", "mode", "events", "follow")  # what a PUT takes back


def new_idempotency_key() -> str:
    return f"idem_{uuid.uuid4().hex}"


def segment(value: str) -> str:
    """One path segment, escaped (ids come from people and files)."""
    return quote(str(value), safe="")


class SynergyClient:
    def __init__(self, base_url: str, api_key: str | None = None, *, timeout: float = 15.0,
                 retry: RetryPolicy | None = None, **transport_options: Any):
        self.transport = Transport(base_url, api_key, timeout=timeout, retry=retry or RetryPolicy(),
                                   **transport_options)

    def __repr__(self) -> str:
        return f"SynergyClient({self.transport.shown_url!r})"

    def __enter__(self) -> SynergyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.transport.close()

    # ---- generic verbs: every command and helper below is one of these on one route ----

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.transport.request("GET", path, params=params).body

    def get_reply(self, path: str, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None) -> Reply:
        return self.transport.request("GET", path, params=params, headers=headers)

    def create(self, path: str, body: Any = None, *, idempotency_key: str | None = None) -> Any:
        """POST that creates or acts, with an ``Idempotency-Key`` (made here unless given) kept across retries."""
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        return self.transport.request("POST", path, json_body=body, headers=headers).body

    def post(self, path: str, body: Any = None, headers: Mapping[str, str] | None = None) -> Any:
        """POST without an idempotency key: not retried on 5xx (only on 429 and when nothing was sent)."""
        return self.transport.request("POST", path, json_body=body, headers=headers).body

    def put(self, path: str, body: Any) -> Any:
        """PUT a whole resource, without ``If-Match`` (``update(..., method="PUT")`` sends one)."""
        return self.transport.request("PUT", path, json_body=body).body

    def delete(self, path: str) -> Any:
        return self.transport.request("DELETE", path).body

    def update(self, path: str, change: Callable[[dict[str, Any]], dict[str, Any]], *, method: str = "PATCH",
               attempts: int = 3) -> Any:
        """Read the resource, let ``change`` compute the body to send, send it with ``If-Match: <ETag>``.

        When someone else changed the resource in between (412), read it again and retry, ``attempts`` times.
        A resource served without an ETag is sent without ``If-Match``.
        """
        for attempt in range(attempts):
            current = self.get_reply(path)
            body = change(dict(current.body or {}))
            headers = {"If-Match": current.etag} if current.etag else {}
            try:
                return self.transport.request(method, path, json_body=body, headers=headers).body
            except PreconditionFailed:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, path: str, params: Mapping[str, Any] | None = None, *,
              cursor_param: str = CURSOR_PARAM) -> Iterator[dict[str, Any]]:
        """Every page of a listing, following ``next_cursor`` (or an older server's ``next``), sent back as
        ``cursor_param`` (``cursor``, the API's name for it on every list), until it is null; a ``next`` that is a
        link (a path or URL) is followed as it is."""
        query: dict[str, Any] | None = dict(params or {})
        while True:
            page = self.get(path, query)
            yield page
            if not isinstance(page, dict):
                return
            following = page.get("next")
            if isinstance(following, str) and following.startswith(("/", "http://", "https://")):
                path, query = following, None
                continue
            cursor = page.get(CURSOR_FIELD) or (following if isinstance(following, str) else None)
            if not cursor:
                return
            query = dict(query or {}, **{cursor_param: cursor})

    def items(self, path: str, params: Mapping[str, Any] | None = None, *, limit: int | None = None,
              key: str = "items", cursor_param: str = CURSOR_PARAM) -> Iterator[dict[str, Any]]:
        """The items of every page, lazily; at most ``limit`` of them."""
        count = 0
        for page in self.pages(path, params, cursor_param=cursor_param):
            for item in page.get(key, []):
                if limit is not None and count >= limit:
                    return
                count += 1
                yield item

    # ---- health and catalogue ----

    def health(self) -> dict[str, Any]:
        return self.get("/health")

    def ready(self) -> types.Readiness:
        """Readiness of every service; a not-ready cluster answers 503 with the same document."""
        try:
            return types.Readiness.from_api(self.transport.request("GET", "/ready", retry=NO_RETRY).body)
        except ServerError as exc:
            if exc.status == 503 and "services" in exc.problem:
                return types.Readiness.from_api(exc.problem)
            raise

    def catalogue(self) -> dict[str, Any]:
        return self.get("/v1/catalogue/events")

    # ---- partners ----

    def register_partner(self, payload: dict[str, Any], *, idempotency_key: str | None = None) -> types.Partner:
        return types.Partner.from_api(self.create("/v1/partners", payload, idempotency_key=idempotency_key))

    def partner(self, partner_id: str) -> types.Partner:
        return types.Partner.from_api(self.get(f"/v1/partners/{segment(partner_id)}"))

    def partners(self, *, limit: int | None = None, page_size: int | None = None,
                 **filters: Any) -> Iterator[types.Partner]:
        params = dict(filters, limit=page_size)
        return (types.Partner.from_api(item) for item in self.items("/v1/partners", params, limit=limit))

    def update_partner(self, partner_id: str, changes: dict[str, Any]) -> types.Partner:
        """PATCH the profile (names, themes, description, contacts, resources), with ``If-Match`` when the API
        gives ETags."""
        return types.Partner.from_api(self.update(f"/v1/partners/{segment(partner_id)}", lambda current: changes))

    def partner_history(self, partner_id: str) -> dict[str, Any]:
        return self.get(f"/v1/partners/{segment(partner_id)}/history")

    def export_partners_csv(self, **filters: Any) -> str:
        """The registry as CSV (the format ``import_partners_csv`` reads)."""
        return self.transport.request("GET", "/v1/partners.csv", params=filters,
                                      headers={"Accept": "text/csv"}).body or ""

    def import_partners_csv(self, text: str, *, partial: bool = False,
                            idempotency_key: str | None = None) -> dict[str, Any]:
        """Register every row of a CSV text: all or nothing (a 422 naming each bad line), or ``partial``."""
        headers = {"Idempotency-Key": idempotency_key or new_idempotency_key()}
        params = {"mode": "partial" if partial else "all_or_nothing"}
        return self.transport.request("POST", "/v1/partners/import", params=params, headers=headers,
                                      data=text.encode("utf-8"), content_type="text/csv; charset=utf-8").body

    def partner_import(self, import_id: str) -> dict[str, Any]:
        return self.get(f"/v1/partners/imports/{segment(import_id)}")

    def recommend_partners(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.post("/v1/partners/recommendations", request)

    # ---- qualification review ----

    def rubric(self) -> dict[str, Any]:
        return self.get("/v1/partner-review-rubric")

    def set_rubric(self, rubric: dict[str, Any]) -> dict[str, Any]:
        return self.put("/v1/partner-review-rubric", rubric)

    def review(self, partner_id: str) -> dict[str, Any]:
        return self.get(f"/v1/partners/{segment(partner_id)}/review")

    def start_review(self, partner_id: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.create(f"/v1/partners/{segment(partner_id)}/review", request or {})

    def add_evidence(self, partner_id: str, evidence: dict[str, Any]) -> dict[str, Any]:
        return self.create(f"/v1/partners/{segment(partner_id)}/review/evidence", evidence)

    def score_review(self, partner_id: str, scoresheet: dict[str, Any]) -> dict[str, Any]:
        return self.create(f"/v1/partners/{segment(partner_id)}/review/scores", scoresheet)

    def decide_review(self, partner_id: str, decision: dict[str, Any]) -> types.Partner:
        return types.Partner.from_api(self.create(f"/v1/partners/{segment(partner_id)}/review/decision", decision))

    def change_partner_status(self, partner_id: str, step: str, reason: str = "") -> types.Partner:
        """``step``: suspend, reinstate or retire."""
        return types.Partner.from_api(self.create(f"/v1/partners/{segment(partner_id)}/{segment(step)}",
                                                  {"reason": reason}))

    # ---- agreements ----

    def sign_agreement(self, agreement: dict[str, Any], *, idempotency_key: str | None = None) -> types.Agreement:
        return types.Agreement.from_api(self.create("/v1/agreements", agreement, idempotency_key=idempotency_key))

    def agreement(self, agreement_id: str) -> types.Agreement:
        return types.Agreement.from_api(self.get(f"/v1/agreements/{segment(agreement_id)}"))

    def agreements(self, *, limit: int | None = None, page_size: int | None = None,
                   **filters: Any) -> Iterator[types.Agreement]:
        """``status`` (in_force, expired), ``ends_before`` (an ISO date); every page."""
        params = dict(filters, limit=page_size)
        return (types.Agreement.from_api(item) for item in self.items("/v1/agreements", params, limit=limit))

    def partner_agreements(self, partner_id: str) -> list[types.Agreement]:
        body = self.get(f"/v1/partners/{segment(partner_id)}/agreements")
        return [types.Agreement.from_api(item) for item in body["items"]]

    def link_agreement_activity(self, agreement_id: str, activity_id: str) -> types.Agreement:
        return types.Agreement.from_api(self.create(f"/v1/agreements/{segment(agreement_id)}/activities",
                                                    {"activity_id": activity_id}))

    def check_agreements(self, on: str | None = None) -> dict[str, Any]:
        """Run the agreement notices now (for ``on``, an ISO date not after today)."""
        return self.transport.request("POST", "/v1/agreements/check", params={"on": on}).body

    # ---- notify ----

    def inbox(self, recipient_id: str, *, unread: bool = False) -> list[types.InboxItem]:
        """A partner's (``prt_…``), a person's (``person:<id>``) or the coordination group's
        (``coordination_group``) inbox, every page, newest first."""
        path = self.inbox_path(recipient_id)
        params = {"unread": "true" if unread else None, "limit": 200}
        return [types.InboxItem.from_api(item) for item in self.items(path, params)]

    def inbox_path(self, recipient_id: str) -> str:
        """The inbox route of a partner (``prt_…``), a person (``person:<id>``) or ``coordination_group``."""
        if recipient_id == "coordination_group":
            return "/v1/coordination-group/inbox"
        if recipient_id.startswith("person:"):
            return f"/v1/people/{segment(recipient_id.removeprefix('person:'))}/inbox"
        return f"/v1/partners/{segment(recipient_id)}/inbox"

    def mark_inbox_item(self, recipient_id: str, item_id: str, *, read: bool = True) -> dict[str, Any]:
        """Mark one inbox item read (or unread again)."""
        return self.post(f"{self.inbox_path(recipient_id)}/{segment(item_id)}", {"read": read})

    def notification_preferences(self, person_id: str) -> dict[str, Any]:
        return self.get(f"/v1/people/{segment(person_id)}/notification-preferences")

    def set_notification_preferences(self, person_id: str, preferences: dict[str, Any]) -> dict[str, Any]:
        """Replace a person's preferences as a whole (what is left out takes its default)."""
        return self.put(f"/v1/people/{segment(person_id)}/notification-preferences", preferences)

    def update_notification_preferences(self, person_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        """Change some preferences, keeping the others: read them, then PUT them back changed (with
        ``If-Match``)."""
        def changed(current: dict[str, Any]) -> dict[str, Any]:
            kept = {k: v for k, v in current.items() if k in PREFERENCE_FIELDS}
            return {**kept, **changes}
        return self.update(f"/v1/people/{segment(person_id)}/notification-preferences", changed, method="PUT")

    # ---- activities ----

    def create_activity(self, payload: dict[str, Any], *, idempotency_key: str | None = None) -> types.Activity:
        return types.Activity.from_api(self.create("/v1/activities", payload, idempotency_key=idempotency_key))

    def activity(self, activity_id: str) -> types.Activity:
        return types.Activity.from_api(self.get(f"/v1/activities/{segment(activity_id)}"))

    def publish_activity(self, activity_id: str) -> types.Activity:
        return types.Activity.from_api(self.create(f"/v1/activities/{segment(activity_id)}/publish"))

    def activities(self, *, limit: int | None = None, page_size: int | None = None,
                   **filters: Any) -> Iterator[types.Activity]:
        """``status``, ``organizer``, ``type``, ``theme``, ``path``, ``series``, ``q``, ``from``, ``to``
        (pass the last two as ``**{"from": ...}``); every page."""
        params = dict(filters, limit=page_size)
        found = self.items("/v1/activities", params, limit=limit)
        return (types.Activity.from_api(item) for item in found)

    def edit_activity(self, activity_id: str, changes: dict[str, Any]) -> types.Activity:
        """PATCH an activity, with ``If-Match`` when the API gives ETags. A title given in one language keeps the
        other from the copy the ETag names (a title is sent whole), so a title changed meanwhile is not lost."""
        def change(current: dict[str, Any]) -> dict[str, Any]:
            if "title" not in changes:
                return changes
            return dict(changes, title={**(current.get("title") or {}), **changes["title"]})
        return types.Activity.from_api(self.update(f"/v1/activities/{segment(activity_id)}", change))

    def calendar(self, **filters: Any) -> str:
        """Activities as an iCalendar document."""
        return self.transport.request("GET", "/v1/calendar.ics", params=filters,
                                      headers={"Accept": "text/calendar"}).body or ""

    def registrations(self, activity_id: str) -> dict[str, Any]:
        """``{items, attendance, capacity}`` (organizers only: personal data)."""
        return self.get(f"/v1/activities/{segment(activity_id)}/registrations")

    def check_in(self, activity_id: str, code: str) -> dict[str, Any]:
        return self.create(f"/v1/activities/{segment(activity_id)}/check-ins", {"code": code})

    def volunteers(self, activity_id: str) -> dict[str, Any]:
        return self.get(f"/v1/activities/{segment(activity_id)}/volunteers")

    def record_hours(self, activity_id: str, signup_id: str, hours: float) -> dict[str, Any]:
        return self.create(f"/v1/activities/{segment(activity_id)}/volunteers/{segment(signup_id)}/hours",
                           {"hours": hours})

    def participation(self, person_id: str) -> dict[str, Any]:
        return self.get(f"/v1/people/{segment(person_id)}/participation")

    def add_occurrence(self, activity_id: str, starts_at: str, ends_at: str, *,
                       idempotency_key: str | None = None) -> types.Activity:
        """The next occurrence of the activity's series, at other times: a new draft."""
        return types.Activity.from_api(self.create(f"/v1/activities/{segment(activity_id)}/occurrences",
                                                   {"starts_at": starts_at, "ends_at": ends_at},
                                                   idempotency_key=idempotency_key))

    def add_co_organizer(self, activity_id: str, partner_id: str, responsibility: str = "") -> types.Activity:
        return types.Activity.from_api(self.create(f"/v1/activities/{segment(activity_id)}/organizers",
                                                   {"partner_id": partner_id, "responsibility": responsibility}))

    def set_organizer_part(self, activity_id: str, partner_id: str, part: str,
                           entries: list[dict[str, Any]]) -> types.Activity:
        """Replace an organizer's ``contributions`` or ``tasks`` as a whole."""
        path = f"/v1/activities/{segment(activity_id)}/organizers/{segment(partner_id)}/{segment(part)}"
        return types.Activity.from_api(self.put(path, {part: entries}))

    def register_person(self, activity_id: str, person: dict[str, Any], *,
                        idempotency_key: str | None = None) -> dict[str, Any]:
        """Register a person (``{person_id, email, language, audience}``): confirmed, or waitlisted when full;
        the answer carries the check-in code."""
        return self.create(f"/v1/activities/{segment(activity_id)}/registrations", person,
                           idempotency_key=idempotency_key)

    def registration(self, activity_id: str, registration_id: str) -> dict[str, Any]:
        return self.get(f"/v1/activities/{segment(activity_id)}/registrations/{segment(registration_id)}")

    def cancel_registration(self, activity_id: str, registration_id: str) -> dict[str, Any]:
        return self.create(f"/v1/activities/{segment(activity_id)}/registrations/{segment(registration_id)}/cancel")

    def add_volunteer_role(self, activity_id: str, role: dict[str, Any]) -> dict[str, Any]:
        """``{name: {zh, en}, description}``; the answer lists the roles and shifts."""
        return self.create(f"/v1/activities/{segment(activity_id)}/volunteer-roles", role)

    def add_volunteer_shift(self, activity_id: str, shift: dict[str, Any]) -> dict[str, Any]:
        """``{role_id, starts_at, ends_at, places}``."""
        return self.create(f"/v1/activities/{segment(activity_id)}/volunteer-shifts", shift)

    def volunteer_shifts(self, activity_id: str) -> dict[str, Any]:
        """The roles and shifts of an activity, with places taken."""
        return self.get(f"/v1/activities/{segment(activity_id)}/volunteer-shifts")

    # ---- venues ----

    def register_venue(self, venue: dict[str, Any], *, idempotency_key: str | None = None) -> types.Venue:
        return types.Venue.from_api(self.create("/v1/venues", venue, idempotency_key=idempotency_key))

    def venue(self, venue_id: str) -> types.Venue:
        return types.Venue.from_api(self.get(f"/v1/venues/{segment(venue_id)}"))

    def venues(self) -> list[types.Venue]:
        return [types.Venue.from_api(item) for item in self.get("/v1/venues")["items"]]

    # ---- evaluation: scores, synergy, term plans and reports ----

    def scores(self, *, by: str = "term", term_id: str | None = None) -> dict[str, Any]:
        """Outcome scores of a term (the current one unless named) grouped ``by`` activity, organizer, path,
        activity_type, level, term or joint: ``{term_id, by, minimum_responses, groups: {key: {...}}}``."""
        return self.get("/v1/scores", {"by": by, "term_id": term_id})

    def synergy(self, term_id: str) -> dict[str, Any]:
        """Co-organized against single-organizer activities, and each pair of levels, outcome by outcome."""
        return self.get(f"/v1/terms/{segment(term_id)}/synergy")

    def term_plan(self, term_id: str) -> dict[str, Any]:
        """``{plan, progress}``: the targets and how far the term has come towards each."""
        return self.get(f"/v1/terms/{segment(term_id)}/plan")

    def set_term_plan(self, term_id: str, plan: dict[str, Any]) -> dict[str, Any]:
        """Replace the plan of a term (``{title, starts_on, ends_on, targets: [...]}``)."""
        return self.put(f"/v1/terms/{segment(term_id)}/plan", plan)

    def term_report(self, term_id: str, fmt: str = "json", *, unit: str | None = None,
                    term_end: bool = False) -> Any:
        """The term report now (or the one kept when the term ended, ``term_end``): a document for ``json``,
        the text of the file for ``csv`` and ``html``. ``unit``: one partner's report."""
        path = f"/v1/terms/{segment(term_id)}/report" + ("/term-end" if term_end else "")
        accept = {"json": "application/json", "csv": "text/csv", "html": "text/html"}.get(fmt, "*/*")
        return self.transport.request("GET", path, params={"format": fmt, "unit": unit},
                                      headers={"Accept": f"{accept}, application/problem+json"}).body

    def participation_export(self, *, limit: int | None = None, page_size: int | None = None,
                             **span: Any) -> Iterator[dict[str, Any]]:
        """Everyone's participation rows over ``term`` or ``from``/``to`` (pass as ``**{"from": ...}``), every
        page (staff, admin or the campus system)."""
        return self.items("/v1/participation", dict(span, limit=page_size), limit=limit)

    def participation_csv(self, **span: Any) -> str:
        """The same rows as one CSV document."""
        return self.transport.request("GET", "/v1/participation.csv", params=span,
                                      headers={"Accept": "text/csv"}).body or ""

    # ---- API keys ----

    def create_api_key(self, request: dict[str, Any]) -> dict[str, Any]:
        """Issue a key; the answer carries the key itself, the only time it is ever shown."""
        return self.create("/v1/api-keys", request)

    def api_keys(self, *, limit: int | None = None) -> Iterator[dict[str, Any]]:
        return self.items("/v1/api-keys", {"limit": 200}, limit=limit)

    def api_key(self, key_id: str) -> dict[str, Any]:
        return self.get(f"/v1/api-keys/{segment(key_id)}")

    def relabel_api_key(self, key_id: str, label: str) -> dict[str, Any]:
        """PATCH with ``If-Match`` (the API requires it): read, then write on that version."""
        return self.update(f"/v1/api-keys/{segment(key_id)}", lambda _: {"label": label})

    def revoke_api_key(self, key_id: str) -> dict[str, Any]:
        return self.create(f"/v1/api-keys/{segment(key_id)}/revoke")

    def activity_step(self, activity_id: str, step: str, body: dict[str, Any] | None = None) -> types.Activity:
        """One step of an activity's life: ``POST /v1/activities/{id}/{step}`` (submit, approve, publish, ...)."""
        return types.Activity.from_api(self.create(f"/v1/activities/{segment(activity_id)}/{segment(step)}", body))

    def publish_reviewed(self, activity_id: str) -> types.Activity:
        """Publish a draft with a key that may approve (the coordination group's): where the API wants a draft
        submitted and approved before it is published, take those steps too."""
        try:
            return self.publish_activity(activity_id)
        except Conflict:
            if self.activity(activity_id).status != "draft":
                raise
        self.activity_step(activity_id, "submit")
        self.activity_step(activity_id, "approve", {"comments": ""})
        return self.publish_activity(activity_id)

    def surveys(self, activity_id: str) -> list[types.Survey]:
        body = self.get(f"/v1/activities/{segment(activity_id)}/surveys")
        return [types.Survey.from_api(item) for item in body["surveys"]]

    # ---- webhook endpoints ----

    def create_endpoint(self, payload: dict[str, Any], *,
                        idempotency_key: str | None = None) -> types.WebhookEndpoint:
        """Subscribe a system; the answer carries the ``whsec_`` secret, the only time it is ever shown."""
        created = self.create("/v1/webhook-endpoints", payload, idempotency_key=idempotency_key)
        return types.WebhookEndpoint.from_api(created)

    def endpoint(self, endpoint_id: str) -> types.WebhookEndpoint:
        return types.WebhookEndpoint.from_api(self.get(f"/v1/webhook-endpoints/{segment(endpoint_id)}"))

    def deliveries(self, endpoint_id: str, state: str | None = None) -> list[types.Delivery]:
        """Every delivery to an endpoint with its attempts, newest first; ``state``: pending, delivered, failed."""
        found = self.items(f"/v1/webhook-endpoints/{segment(endpoint_id)}/deliveries",
                           {"state": state, "limit": 200})
        return [types.Delivery.from_api(item) for item in found]

    def replay_failed(self, endpoint_id: str, since: str, partner_id: str | None = None) -> dict[str, Any]:
        """Send again every failed delivery of an endpoint created since a time (RFC 3339)."""
        return self.create(f"{self._endpoint_path(endpoint_id, partner_id)}/replay", {"since": since})

    def _endpoint_path(self, endpoint_id: str, partner_id: str | None) -> str:
        owner = partner_id or self.endpoint(endpoint_id).owner_partner_id
        return f"/v1/partners/{segment(owner)}/webhook-endpoints/{segment(endpoint_id)}"

    def update_endpoint(self, endpoint_id: str, changes: dict[str, Any],
                        partner_id: str | None = None) -> types.WebhookEndpoint:
        """PATCH url, event_types, filters, description or status (enabled, disabled), read first and sent with
        ``If-Match``."""
        path = self._endpoint_path(endpoint_id, partner_id)
        return types.WebhookEndpoint.from_api(self.update(path, lambda _: changes))

    def rotate_endpoint_secret(self, endpoint_id: str, overlap_hours: float | None = None,
                               partner_id: str | None = None) -> types.WebhookEndpoint:
        """A new ``whsec_`` secret, in this answer only; the old one keeps signing for the overlap. Sent without
        an idempotency key: a repeat would answer without the secret, so a lost answer means rotating again."""
        body = {} if overlap_hours is None else {"overlap_hours": overlap_hours}
        return types.WebhookEndpoint.from_api(self.post(f"{self._endpoint_path(endpoint_id, partner_id)}"
                                                        "/rotate-secret", body))

    def failed_emails(self, state: str = "failed") -> list[dict[str, Any]]:
        return self.get("/v1/notify/emails", {"state": state, "limit": 200})["items"]

    def retry_email(self, email_id: str) -> dict[str, Any]:
        return self.create(f"/v1/notify/emails/{segment(email_id)}/retry")
