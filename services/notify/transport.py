"""Sending one webhook request: resolve once, check every address, connect to the checked one, within one deadline.

A URL's host is resolved once per attempt and every address it resolves to must be public (unless
WEBHOOK_ALLOW_PRIVATE=1); the connection then goes to that checked address, never to a second lookup's answer, so
a DNS answer that changes between the check and the request (rebinding, TTL 0) cannot send a webhook to loopback,
link-local or private addresses. The ``Host`` header, and for https the SNI and the certificate check, still name
the URL's host. A refused address answers "address not allowed" at once, whatever listens there, so attempts
cannot be used to scan internal ports.

The whole attempt (connect, send, read the status and headers) has one deadline, enforced by ``eventlet.Timeout``
(the services run monkey-patched): a receiver that trickles its answer is cut there, well before the lease of
the delivery lapses, so the attempt is recorded as failed and never made twice at once.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import certifi
import eventlet
import urllib3

NOT_ALLOWED, DEADLINE, FAILED = "address not allowed", "deadline passed", "connection failed"


class AttemptFailed(Exception):
    """The attempt got no answer; ``str()`` is what its record shows (one of the texts above)."""


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]


def is_public_address(text: str) -> bool:
    """Globally routable unicast only: no loopback, private, link-local, shared (100.64/10), documentation,
    reserved, unspecified or multicast address, also when written as an IPv4-mapped IPv6 address."""
    address = ipaddress.ip_address(text.split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)
    return all(a.is_global and not a.is_multicast for a in (address, mapped) if a is not None)


def checked_addresses(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Every address ``host`` resolves to, each allowed; else ``AttemptFailed(NOT_ALLOWED)``, whatever the cause."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AttemptFailed(NOT_ALLOWED) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses or not (allow_private or all(is_public_address(a) for a in addresses)):
        raise AttemptFailed(NOT_ALLOWED)
    return addresses


def _pool(scheme: str, address: str, port: int, host: str, seconds: float) -> urllib3.HTTPConnectionPool:
    """A pool of one connection to ``address``; for https, TLS names and checks ``host``."""
    timeout = urllib3.Timeout(connect=seconds, read=seconds)
    if scheme == "https":
        return urllib3.HTTPSConnectionPool(address, port, timeout=timeout, maxsize=1, retries=False,
                                           server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED",
                                           ca_certs=certifi.where())
    return urllib3.HTTPConnectionPool(address, port, timeout=timeout, maxsize=1, retries=False)


def post(url: str, body: bytes, headers: dict[str, str], *, allow_private: bool, seconds: float) -> Answer:
    """POST ``body`` to ``url`` within ``seconds`` in all; the answer's status and headers (its body is not read)."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    if parts.scheme not in ("http", "https") or not host:
        raise AttemptFailed(NOT_ALLOWED)
    addresses = checked_addresses(host, port, allow_private=allow_private)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    sent = {**headers, "Host": parts.netloc}
    try:
        with eventlet.Timeout(seconds, AttemptFailed(DEADLINE)):
            for n, address in enumerate(addresses):
                pool = _pool(parts.scheme, address, port, host, seconds)
                try:
                    response = pool.urlopen("POST", target, body=body, headers=sent, redirect=False,
                                            preload_content=False, assert_same_host=False)
                    answer = Answer(response.status, dict(response.headers))
                    response.close()
                    return answer
                except urllib3.exceptions.NewConnectionError:
                    if n == len(addresses) - 1:
                        raise
                finally:
                    pool.close()
    except urllib3.exceptions.NewConnectionError:  # refused or unreachable (a subclass of the connect timeout)
        raise AttemptFailed(FAILED) from None
    except urllib3.exceptions.TimeoutError:
        raise AttemptFailed(DEADLINE) from None
    except (urllib3.exceptions.HTTPError, OSError):
        raise AttemptFailed(FAILED) from None
    raise AttemptFailed(FAILED)  # not reached: the loop answers or raises
