"""API keys: made with enough randomness that a fast hash is a safe way to keep them, shown once, never stored.

A key reads ``syn_<prefix>_<secret>``: ``syn_<prefix>`` is the visible part, kept and shown in lists so that people
can tell their keys apart; ``<secret>`` is 256 random bits. Only the SHA-256 of the whole key is stored. A slow
password hash (bcrypt, argon2) protects *guessable* secrets; a 256-bit random key cannot be guessed, so SHA-256 is
as safe, lets the gateway find a key by an indexed equality query on its hash (no scan, no per-key comparison
whose timing could leak), and costs microseconds per request instead of tens of milliseconds.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.common import ids
from services.common.policy import ADMIN, CAMPUS_SYSTEM, KINDS, PARTNER, STAFF, Principal

KEY_PREFIX = "syn_"
PREFIX_CHARS = 10


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def looks_like_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX) and 20 <= len(token) <= 200 and token.isascii() and token.isprintable()


@dataclass
class ApiKey:
    id: str
    prefix: str
    hash: str
    kind: str
    partner_id: str | None
    label: str
    created_at: datetime
    created_by: str
    expires_at: datetime
    revoked_at: datetime | None = None
    revoked_by: str | None = None

    @classmethod
    def issue(cls, *, kind: str, label: str, partner_id: str | None, valid_for: timedelta, now: datetime,
              created_by: str) -> tuple[ApiKey, str]:
        """A new key and its secret text (to show once)."""
        if kind not in KINDS:
            raise ValueError(f"unknown principal kind {kind!r}")
        if (kind == PARTNER) != (partner_id is not None):
            raise ValueError("a partner key names its partner; other keys name none")
        visible = KEY_PREFIX + ids.ulid()[-PREFIX_CHARS:]
        text = f"{visible}_{secrets.token_urlsafe(32)}"
        key = cls(id=ids.new_id("key"), prefix=visible, hash=hash_key(text), kind=kind, partner_id=partner_id,
                  label=label, created_at=now, created_by=created_by, expires_at=now + valid_for)
        return key, text

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at

    def revoke(self, now: datetime, by: str) -> None:
        if self.revoked_at is None:
            self.revoked_at, self.revoked_by = now, by

    def principal(self) -> Principal:
        return Principal(kind=self.kind, key_id=self.id, partner_id=self.partner_id)

    def view(self, now: datetime) -> dict:
        """What anyone may see of a key later: never the hash, never the secret."""
        status = "revoked" if self.revoked_at else ("expired" if now >= self.expires_at else "active")
        return {"id": self.id, "prefix": self.prefix, "kind": self.kind, "partner_id": self.partner_id,
                "label": self.label, "created_at": self.created_at, "created_by": self.created_by,
                "expires_at": self.expires_at, "revoked_at": self.revoked_at,
                "status": status}


__all__ = ["ADMIN", "STAFF", "PARTNER", "CAMPUS_SYSTEM", "ApiKey", "hash_key", "looks_like_key"]
