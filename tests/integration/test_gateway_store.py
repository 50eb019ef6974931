"""The gateway's store (API keys, Idempotency-Key records) on both the Mongo-wire server and mongomock."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import mongomock
import pytest

from services.common.errors import ConcurrentUpdate
from services.gateway.apikeys import ApiKey, hash_key
from services.gateway.store import GatewayStore

NOW = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture(params=["nx-27017", "mongomock"])
def store(request, mongo_uri):
    name = f"gw_{uuid.uuid4().hex[:8]}"
    if request.param == "mongomock":
        made = GatewayStore(mongomock.MongoClient(tz_aware=True, tzinfo=UTC)[name])
        made.ensure_indexes()
        yield made
        return
    client = request.getfixturevalue("mongo_client")
    made = GatewayStore(client[name])
    made.ensure_indexes()
    yield made
    client.drop_database(name)


def issue(kind="staff", partner_id=None, now=NOW) -> tuple[ApiKey, str]:
    return ApiKey.issue(kind=kind, label="desk", partner_id=partner_id, valid_for=timedelta(days=30), now=now,
                        created_by="test")


def test_keys_are_found_by_hash_only_and_revoked_with_compare_and_set(store):
    key, text = issue("partner", "prt_01aaaaaaaaaaaaaaaaaaaaaaaa")
    store.add_key(key)
    found = store.key_by_hash(hash_key(text))
    assert found.id == key.id and found.partner_id == "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"
    assert found.expires_at == NOW + timedelta(days=30)
    assert store.key_by_hash(hash_key(text + "x")) is None
    raw = store.keys.find_one({"_id": key.id})
    assert text not in str(raw) and raw["hash"] == hash_key(text)
    loaded, rev = store.key(key.id)
    loaded.revoke(NOW, "admin")
    store.save_key(loaded, rev)
    with pytest.raises(ConcurrentUpdate):
        store.save_key(loaded, rev)
    assert not store.key_by_hash(hash_key(text)).usable(NOW)


def test_keys_are_listed_in_pages(store):
    for _ in range(5):
        store.add_key(issue()[0])
    first = store.list_keys(after=None, limit=3)
    rest = store.list_keys(after=first[-1].id, limit=3)
    assert len(first) == 3 and len(rest) == 2
    assert {k.id for k in first}.isdisjoint({k.id for k in rest})


def test_an_idempotency_key_is_claimed_once_completed_replayed_and_released(store):
    NOW = datetime.now(UTC)  # noqa: N806 - records expire by the store's TTL index, on the real clock
    assert store.claim("r1", "h1", NOW) is None
    assert store.claim("r1", "h1", NOW)["state"] == "pending"
    store.complete("r1", 201, {"Location": "/v1/x"}, '{"id": "x"}')
    done = store.claim("r1", "h1", NOW + timedelta(seconds=5))
    assert (done["state"], done["status"], done["body"]) == ("done", 201, '{"id": "x"}')
    assert store.claim("r2", "h2", NOW) is None
    store.release("r2")
    assert store.claim("r2", "h3", NOW) is None, "a released key may be used again"
    assert store.claim("r3", "h", NOW) is None
    assert store.claim("r3", "h", NOW + timedelta(minutes=5)) is None, "a claim of a dead request goes stale"
    assert store.claim("r1", "h9", NOW + timedelta(days=2)) is None, "records are forgotten after a day"
