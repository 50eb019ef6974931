"""A real HTTP server on 127.0.0.1 that answers from a script and records every request it got."""
from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    content_type: str = "application/json"


class ScriptedServer:
    """``script(answer, ...)`` queues answers; when none is queued, ``route`` (method, path) -> Answer decides."""

    def __init__(self):
        self.seen: list[Seen] = []
        self.queued: deque[Answer] = deque()
        self.route = lambda method, path, query, seen: Answer(404, {"title": "Not found", "status": 404})
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length", 0) or 0))
                seen = Seen(self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()),
                            json.loads(raw) if raw else None)
                outer.seen.append(seen)
                answer = outer.queued.popleft() if outer.queued else outer.route(self.command, parts.path,
                                                                                 seen.query, seen)
                if answer.body is None:
                    data = b""
                elif isinstance(answer.body, str) and "json" not in answer.content_type:
                    data = answer.body.encode()  # a text file as it is (CSV, HTML, iCalendar)
                else:
                    data = json.dumps(answer.body).encode()
                self.send_response(answer.status)
                for key, value in (answer.headers or {}).items():
                    self.send_header(key, value)
                if data:
                    self.send_header("Content-Type", answer.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _any  # noqa: N815 - http.server's naming

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def script(self, *answers: Answer) -> ScriptedServer:
        self.queued.extend(answers)
        return self

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
