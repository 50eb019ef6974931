"""HTTP mechanics of the gateway, the same for every route through ``endpoint``.

In order, for each request: correlation id; size limit (413); the caller, by bearer key or, on the routes that
take them, by attendee token (401), and its rate limit (429 with ``Retry-After``); ``Idempotency-Key`` on POST (the
same key and body replay the first answer, another body is 422); then the handler, which asks the policy. Answers
get ``ETag`` on GET (``If-None-Match`` -> 304), CORS headers for allowed origins, ``X-Correlation-Id``, and count in
the request metrics. Every error is problem+json (RFC 9457).

Objects a service versions come with their ``revision``: ``versioned_response`` makes it the ``ETag``, and
``expected_revision`` reads the revision an ``If-Match`` names, for the service to compare-and-set against.

``endpoint(...)``'s keyword options also describe the route for the OpenAPI document (gateway/openapi.py); all have
defaults, so ``@endpoint()`` alone is a complete, documented, protected route.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

import eventlet
from marshmallow import Schema
from prometheus_client import Counter, Histogram
from werkzeug.wrappers import Request, Response

from services.common import metrics, tokens
from services.common.clock import isoformat, utcnow
from services.common.config import Settings, env
from services.common.documents import REVISION
from services.common.policy import ADMIN, ATTENDEE, PARTNER, SILENCED_STANDING, Principal
from services.gateway import anonymous, intake
from services.gateway.apikeys import hash_key, looks_like_key
from services.gateway.facts import RpcFacts, standing_of
from services.gateway.intake import BadRequest, check_cursor, max_body_bytes, parse_json
from services.gateway.problems import error_response
from services.gateway.ratelimit import RateLimiter

log = logging.getLogger(__name__)
read_json, body_field = intake.read_json, intake.body_field  # the routes take them from here

IDEMPOTENCY_HEADER = "Idempotency-Key"
EXPOSED_HEADERS = "ETag, Location, Retry-After, X-Correlation-Id, Idempotent-Replayed, Link"
ALLOWED_HEADERS = "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, X-Correlation-Id"

HTTP_REQUESTS = Counter("synergy_http_requests", "HTTP requests to the gateway by route and status",
                        ["route", "method", "status"], registry=metrics.REGISTRY)
HTTP_LATENCY = Histogram("synergy_http_request_duration_seconds", "Time to answer an HTTP request, by route",
                         ["route", "method"], registry=metrics.REGISTRY,
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))


MAX_BODY_BYTES = max_body_bytes()
MAX_ID_CHARS = 100  # path parameters (ids) are at most this long: documented, and refused beyond


@functools.lru_cache(maxsize=1)
def rate_limiter() -> RateLimiter:
    return RateLimiter(int(env("API_RATE_LIMIT_PER_MINUTE")))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def to_json(payload: Any) -> str:
    return json.dumps(payload, default=_default, ensure_ascii=False)


def etag_of(payload: Any) -> str:
    """The entity tag of a JSON answer: the same payload always gives the same tag."""
    text = payload if isinstance(payload, str | bytes) else to_json(payload)
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'


NO_REVISION = -1  # what an If-Match that names no single revision expects: no object is ever at it
REVISION_TAG = re.compile(r'^"r([0-9]{1,12})-[0-9a-f]{16}"$')


def revision_etag(revision: int, body: str) -> str:
    """The entity tag of a versioned object's answer: its revision (what ``If-Match`` is checked against, in the
    owning service) and a digest of the answer (so that ``If-None-Match`` sees parts derived from elsewhere)."""
    return f'"r{revision}-{hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]}"'


def versioned_response(payload: dict, status: int = 200, headers: dict | None = None) -> Response:
    """The answer of an object a service gave with its ``revision``: the revision goes into the ``ETag``, not the
    body (a client may send what it read back as it is)."""
    shown = dict(payload)
    revision = shown.pop(REVISION)
    body = to_json(shown)
    return Response(body, status=status, headers={**(headers or {}), "ETag": revision_etag(revision, body)},
                    content_type="application/json; charset=utf-8")


def expected_revision(request: Request) -> int | None:
    """The revision ``If-Match`` names, for the owning service to compare-and-set against.

    None without ``If-Match`` (or with ``*``): the update applies to whatever revision is current, as it did
    before ETags. A tag this API did not make for such an object, or tags naming several revisions, cannot match
    the current one: ``NO_REVISION``, which the service refuses with 412 (after checking the body, so that bad
    input is 422 whatever the header says).
    """
    wanted = request.headers.get("If-Match")
    if wanted is None:
        return None
    tags = {tag.strip() for tag in wanted.split(",") if tag.strip()}
    if "*" in tags:
        return None
    revisions = {int(found.group(1)) for found in map(REVISION_TAG.match, tags) if found}
    return revisions.pop() if len(revisions) == 1 else NO_REVISION


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(to_json(payload), status=status, headers=headers, content_type="application/json; charset=utf-8")


CURSOR = "cursor"                        # the public name of a page's cursor: the previous page's next_cursor
OLD_CURSOR_NAMES = ("after", "before")   # what some lists took before; still accepted there, deprecated


def paging(request: Request, *, passes_as: str = CURSOR, alias: str | None = None) -> dict:
    """The query string for a service that pages, with the cursor under the name that service reads.

    Clients send ``cursor``; ``alias`` is the name the route took before (``after`` or ``before``), still accepted
    so that no client breaks. Both at once is refused (422) rather than guessed.
    """
    args = request.args.to_dict()
    given = [name for name in dict.fromkeys((CURSOR, alias)) if name and name in args]
    if len(given) > 1:
        raise BadRequest(422, "Invalid input", f"Give the page cursor once, as {CURSOR}.", "validation_failed",
                         errors={alias: [f"Deprecated name of {CURSOR}; send only {CURSOR}."]})
    if given:
        check_cursor(given[0], args[given[0]])
        args[passes_as] = args.pop(given[0])
    return args


def json_page(request: Request, page: dict, status: int = 200) -> Response:
    """A page of a list (``{items, next_cursor}``) with an RFC 8288 ``Link: rel="next"`` when there is more.

    A service that names its cursor ``next`` (notify) gets ``next_cursor`` as well; ``next`` stays, deprecated.
    """
    if "next" in page and "next_cursor" not in page:
        page = {**page, "next_cursor": page["next"]}
    headers = {}
    if page.get("next_cursor"):
        args = {k: v for k, v in request.args.to_dict().items() if k not in (CURSOR, *OLD_CURSOR_NAMES)}
        args[CURSOR] = page["next_cursor"]
        query = urlencode(sorted(args.items()))
        headers["Link"] = f'<{request.path}?{query}>; rel="next"'
    return json_response(page, status, headers)


def key_matches(presented: str, expected: str) -> bool:
    if not expected or not presented:
        return False
    digest = hashlib.sha256(presented.encode()).digest()
    return hmac.compare_digest(digest, hashlib.sha256(expected.encode()).digest())


def principal_for(token: str, store=None) -> Principal | None:
    """The principal an API key stands for, or None for no, an unknown, an expired or a revoked key."""
    if key_matches(token, Settings.from_env().admin_key):
        return Principal(kind=ADMIN, key_id="bootstrap-admin")
    if store is None or not looks_like_key(token):
        return None
    key = store.key_by_hash(hash_key(token))
    if key is None or not key.usable(utcnow()):
        return None
    return key.principal()


def attendee_for(token: str, worker) -> Principal | None:
    """The attendee an attendee token stands for, or None. Only the token's hash is sent to events."""
    if not tokens.looks_like(token, tokens.ATTENDEE):
        return None
    with eventlet.Timeout(float(env("GATEWAY_RPC_TIMEOUT_SECONDS"))):  # events stopped: 503, not a hang
        found = worker.events.attendee_of(tokens.token_hash(token))
    if found is None:
        return None
    return Principal(kind=ATTENDEE, key_id=f"attendee:{found['registration_id']}",
                     activity_id=found["activity_id"], registration_id=found["registration_id"])


