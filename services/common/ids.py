"""Identifiers: a short type prefix and a ULID, so ids sort by creation time and say what they name."""
from __future__ import annotations

import base64
import hashlib
import os
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


def ulid() -> str:
    """26 characters: 48 bits of milliseconds then 80 random bits."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    return f"{prefix}_{ulid()}"


def derived_id(prefix: str, *parts: str) -> str:
    """The same parts always name the same object (an id a redelivered message finds again), 26 characters."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return f"{prefix}_" + base64.b32encode(digest).decode().lower()[:26]
