"""The correlation id that follows a request through every service, and puts itself in every log line."""
from __future__ import annotations

import contextvars
import logging

from nameko.extensions import DependencyProvider

from services.common import ids

_current: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="-")


def current() -> str:
    return _current.get()


def bind(value: str) -> contextvars.Token:
    return _current.set(value)


class CorrelationFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = _current.get()
        return True


class CorrelationHandle:
    """What a worker sees: the id, and a way for an edge (the gateway) to adopt one from outside."""

    def __init__(self, worker_ctx):
        self._ctx = worker_ctx

    @property
    def id(self) -> str:
        return self._ctx.data["correlation_id"]

    def adopt(self, value: str | None) -> str:
        if value and len(value) <= 100 and value.isprintable():
            self._ctx.data["correlation_id"] = value
            bind(value)
        return self.id


class Correlation(DependencyProvider):
    """Binds the worker's correlation id (from RPC context or the event envelope), making one if absent."""

    def worker_setup(self, worker_ctx):
        value = worker_ctx.data.get("correlation_id") or ids.new_id("cor")
        worker_ctx.data["correlation_id"] = value  # ``context_data`` is a copy; ``data`` is what RPC passes on
        bind(value)

    def worker_teardown(self, worker_ctx):
        bind("-")

    def get_dependency(self, worker_ctx):
        return CorrelationHandle(worker_ctx)
