"""Bearer tokens sent to people (survey invitations, attendee links): unguessable, kept only as hashes.

A token is a visible prefix (what it is for) and 256 random bits, URL-safe. Being random, not chosen by a
person, a fast hash is as safe as a slow one for keeping it, and lets the holder be found by an equality query
on the hash. The token itself is shown once (in an answer or an email) and is never stored or logged.
"""
from __future__ import annotations

import hashlib
import re
import secrets

RANDOM_BYTES = 32  # 256 bits: 43 URL-safe characters
SURVEY = "svt_"     # a survey invitation (evaluation)
ATTENDEE = "att_"   # an attendee's own registration (events; the gateway authenticates it)


def new_token(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(RANDOM_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like(token: str, prefix: str) -> bool:
    """Whether ``token`` has the form of one made by ``new_token(prefix)`` (before any lookup)."""
    return re.fullmatch(re.escape(prefix) + r"[A-Za-z0-9_-]{43}", token) is not None
