"""Receiving Synergy's webhooks: verify the signature, drop retries already handled, answer fast.

    from synergy_client.webhooks import WebhookReceiver, serve
    receiver = WebhookReceiver("whsec_...")
    server = serve(receiver, lambda event: print(event["type"]), port=8080)   # a thread; server.stop()

Verification and deduplication by ``webhook-id`` are the reference ``services.notify.verify.WebhookReceiver``
(the reference ``standardwebhooks`` implementation underneath). ``wsgi_app`` mounts the same handling in any
WSGI framework; ``serve`` runs it on the standard library's server.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from services.notify.verify import InvalidWebhook, StillHandling, WebhookReceiver

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], None]
MAX_BODY = 1 << 20


def headers_of(environ: dict[str, Any]) -> dict[str, str]:
    out = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = environ["CONTENT_TYPE"]
    return out


def handle_request(receiver: WebhookReceiver, handler: Handler, body: bytes,
                   headers: dict[str, str]) -> int:
    """The status to answer: 401 unverified, 204 handled (or a duplicate of one handled), 409 while another
    copy is still being handled, 500 when the handler failed. Synergy retries a 409 or 500 later, with the same
    ``webhook-id``; so a retry that overtakes a slow first copy is not acknowledged before the event is handled."""
    try:
        payload = receiver.begin(body, headers)
    except InvalidWebhook as exc:
        log.warning("refused a webhook: %s", exc)
        return 401
    except StillHandling:
        return 409
    if payload is None:
        return 204
    try:
        handler(payload)
    except Exception:  # noqa: BLE001 - the sender must retry; forget the id so the retry is handled
        log.exception("webhook handler failed")
        receiver.forget(headers)
        return 500
    receiver.settle(headers)
    return 204


def wsgi_app(receiver: WebhookReceiver, handler: Handler, path: str | None = None) -> Callable:
    def app(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] != "POST" or (path is not None and environ.get("PATH_INFO") != path):
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY:
            start_response("413 Payload Too Large", [("Content-Length", "0")])
            return [b""]
        body = environ["wsgi.input"].read(length)
        status = handle_request(receiver, handler, body, headers_of(environ))
        reason = {204: "No Content", 401: "Unauthorized", 409: "Conflict", 500: "Internal Server Error"}[status]
        start_response(f"{status} {reason}", [("Content-Length", "0")])
        return [b""]
    return app


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        log.debug("%s " + format, self.address_string(), *args)


class WebhookServer:
    """A small threaded HTTP server running ``wsgi_app``: for scripts, examples and tests."""

    def __init__(self, receiver: WebhookReceiver, handler: Handler, host: str = "127.0.0.1", port: int = 0,
                 path: str | None = None):
        self._server = make_server(host, port, wsgi_app(receiver, handler, path),
                                   server_class=_ThreadingWSGIServer, handler_class=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="webhooks", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> WebhookServer:
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def run(self, until: threading.Event | None = None) -> None:
        """Serve until ``until`` is set (or, without one, until Ctrl-C), then stop."""
        if until is None:
            try:
                self.serve_forever()
            except KeyboardInterrupt:
                pass
            finally:
                self._server.server_close()
            return
        self.start()
        until.wait()
        self.stop()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve(receiver: WebhookReceiver, handler: Handler, host: str = "127.0.0.1", port: int = 0,
          path: str | None = None) -> WebhookServer:
    """Start a webhook server in a background thread and return it (``.url``, ``.stop()``)."""
    return WebhookServer(receiver, handler, host, port, path).start()


__all__ = ["InvalidWebhook", "StillHandling", "WebhookReceiver", "WebhookServer", "handle_request", "serve", "wsgi_app"]
