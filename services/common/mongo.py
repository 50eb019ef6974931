"""One MongoDB client per process; each service reaches only its own database."""
from __future__ import annotations

import threading
from datetime import UTC

import pymongo
from nameko.extensions import DependencyProvider
from pymongo.database import Database

from services.common.config import Settings

_clients: dict[str, pymongo.MongoClient] = {}
_lock = threading.Lock()


def client(uri: str) -> pymongo.MongoClient:
    with _lock:
        if uri not in _clients:
            _clients[uri] = pymongo.MongoClient(
                uri, tz_aware=True, tzinfo=UTC, serverSelectionTimeoutMS=5000,
                connectTimeoutMS=5000, appname="synergy",
            )
        return _clients[uri]


def database(service: str, settings: Settings | None = None) -> Database:
    settings = settings or Settings.from_env()
    return client(settings.mongo_uri)[f"{settings.mongo_db_prefix}{service}"]


class ServiceDatabase(DependencyProvider):
    """Injects the service's own database; the store module built on it creates its indexes at start."""

    def __init__(self, store_factory=None):
        self.store_factory = store_factory
        self.store = None

    def setup(self):
        db = database(self.container.service_name)
        self.store = self.store_factory(db) if self.store_factory else db
        ensure = getattr(self.store, "ensure_indexes", None)
        if ensure:
            ensure()

    def get_dependency(self, worker_ctx):
        return self.store
