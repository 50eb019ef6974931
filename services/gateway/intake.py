"""What a request may carry: the body's size and JSON shape, and the length of a page cursor.

A refusal here is a ``BadRequest``, which ``http.endpoint`` answers as problem+json. The body itself has been
read before the route runs (gateway/server.py: within ``API_BODY_READ_SECONDS``), so parsing it never waits on
the client.
"""
from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from services.common.config import env

MAX_JSON_DEPTH = 32        # objects and arrays inside each other; no input of this API nests half as deep
MAX_JSON_ITEMS = 100_000   # members and elements in the whole body
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


def shape_problem(value: Any) -> str | None:
    """Why a parsed JSON value is refused (nested too deep, too many items), or None. Walked without recursion."""
    pending, items = [(value, 1)], 0
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            return f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
        items += len(children)
        if items > MAX_JSON_ITEMS:
            return f"More than {MAX_JSON_ITEMS} JSON members and elements."
        pending.extend((child, depth + 1) for child in children)
    return None


def parse_json(raw: bytes) -> Any:
    """The body as JSON, or ``BadRequest`` 400: malformed, nested too deep or too many items."""
    try:
        parsed = json.loads(raw or b"null")
    except RecursionError:
        raise BadRequest(400, "JSON too deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels.",
                         "json_too_deep") from None
    except ValueError as exc:
        raise BadRequest(400, "Malformed JSON", str(exc), "malformed_json") from None
    problem = shape_problem(parsed)
    if problem:
        raise BadRequest(400, "JSON too deep" if "deep" in problem else "JSON too large", problem,
                         "json_too_deep" if "deep" in problem else "json_too_large")
    return parsed


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
