"""What a request may carry: the body's size and JSON shape, and the length of a page cursor.

A refusal here is a ``BadRequest``, which ``http.endpoint`` answers as problem+json. The body itself has been
read before the route runs (gateway/server.py: within ``API_BODY_READ_SECONDS``), so parsing it never waits on
the client.
"""
from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request

from services.common.config import env
from services.common.validation import JsonRefused, bounded_json

MAX_CURSOR_CHARS = 512     # a page cursor this API made is far shorter


class BadRequest(Exception):
    """A request the gateway itself refuses, before or around the handler."""

    def __init__(self, status: int, title: str, detail: str, code: str, headers: dict | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.code = status, title, detail, code
        self.headers, self.extra = headers or {}, extra


def max_body_bytes() -> int:
    return int(env("API_MAX_BODY_BYTES"))


def too_large() -> BadRequest:
    return BadRequest(413, "Body too large", f"At most {max_body_bytes()} bytes.", "too_large")


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or ``BadRequest`` 400: malformed, nested too deep or too many items."""
    try:
        return bounded_json(raw or b"null")
    except JsonRefused as exc:
        title = {"malformed_json": "Malformed JSON", "json_too_deep": "JSON too deep"}.get(exc.code, "JSON too large")
        raise BadRequest(400, title, exc.detail, exc.code) from None


def read_json(request: Request) -> Any:
    """The JSON body (parsed once per request, so that authorization may look at it before the handler)."""
    cached = request.environ.get("synergy.json", request)
    if cached is not request:
        return cached
    if request.content_length is not None and request.content_length > max_body_bytes():
        raise too_large()
    if not (request.mimetype or "").endswith("json"):
        raise BadRequest(415, "Unsupported media type", "Send application/json.", "media_type")
    raw = request.get_data(cache=True)
    if len(raw) > max_body_bytes():
        raise too_large()
    parsed = parse_json(raw)
    request.environ["synergy.json"] = parsed
    return parsed


def body_field(request: Request, name: str) -> Any:
    """One top-level field of the JSON body, or None (the service reports what is wrong with the body)."""
    body = read_json(request)
    return body.get(name) if isinstance(body, dict) else None


def check_cursor(name: str, value: str) -> None:
    """A cursor longer than any this API makes is refused before it reaches a service."""
    if len(value) > MAX_CURSOR_CHARS:
        raise BadRequest(400, "Bad cursor", f"A cursor is at most {MAX_CURSOR_CHARS} characters; send back the "
                         "next_cursor of the previous page.", "bad_cursor", errors={name: ["Too long."]})
