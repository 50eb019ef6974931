"""A partner's webhook receiver (say, a museum's system), with nothing but the standard library and the helper.

    WEBHOOK_SECRET=whsec_... python examples/museum_webhook_receiver.py --port 9000

Register ``http://<this host>:9000/synergy`` as a webhook endpoint of your partner; the secret is shown once,
when you register (or rotate) it. Each verified event is printed as one JSON line; a retry or replay of a
message already handled (same ``webhook-id``) is acknowledged and skipped; anything unsigned or stale gets 401.
Answer fast (2xx within 15 s) and do slow work later: Synergy retries whatever is not acknowledged in time.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Lock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout: the helper lives beside

from services.notify.verify import InvalidWebhook, WebhookReceiver  # noqa: E402

MAX_BODY = 1 << 20


def make_handler(receiver: WebhookReceiver, path: str):
    lock = Lock()  # the receiver remembers webhook ids; one request at a time updates it

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length") or 0)
            if self.path != path or length > MAX_BODY:
                return self._answer(404 if self.path != path else 413)
            body = self.rfile.read(length)
            try:
                with lock:
                    event = receiver.receive(body, dict(self.headers.items()))
            except InvalidWebhook as exc:
                print(json.dumps({"refused": str(exc)}), flush=True)
                return self._answer(401)
            webhook_id = self.headers.get("webhook-id")
            if event is None:
                print(json.dumps({"duplicate": webhook_id}), flush=True)
            else:
                print(json.dumps({"webhook_id": webhook_id, "type": event["type"], "data": event["data"]},
                                 ensure_ascii=False), flush=True)
            return self._answer(204)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("--path", default="/synergy")
    args = parser.parse_args(argv)
    secret = os.environ.get("WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        parser.error("set WEBHOOK_SECRET to the whsec_... secret shown when the endpoint was registered")
    server = ThreadingHTTPServer((args.host, args.port), make_handler(WebhookReceiver(secret), args.path))
    print(json.dumps({"listening": f"http://{args.host}:{server.server_address[1]}{args.path}"}), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
