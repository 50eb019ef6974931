"""A museum's system receives Synergy's webhooks: verifies each signature, drops retries it already handled,
and acts on the events (here: prints each as a JSON line, e.g. to feed its own events page).

    WEBHOOK_SECRET=whsec_... python -m examples.museum_webhooks --port 8080     # or --secret-file whsec.txt
    # the coordinating office subscribed it once:
    #   synergy endpoints create --owner prt_... --url https://museum.example/synergy-hooks \\
    #       --event-type activity.published --event-type activity.cancelled

It answers 204 to a verified webhook (also to a duplicate: a retry or a replay of one already handled), 401 to
anything unsigned, wrongly signed or stale (Synergy never sends those: someone else did), 409 to a retry that
arrives while the first copy is still being handled, and 500 if its own handling failed, so that Synergy
retries. Answer fast (2xx within 15 s) and do slow work later. ``--exit-after N`` stops after N distinct events
(for tests and trying it out).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from pathlib import Path

from synergy_client.webhooks import WebhookReceiver, WebhookServer

PATH = "/synergy-hooks"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--secret-file", help="file holding the endpoint's whsec_ secret (else WEBHOOK_SECRET)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--exit-after", type=int, default=0, help="stop after this many events (0: never)")
    args = parser.parse_args(argv)
    secret = (Path(args.secret_file).read_text(encoding="utf-8") if args.secret_file
              else os.environ.get("WEBHOOK_SECRET", "")).strip()
    if not secret.startswith("whsec_"):
        parser.error("give the whsec_... secret shown when the endpoint was registered: --secret-file or "
                     "WEBHOOK_SECRET")

    handled = 0
    done = threading.Event()
    lock = threading.Lock()

    def on_event(event: dict) -> None:
        nonlocal handled
        data = event["data"]
        line = {"type": event["type"], "activity_id": data.get("activity_id"),
                "title": (data.get("title") or {}).get("zh"), "starts_at": data.get("starts_at")}
        with lock:
            print(json.dumps(line, ensure_ascii=False), flush=True)
            handled += 1
            if args.exit_after and handled >= args.exit_after:
                done.set()

    server = WebhookServer(WebhookReceiver(secret), on_event, args.host, args.port, path=PATH)
    print(f"listening on {server.url}{PATH}", file=sys.stderr, flush=True)
    server.run(until=done if args.exit_after else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