@dataclass(frozen=True)
class RouteDoc:
    """What the OpenAPI document says of a route (see gateway/openapi.py)."""

    summary: str | None = None
    description: str | None = None
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    answers: dict[int, type[Schema] | str | None] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    public: bool = False
    secrets: tuple[str, ...] = ()
    if_match_required: bool = False
    attendees: bool = False
    limited: bool = True
    cache_seconds: float = 0
    refusals: dict[int, str] = field(default_factory=dict)  # a public route's own refusals: status -> why


def _cors(request: Request, response: Response) -> None:
    origin = request.headers.get("Origin")
    allowed = [o.strip() for o in env("CORS_ALLOWED_ORIGINS").split(",") if o.strip()]
    if allowed and "*" not in allowed:
        response.headers.add("Vary", "Origin")  # the answer depends on the origin: caches must know
    if not origin or not allowed or ("*" not in allowed and origin not in allowed):
        return
    response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"


def _authenticate(worker, request: Request, doc: RouteDoc) -> Principal:
    """The caller: an API key (``Bearer``), or on the routes that take them an attendee token (``Attendee``)."""
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "attendee" and doc.attendees:
        anonymous.limit_address(request)  # before the lookup: over the limit, events is never asked
        principal = attendee_for(credentials.strip(), worker)
    else:
        token = credentials.strip() if scheme.lower() == "bearer" else ""
        principal = principal_for(token, getattr(worker, "store", None))
    if principal is None:
        wait = rate_limiter().take(f"ip:{request.remote_addr}")
        if wait:
            raise BadRequest(429, "Too many requests", "Too many failed attempts.", "rate_limited",
                             {"Retry-After": RateLimiter.retry_after(wait)})
        raise BadRequest(401, "Unauthenticated", "A valid API key (or, here, attendee token) is required."
                         if doc.attendees else "A valid API key is required.", "unauthenticated")
    wait = rate_limiter().take(principal.key_id)
    if wait:
        raise BadRequest(429, "Too many requests", "This key made too many requests; wait and retry.",
                         "rate_limited", {"Retry-After": RateLimiter.retry_after(wait)})
    if principal.kind == PARTNER and (standing := standing_of(worker, principal.partner_id)) in SILENCED_STANDING:
        raise BadRequest(403, f"Partner {standing}", f"Partner {principal.partner_id} is {standing}: its keys are "
                         "refused until the coordination group reinstates it.", f"partner_{standing}")
    return dataclasses.replace(principal, facts=RpcFacts(worker))


