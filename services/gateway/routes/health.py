"""Liveness, readiness and the event catalogue."""
from __future__ import annotations

import eventlet
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.common import catalogue
from services.gateway.http import endpoint, json_response

SERVICES = ("partners", "events", "evaluation", "notify")
PING_TIMEOUT = 3.0


class HealthRoutes:
    @http("GET", "/health")
    @endpoint(public=True)
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    @http("GET", "/ready")
    @endpoint(public=True)
    def ready(self, request: Request) -> Response:
        checks = {}
        for name in SERVICES:
            try:
                with eventlet.Timeout(PING_TIMEOUT):
                    checks[name] = getattr(self, name).ping()
            except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - any failure means not ready
                checks[name] = {"error": type(exc).__name__}
        ready = all("error" not in check for check in checks.values())
        return json_response({"ready": ready, "services": checks}, status=200 if ready else 503)

    @http("GET", "/v1/catalogue/events")
    @endpoint(public=True)
    def event_catalogue(self, request: Request) -> Response:
        if "text/markdown" in request.headers.get("Accept", ""):
            return Response(catalogue.render_markdown(), content_type="text/markdown; charset=utf-8")
        return json_response(catalogue.as_json())
