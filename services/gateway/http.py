"""HTTP mechanics of the gateway: JSON in and out, problem+json errors (RFC 9457), the bearer key."""
from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from werkzeug.wrappers import Request, Response

from services.common.clock import isoformat
from services.common.config import Settings
from services.common.errors import SynergyError
from services.gateway.policy import ADMIN, Principal

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1 << 20
PROBLEM = "application/problem+json"


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(payload, default=_default, ensure_ascii=False)
    return Response(body, status=status, headers=headers, content_type="application/json; charset=utf-8")


def problem(status: int, title: str, detail: str, *, code: str, correlation_id: str, **extra: Any) -> Response:
    payload = {"type": f"https://synergy.example/problems/{code}", "title": title, "status": status,
               "detail": detail, "correlation_id": correlation_id, **extra}
    body = json.dumps(payload, default=_default, ensure_ascii=False)
    headers = {"WWW-Authenticate": 'Bearer realm="synergy"'} if status == 401 else None
    return Response(body, status=status, headers=headers, content_type=PROBLEM)


class BadRequest(Exception):
    def __init__(self, status: int, title: str, detail: str, code: str):
        super().__init__(detail)
        self.status, self.title, self.detail, self.code = status, title, detail, code


def read_json(request: Request) -> Any:
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise BadRequest(413, "Body too large", f"At most {MAX_BODY_BYTES} bytes.", "too_large")
    if not (request.mimetype or "").endswith("json"):
        raise BadRequest(415, "Unsupported media type", "Send application/json.", "media_type")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "Body too large", f"At most {MAX_BODY_BYTES} bytes.", "too_large")
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise BadRequest(400, "Malformed JSON", str(exc), "malformed_json") from None


def key_matches(presented: str, expected: str) -> bool:
    if not expected or not presented:
        return False
    digest = hashlib.sha256(presented.encode()).digest()
    return hmac.compare_digest(digest, hashlib.sha256(expected.encode()).digest())


def principal_for(token: str) -> Principal | None:
    """The principal an API key stands for, or None for no or an unknown key."""
    if key_matches(token, Settings.from_env().admin_key):
        return Principal(kind=ADMIN, key_id="bootstrap-admin")
    return None


def endpoint(*, public: bool = False) -> Callable:
    """Wraps a gateway handler: correlation id, authentication, and every error as problem+json.

    The handler finds the caller in ``self.principal`` and asks ``policy.authorize`` before acting.
    """
    def wrap(handler: Callable) -> Callable:
        @functools.wraps(handler)
        def handle(self, request: Request, *args, **kwargs) -> Response:
            cid = self.correlation.adopt(request.headers.get("X-Correlation-Id"))
            try:
                self.principal = None
                if not public:
                    auth = request.headers.get("Authorization", "")
                    self.principal = principal_for(auth[7:] if auth.startswith("Bearer ") else "")
                    if self.principal is None:
                        return problem(401, "Unauthenticated", "A valid API key is required.",
                                       code="unauthenticated", correlation_id=cid)
                response = handler(self, request, *args, **kwargs)
            except BadRequest as exc:
                response = problem(exc.status, exc.title, exc.detail, code=exc.code, correlation_id=cid)
            except SynergyError as exc:
                extra = {"errors": exc.details["errors"]} if "errors" in exc.details else {}
                if "field" in exc.details:
                    extra["errors"] = {exc.details["field"]: [exc.message]}
                response = problem(exc.status, exc.title, exc.message, code=exc.code, correlation_id=cid, **extra)
            except Exception:  # noqa: BLE001 - the caller gets a problem, the log gets the trace
                log.exception("unhandled error in %s", handler.__name__)
                response = problem(500, "Internal error", "Something failed on our side.", code="internal",
                                   correlation_id=cid)
            response.headers["X-Correlation-Id"] = cid
            return response
        return handle
    return wrap
