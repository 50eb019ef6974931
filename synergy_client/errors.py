"""What the client raises: the API's refusals carry the problem+json document (RFC 9457) they came with."""
from __future__ import annotations

from typing import Any


class SynergyClientError(Exception):
    """Base of everything the client raises."""


class ConnectionFailed(SynergyClientError):
    """The cluster could not be reached (refused, timed out, DNS), after the retries allowed."""


class ApiError(SynergyClientError):
    """The API answered with an error; ``problem`` is its problem+json document (or one made from the body)."""

    def __init__(self, status: int, problem: dict[str, Any], headers: dict[str, str] | None = None):
        self.status = status
        self.problem = problem
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.title}: {self.detail}" if self.detail else f"{status} {self.title}")

    @property
    def title(self) -> str:
        return str(self.problem.get("title") or "Error")

    @property
    def detail(self) -> str:
        return str(self.problem.get("detail") or "")

    @property
    def errors(self) -> dict[str, list[str]]:
        """The wrong fields and what is wrong with each (``{}`` when the problem names none)."""
        errors = self.problem.get("errors")
        return errors if isinstance(errors, dict) else {}

    @property
    def correlation_id(self) -> str | None:
        return self.problem.get("correlation_id") or self.headers.get("X-Correlation-Id")


class BadRequest(ApiError):
    """400: the request itself was malformed."""


class Unauthenticated(ApiError):
    """401: no key, or a key the API does not know."""


class Forbidden(ApiError):
    """403: the key may not do this."""


class NotFound(ApiError):
    """404."""


class Conflict(ApiError):
    """409: the resource is not in a state that allows this."""


class PreconditionFailed(ApiError):
    """412: the resource changed since it was read (its ETag no longer matches)."""


class ValidationFailed(ApiError):
    """422: the input broke a rule; ``errors`` names the fields."""


class RateLimited(ApiError):
    """429 after every retry allowed."""


class ServerError(ApiError):
    """5xx after every retry allowed."""


_BY_STATUS: dict[int, type[ApiError]] = {400: BadRequest, 401: Unauthenticated, 403: Forbidden, 404: NotFound,
                                         409: Conflict, 412: PreconditionFailed, 422: ValidationFailed,
                                         429: RateLimited}


def error_for(status: int, problem: dict[str, Any], headers: dict[str, str] | None = None) -> ApiError:
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(status, problem, headers)
