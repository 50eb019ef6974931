"""A real HTTP server on 127.0.0.1 that receives webhooks and answers as a test tells it to."""
from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Behaviour:
    """What the server answers: queued (status, headers, delay) first, then the default."""

    default: tuple[int, dict[str, str], float] = (200, {}, 0.0)
    queued: deque = field(default_factory=deque)

    def next(self) -> tuple[int, dict[str, str], float]:
        return self.queued.popleft() if self.queued else self.default


class WebhookServer:
    def __init__(self):
        self.received: list[Received] = []
        self.behaviour = Behaviour()
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with outer._lock:
                    outer.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                   body, time.time()))
                    status, headers, delay = outer.behaviour.next()
                    outer.in_flight += 1
                    outer.max_in_flight = max(outer.max_in_flight, outer.in_flight)
                if delay:
                    time.sleep(delay)
                with outer._lock:
                    outer.in_flight -= 1
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebhookServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def to(self, path: str) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.path == path]