def _request_hash(request: Request) -> str:
    raw = request.get_data(cache=True)
    try:
        canonical = json.dumps(parse_json(raw), sort_keys=True, separators=(",", ":")).encode()
    except BadRequest:
        canonical = raw
    return hashlib.sha256(canonical).hexdigest()


def _idempotent(worker, request: Request, principal: Principal, doc: RouteDoc, run: Callable[[], Response]):
    """Run a POST at most once per (key, route, Idempotency-Key); replay its answer to a retry."""
    key = request.headers[IDEMPOTENCY_HEADER]
    if not (1 <= len(key) <= 255 and key.isascii() and key.isprintable()):
        raise BadRequest(400, "Bad Idempotency-Key", "1 to 255 printable ASCII characters.", "bad_idempotency_key")
    store = worker.store
    record_id = hashlib.sha256(f"{principal.key_id}\n{request.path}\n{key}".encode()).hexdigest()
    request_hash = _request_hash(request)
    found = store.claim(record_id, request_hash, utcnow())
    if found is not None:
        if found["request_hash"] != request_hash:
            raise BadRequest(422, "Idempotency-Key reused", "This Idempotency-Key was used with another body.",
                             "idempotency_key_reused")
        if found["state"] != "done":
            raise BadRequest(409, "Request in progress", "A request with this Idempotency-Key is still running.",
                             "idempotency_in_progress", {"Retry-After": "1"})
        headers = dict(found["headers"], **{"Idempotent-Replayed": "true"})
        return Response(found["body"], status=found["status"], headers=headers)
    try:
        response = run()
    except eventlet.Timeout:
        raise  # the service may still do it: the claim stays, a retry gets 409 until it is stale (60 s)
    except BaseException:
        store.release(record_id)
        raise
    if 200 <= response.status_code < 300:
        body = response.get_data(as_text=True)
        if doc.secrets:  # a secret is shown once: a replay answers without it
            shown = json.loads(body)
            body = to_json({k: v for k, v in shown.items() if k not in doc.secrets})
        kept = {k: v for k, v in response.headers.items() if k in ("Location", "Content-Type")}
        store.complete(record_id, response.status_code, kept, body)
    else:
        store.release(record_id)
    return response


