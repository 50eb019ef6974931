"""Declared errors: raised by services, carried over RPC as themselves, turned into problem+json at the edge.

Each is registered with nameko so that an RPC caller receives the same class with the same details, not a
bare ``RemoteError``. Arguments stay JSON-safe: a message and a dict of details.
"""
from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


class SynergyError(Exception):
    """Base of every declared error. ``details`` names the field or rule that was broken."""

    status = 500
    title = "Internal error"
    code = "internal"

    def __init__(self, message: str, details: dict[str, Any] | None = None):
        super().__init__(message, details or {})

    @property
    def message(self) -> str:
        return self.args[0]

    @property
    def details(self) -> dict[str, Any]:
        return self.args[1]


@deserialize_to_instance
class ValidationFailed(SynergyError):
    """Input broke a schema; ``details['errors']`` maps each field to what is wrong with it."""

    status = 422
    title = "Invalid input"
    code = "validation_failed"


@deserialize_to_instance
class NotFound(SynergyError):
    status = 404
    title = "Not found"
    code = "not_found"


@deserialize_to_instance
class Conflict(SynergyError):
    """The request is well formed but the current state forbids it (e.g. publishing twice)."""

    status = 409
    title = "Conflict"
    code = "conflict"


@deserialize_to_instance
class RuleBroken(SynergyError):
    """A business rule refuses the request (e.g. an organizer who is not a registered partner)."""

    status = 422
    title = "Rule broken"
    code = "rule_broken"


@deserialize_to_instance
class Forbidden(SynergyError):
    status = 403
    title = "Forbidden"
    code = "forbidden"


@deserialize_to_instance
class PreconditionFailed(SynergyError):
    """The caller changed a copy it read at another revision (``If-Match``): nothing was written; read again."""

    status = 412
    title = "Precondition failed"
    code = "precondition_failed"


@deserialize_to_instance
class ConcurrentUpdate(SynergyError):
    """Another writer changed the document first; the command is retried on fresh state."""

    status = 409
    title = "Concurrent update"
    code = "concurrent_update"


DECLARED = (ValidationFailed, NotFound, Conflict, RuleBroken, Forbidden, PreconditionFailed, ConcurrentUpdate)
