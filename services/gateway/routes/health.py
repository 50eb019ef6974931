"""Liveness, readiness, metrics, the API's own documents and the event catalogue."""
from __future__ import annotations

import eventlet
import kombu
from werkzeug.datastructures import ImmutableDict
from werkzeug.routing import Map, PathConverter
from werkzeug.wrappers import Request, Response

from services.common import catalogue, metrics
from services.common.bus import DEAD_LETTER_QUEUE, UNROUTED_QUEUE
from services.common.config import Settings
from services.common.policy import authorize
from services.gateway import openapi, schemas
from services.gateway.http import BadRequest, endpoint, json_response
from services.gateway.server import http

SERVICES = ("partners", "events", "evaluation", "notify")
PING_TIMEOUT = 3.0
READY_CACHE_SECONDS = 2.0  # callers of /ready share one check (a broker connection, a ping per service) this long


class EverythingConverter(PathConverter):
    """werkzeug's ``path`` without its blind spot: it also matches paths with encoded control characters, so
    that no request escapes the problem+json answers."""

    regex = "(?s:[^/].*?)"


# nameko builds its own werkzeug Map, so the converter is made known to every Map of this process.
Map.default_converters = ImmutableDict(Map.default_converters, everything=EverythingConverter)


def queue_depths(amqp_uri: str) -> dict[str, int]:
    """Messages waiting in the safety-net queues (dead letters, unrouted): a passive declare per queue."""
    depths = {}
    with kombu.Connection(amqp_uri, connect_timeout=PING_TIMEOUT) as connection, connection.channel() as channel:
        for queue in (DEAD_LETTER_QUEUE, UNROUTED_QUEUE):
            depths[queue] = channel.queue_declare(queue=queue, passive=True).message_count
    return depths


def _gauge_text(depths: dict[str, int]) -> str:
    lines = ["# HELP synergy_queue_messages Messages waiting in the dead-letter and unrouted queues",
             "# TYPE synergy_queue_messages gauge"]
    lines += [f'synergy_queue_messages{{queue="{queue}"}} {count}' for queue, count in depths.items()]
    return "\n".join(lines) + "\n"


class HealthRoutes:
    @http("GET", "/health")
    @endpoint(public=True, limited=False, summary="Liveness: the gateway answers", answers={200: schemas.Health},
              tags=("system",))
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    def _check(self, what) -> dict:
        try:
            with eventlet.Timeout(PING_TIMEOUT):
                return what()
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - any failure means not ready
            return {"error": type(exc).__name__}

    @http("GET", "/ready")
    @endpoint(public=True, limited=False, cache_seconds=READY_CACHE_SECONDS,
              summary="Readiness of each dependency: broker, store, every service by RPC ping (kept 2 s)",
              answers={200: schemas.Readiness, 503: schemas.Readiness}, tags=("system",))
    def ready(self, request: Request) -> Response:
        checks = {"broker": self._check(lambda: {"queues": queue_depths(Settings.from_env().amqp_uri)}),
                  "store": self._check(lambda: {"ok": self.store.ping()})}
        services = {name: self._check(getattr(self, name).ping) for name in SERVICES}
        ready = all("error" not in check for check in [*checks.values(), *services.values()])
        return json_response({"ready": ready, "checks": checks, "services": services}, status=200 if ready else 503)

    @http("GET", "/metrics")
    @endpoint(summary="Prometheus metrics of the gateway and every service (a key: admin, staff, campus system)",
              tags=("system",), answers={200: "text/plain"})
    def metrics_text(self, request: Request) -> Response:
        authorize(self.principal, "metrics.read")
        texts = [metrics.exposition()]
        for name in SERVICES:
            found = self._check(lambda name=name: {"text": getattr(self, name).metrics()})
            if "text" in found:
                texts.append(found["text"])
        depths = self._check(lambda: queue_depths(Settings.from_env().amqp_uri))
        if "error" not in depths:
            texts.append(_gauge_text(depths))
        return Response(metrics.merge(texts), content_type="text/plain; version=0.0.4; charset=utf-8")

    @http("GET", "/openapi.json")
    @endpoint(public=True, summary="This API's OpenAPI 3.1 document", tags=("system",))
    def openapi_document(self, request: Request) -> Response:
        return json_response(openapi.build(type(self)))

    @http("GET", "/docs")
    @endpoint(public=True, summary="This API's documentation, readable", tags=("system",), answers={200: "text/html"})
    def docs_page(self, request: Request) -> Response:
        return Response(openapi.render_html(openapi.build(type(self))), content_type="text/html; charset=utf-8")

    @http("OPTIONS", "/<everything:path>")
    @endpoint(public=True)
    def preflight(self, request: Request, path: str) -> Response:
        """CORS preflight: the headers are set by ``endpoint`` for allowed origins."""
        return Response(status=204)

    @http("GET,POST,PUT,PATCH,DELETE", "/<everything:path>")
    @endpoint(public=True, idempotent=False)
    def no_such_route(self, request: Request, path: str) -> Response:
        """Anything no route matches: 405 on a known path, else 404, both as problems."""
        wanted = "/" + path
        methods = sorted({op.method for op in openapi.operations(type(self)) if op.matches(wanted)})
        if methods:
            raise BadRequest(405, "Method not allowed", f"{wanted} answers {', '.join(methods)}.",
                             "method_not_allowed", {"Allow": ", ".join(methods)})
        raise BadRequest(404, "Not found", f"No route {wanted}.", "no_route")

    @http("GET", "/v1/catalogue/events")
    @endpoint(public=True, summary="The event catalogue (JSON; Markdown with Accept: text/markdown)",
              tags=("system",))
    def event_catalogue(self, request: Request) -> Response:
        if "text/markdown" in request.headers.get("Accept", ""):
            return Response(catalogue.render_markdown(), content_type="text/markdown; charset=utf-8")
        return json_response(catalogue.as_json())