def _conditional_get(request: Request, response: Response) -> Response:
    if response.status_code != 200 or not response.mimetype.endswith("json"):
        return response
    if "ETag" not in response.headers:
        response.headers["ETag"] = etag_of(response.get_data())
    wanted = request.headers.get("If-None-Match")
    if wanted and response.headers["ETag"] in {tag.strip() for tag in wanted.split(",")}:
        return Response(status=304, headers={"ETag": response.headers["ETag"]})
    return response


def endpoint(*, public: bool = False, summary: str | None = None, description: str | None = None,
             body: type[Schema] | None = None, query: type[Schema] | None = None,
             answers: dict[int, type[Schema] | str | None] | None = None, tags: tuple[str, ...] = (),
             secrets: tuple[str, ...] = (), idempotent: bool = True, if_match_required: bool = False,
             attendees: bool = False, limited: bool = True, cache_seconds: float = 0,
             refusals: dict[int, str] | None = None) -> Callable:
    """Wraps a gateway handler: every mechanism above, and the route's description for the OpenAPI document.

    The handler finds the caller in ``self.principal`` and asks ``policy.authorize`` before acting.
    ``body``/``query``: the marshmallow schema the service loads (documented, not re-validated here);
    ``answers``: status -> schema of the success answers (default ``{200: None}``: a JSON object; a string is
    the media type of a non-JSON answer);
    ``secrets``: answer fields shown once (left out of a replay for an ``Idempotency-Key``);
    ``idempotent=False``: a POST that ignores ``Idempotency-Key``;
    ``if_match_required``: a PUT/PATCH refused without ``If-Match`` (428); else ``If-Match`` is optional;
    ``attendees``: the route also takes an attendee token (``Authorization: Attendee att_…``); no other does;
    ``limited=False``: a public route not limited per client address (the probes); ``cache_seconds``: a public
    GET's answer is kept that long per path and query (gateway/anonymous.py).
    ``refusals``: status -> why, the problems a route answers beyond the machinery's (e.g. a public route's 401).
    """
    doc = RouteDoc(summary=summary, description=description, body=body, query=query,
                   answers=dict(answers or {}), tags=tuple(tags), public=public, secrets=tuple(secrets),
                   if_match_required=if_match_required, attendees=attendees, limited=limited,
                   cache_seconds=cache_seconds, refusals=dict(refusals or {}))

    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def handle(self, request: Request, *args, **kwargs) -> Response:
            started = time.perf_counter()
            cid = self.correlation.adopt(request.headers.get("X-Correlation-Id"))
            request.max_content_length = max_body_bytes()
            try:
                if request.content_length is not None and request.content_length > max_body_bytes():
                    raise BadRequest(413, "Body too large", f"At most {max_body_bytes()} bytes.", "too_large")
                self.principal = None if public else _authenticate(self, request, doc)
                if doc.if_match_required and request.method in ("PUT", "PATCH") and "If-Match" not in request.headers:
                    raise BadRequest(428, "Precondition required", "Send If-Match with the ETag you read.",
                                     "precondition_required")
                for name, value in kwargs.items():
                    if isinstance(value, str) and not 1 <= len(value) <= MAX_ID_CHARS:
                        raise BadRequest(404, "Not found", f"No such {name.removesuffix('_id')}.", "not_found")

                def run() -> Response:
                    with eventlet.Timeout(float(env("GATEWAY_RPC_TIMEOUT_SECONDS"))):
                        return handler(self, request, *args, **kwargs)

                if public:
                    response = anonymous.answer(request, run, limited=limited, cache_seconds=cache_seconds)
                elif idempotent and request.method == "POST" and IDEMPOTENCY_HEADER in request.headers:
                    response = _idempotent(self, request, self.principal, doc, run)
                else:
                    response = run()
                if request.method == "GET":
                    response = _conditional_get(request, response)
            except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - every failure becomes a problem
                response = error_response(exc, handler, cid)
            response.headers["X-Correlation-Id"] = cid
            _cors(request, response)
            HTTP_REQUESTS.labels(handler.__name__, request.method, str(response.status_code)).inc()
            HTTP_LATENCY.labels(handler.__name__, request.method).observe(time.perf_counter() - started)
            return response
        handle.route_doc = doc
        return handle
    return wrap
