"""The admin key file is created 0600 in one step (no moment with a wider mode), and rotated the same way."""
from __future__ import annotations

import os
from datetime import UTC, timedelta

import mongomock
import pytest

from services.common.clock import utcnow
from services.gateway import adminkey
from services.gateway.apikeys import hash_key
from services.gateway.store import GatewayStore


@pytest.fixture
def store():
    return GatewayStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)["gateway"])


def test_the_key_file_is_created_0600_before_anything_is_written(store, tmp_path, monkeypatch):
    """Defect: var/admin.key was written (umask 022: 0644) and only then made 0600."""
    opened, real_open = [], os.open

    def watching_open(path, flags, mode=0o777, *args, **kwargs):
        opened.append((str(path), flags, mode))
        return real_open(path, flags, mode, *args, **kwargs)
    monkeypatch.setattr(os, "open", watching_open)
    old_umask = os.umask(0o022)
    try:
        key_file = tmp_path / "var" / "admin.key"
        text = adminkey.ensure(store, key_file, utcnow())
    finally:
        os.umask(old_umask)
    written = [(flags, mode) for path, flags, mode in opened if path.startswith(str(key_file.parent))]
    assert written and all(flags & os.O_CREAT and flags & os.O_EXCL and mode == 0o600 for flags, mode in written)
    assert key_file.stat().st_mode & 0o777 == 0o600 and key_file.read_text().strip() == text
    assert [p.name for p in key_file.parent.iterdir()] == ["admin.key"], "no temporary file is left"


def test_a_key_close_to_its_expiry_is_renewed_and_the_old_one_revoked(store, tmp_path):
    key_file, now = tmp_path / "admin.key", utcnow()
    first = adminkey.ensure(store, key_file, now, valid_for=timedelta(days=90))
    assert adminkey.ensure(store, key_file, now + timedelta(days=10)) == first
    renewed = adminkey.ensure(store, key_file, now + timedelta(days=85))
    assert renewed != first
    assert store.key_by_hash(hash_key(first)).revoked_at is not None
    assert store.key_by_hash(hash_key(renewed)).usable(now + timedelta(days=85))
