"""The gateway's HTTP server: nameko's eventlet WSGI server, with two guards before any worker is taken.

- **Framing refusals are problems.** eventlet answers a request line longer than 8 KiB (414), a header line or
  header block too large (431 here; eventlet says 400) or a bad ``Content-Length`` (400) itself, with an empty
  body; the standard library's parser answers others (too many headers, a bad version) with an HTML page. Here
  each becomes ``application/problem+json`` like every other refusal.
- **The body is read before a worker is taken, within a deadline, up to the size limit.** nameko runs at most
  ``max_workers`` (10) handlers at once; a handler that reads a body sent one byte a second would hold one of
  them. Bodies are read here, in the connection's own green thread, within ``API_BODY_READ_SECONDS``; a body not
  in by then is answered 408, one over ``API_MAX_BODY_BYTES`` 413, and the connection closed in stages: the
  server stops writing, then reads and discards what the client still sends for at most ``LINGER_SECONDS`` (and
  twice the size limit) before it closes. Closing at once with unread data sends a reset, and the client's kernel
  then drops the answer it had not read yet: a client still sending would see "connection reset", not the 413.
  A handler then reads the body from memory.

Every route takes ``http`` from here (not ``nameko.web.handlers``) so that all of them share this server.
"""
from __future__ import annotations

import io
import json
import socket
from collections.abc import Callable

import eventlet
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import HttpOnlyProtocol, WebServer

from services.common.config import env
from services.common.ids import new_id

PROBLEM = "application/problem+json"
FRAMING = {414: ("URI too long", "The request line is longer than 8192 bytes; send long input in a body."),
           431: ("Header fields too large", "A header line or the header block is too large."),
           400: ("Bad request", "The request is not well-formed HTTP.")}
CLOSE = "synergy.close_connection"
LINGER_SECONDS = 2.0  # how long a refused client may go on sending before the connection is closed


def problem_bytes(status: int, title: str, detail: str, reason: str, headers: dict | None = None) -> bytes:
    """A whole HTTP/1.1 answer carrying a problem, for the server to write on the socket itself."""
    cid = new_id("cor")
    body = json.dumps({"type": f"https://synergy.example/problems/http_{status}", "title": title,
                       "status": status, "detail": detail, "correlation_id": cid}).encode()
    lines = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {PROBLEM}", f"Content-Length: {len(body)}",
             "Connection: close", f"X-Correlation-Id: {cid}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _framing_status(status_line: bytes) -> int:
    parts = status_line.split(b" ", 2)
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 400
    if code == 400 and b"Too" in status_line:  # "Header Line Too Long", "Headers Too Large"
        return 431
    return code if code in FRAMING else 400


class ProblemWriter:
    """The connection's output: eventlet's own bare refusals (``HTTP/1.0 4xx``, written before any application
    runs) are rewritten as problems; everything else passes as it is."""

    def __init__(self, raw):
        self._raw = raw

    def write(self, data: bytes) -> int:
        if data.startswith(b"HTTP/1.0 4"):
            status = _framing_status(data.split(b"\r\n", 1)[0])
            title, detail = FRAMING[status]
            data = problem_bytes(status, title, detail, title)
        return self._raw.write(data)

    def __getattr__(self, name: str):
        return getattr(self._raw, name)


class ProblemProtocol(HttpOnlyProtocol):
    """eventlet's protocol, answering framing errors as problems and letting the application close the
    connection (``environ[CLOSE]()``) when it answers without having read the body."""

    def setup(self) -> None:
        super().setup()
        self.wfile = ProblemWriter(self.wfile)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        status = code if code in FRAMING else 400
        title, detail = FRAMING[status]
        self.close_connection = True
        self.wfile.write(problem_bytes(status, title, message or detail, title))

    def get_environ(self) -> dict:
        environ = super().get_environ()
        environ[CLOSE] = self._close_unread
        return environ

    def _close_unread(self) -> None:
        """The answer is given without the body having been read: close after it, in stages (``finish``)."""
        self.close_connection = 1
        self.unread = True

    def finish(self) -> None:
        if getattr(self, "unread", False):
            self._linger()
        super().finish()

    def _linger(self) -> None:
        """Stop writing, then discard what is still coming (bounded in time and bytes), so the close sends no reset."""
        budget = 2 * int(env("API_MAX_BODY_BYTES"))
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_WR)
            with eventlet.Timeout(LINGER_SECONDS, False):
                while budget > 0 and (chunk := self.connection.recv(65536)):
                    budget -= len(chunk)
        except OSError:
            pass  # the client is gone already: nothing to protect


def body_read_seconds() -> float:
    return float(env("API_BODY_READ_SECONDS"))


class BodyFirst:
    """WSGI middleware: the body is read (up to the size limit, within the deadline) before the route runs; a
    body too large or too slow is refused here, and the connection closed rather than drained."""

    def __init__(self, app: Callable, max_bytes: Callable[[], int]):
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ: dict, start_response: Callable):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length, limit = int(environ.get("CONTENT_LENGTH") or 0), self.max_bytes()
        if length > limit:
            return self._refuse(environ, start_response, 413, "Body too large", f"At most {limit} bytes.")
        if chunked or length:
            try:
                with eventlet.Timeout(body_read_seconds()):
                    body = environ["wsgi.input"].read(limit + 1 if chunked else length)
            except eventlet.Timeout:
                return self._refuse(environ, start_response, 408, "Request timeout",
                                    f"The body must arrive within {body_read_seconds():g} s.")
            if len(body) > limit:
                return self._refuse(environ, start_response, 413, "Body too large", f"At most {limit} bytes.")
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
            environ.pop("HTTP_TRANSFER_ENCODING", None)
        return self.app(environ, start_response)

    @staticmethod
    def _refuse(environ: dict, start_response: Callable, status: int, title: str, detail: str) -> list[bytes]:
        environ.get(CLOSE, lambda: None)()
        cid = new_id("cor")
        body = json.dumps({"type": f"https://synergy.example/problems/http_{status}", "title": title,
                           "status": status, "detail": detail, "correlation_id": cid}).encode()
        start_response(f"{status} {title}", [("Content-Type", PROBLEM), ("Content-Length", str(len(body))),
                                             ("Connection", "close"), ("X-Correlation-Id", cid)])
        return [body]


class GatewayWebServer(WebServer):
    def get_wsgi_server(self, sock, wsgi_app, protocol=ProblemProtocol, debug=False):
        return super().get_wsgi_server(sock, wsgi_app, protocol=protocol, debug=debug)

    def get_wsgi_app(self):
        from services.gateway.intake import max_body_bytes  # the limit is the request intake's
        return BodyFirst(super().get_wsgi_app(), max_body_bytes)


class GatewayRoute(HttpRequestHandler):
    server = GatewayWebServer()


http = GatewayRoute.decorator
