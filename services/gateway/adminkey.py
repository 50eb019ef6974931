"""The administrator's key file (``var/admin.key`` of ``bin/cluster``): a stored admin API key like any other,
so it expires, is listed and can be revoked; ``ensure`` renews it when close to its expiry, ``rotate`` at once.

The file is made with mode 0600 in the same call that creates it (``O_CREAT | O_EXCL``: never a moment with a
wider mode, whatever the umask), written, then moved over the old file in one rename.
"""
from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from services.gateway.apikeys import ADMIN, ApiKey, hash_key
from services.gateway.store import GatewayStore

VALID_FOR = timedelta(days=90)
RENEW_BEFORE = timedelta(days=14)  # a key that expires sooner is replaced when the cluster starts
LABEL = "administrator (key file)"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable by its owner only from the first instant."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _current(store: GatewayStore, path: Path) -> ApiKey | None:
    text = path.read_text().strip() if path.exists() else ""
    return store.key_by_hash(hash_key(text)) if text else None


def rotate(store: GatewayStore, path: Path, now: datetime, valid_for: timedelta = VALID_FOR) -> str:
    """A new admin key in ``path``; the one it held (if stored) is revoked once the new one is written."""
    old = _current(store, path)
    key, text = ApiKey.issue(kind=ADMIN, label=LABEL, partner_id=None, valid_for=valid_for, now=now,
                             created_by="key-file")
    store.add_key(key)
    write_private(path, text + "\n")
    if old is not None:
        found = store.key(old.id)
        if found is not None:
            stored, rev = found
            stored.revoke(now, "key-file rotation")
            store.save_key(stored, rev)
    return text


def ensure(store: GatewayStore, path: Path, now: datetime, valid_for: timedelta = VALID_FOR) -> str:
    """The key in ``path`` if it is usable for a while yet; else a new one (see ``rotate``)."""
    current = _current(store, path)
    if current is not None and current.usable(now + RENEW_BEFORE):
        return path.read_text().strip()
    return rotate(store, path, now, valid_for)
