"""Every refusal and failure of a route as an RFC 9457 problem (``application/problem+json``), with the
correlation id; failures of our own are logged (never the request's headers or body)."""
from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from services.common.errors import SynergyError
from services.gateway.intake import BadRequest, max_body_bytes

log = logging.getLogger("services.gateway.http")
PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, *, code: str, correlation_id: str,
            headers: dict | None = None, **extra: Any) -> Response:
    payload = {"type": f"https://synergy.example/problems/{code}", "title": title, "status": status,
               "detail": detail, "correlation_id": correlation_id, **extra}
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="synergy"'
    body = json.dumps(payload, ensure_ascii=False, default=str)
    return Response(body, status=status, headers=headers, content_type=PROBLEM)


def error_response(exc: BaseException, handler: Callable, cid: str) -> Response:
    if isinstance(exc, BadRequest):
        return problem(exc.status, exc.title, exc.detail, code=exc.code, correlation_id=cid, headers=exc.headers,
                       **exc.extra)
    if isinstance(exc, SynergyError):
        extra = {"errors": exc.details["errors"]} if "errors" in exc.details else {}
        if "field" in exc.details:
            extra["errors"] = {exc.details["field"]: [exc.message]}
        return problem(exc.status, exc.title, exc.message, code=exc.code, correlation_id=cid, **extra)
    if isinstance(exc, RequestEntityTooLarge):
        return problem(413, "Body too large", f"At most {max_body_bytes()} bytes.", code="too_large",
                       correlation_id=cid)
    if isinstance(exc, UnknownService | eventlet.Timeout):
        log.warning("a service did not answer %s: %s", handler.__name__, type(exc).__name__)
        return problem(503, "Service unavailable", "A service did not answer; try again shortly.",
                       code="unavailable", correlation_id=cid, headers={"Retry-After": "5"})
    if isinstance(exc, RemoteError):
        log.error("service error in %s: %s", handler.__name__, exc.exc_type)
    else:
        log.exception("unhandled error in %s", handler.__name__)
    return problem(500, "Internal error", "Something failed on our side.", code="internal", correlation_id=cid)


