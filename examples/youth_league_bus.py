"""The youth league's system publishes a joint activity straight onto Synergy's bus and waits for the answer,
and keeps its "second classroom" record of volunteer hours in step from Synergy's webhooks.

    python -m examples.youth_league_bus submit --lead prt_01...   # AMQP_URI: the league's own broker user
    python -m examples.youth_league_bus hours --secret-file whsec.txt --ledger hours.json --port 8081

``submit``: a CloudEvents envelope (docs/envelope.md) of type ``activity.submit`` whose data is the body of
``POST /v1/activities`` goes to the ingress exchange ``synergy.ingress`` with publisher confirms; the events
service validates it as the HTTP path does, drafts and submits the activity for the office's approval, and
answers on the reply queue of the league's broker user (``synergy.replies.<user>``; the coordinating office made
both with ``synergy bus-access grant --user youth-league --partner prt_…``, which binds the user to the league:
it may submit only activities the league leads): ``{"status": "accepted", "activity_id", ...}`` or
``{"status": "refused", "title", "detail", "errors"}``. Prints the answer as JSON; exit 0 accepted, 1 refused,
3 broker unreachable, 4 no answer in time.

``hours``: receives ``participation.recorded`` webhooks ({person_id, activity_id, kind, hours, recorded_at})
and adds each one once (deduplicated by webhook-id, then by person and activity) to a JSON ledger of hours per
person.

The ingress and its answer are the events service's; tests/e2e/test_examples.py runs this against the cluster
once the events service declares the ingress exchange.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from synergy_client.bus import INGRESS_EXCHANGE, BusError, BusPublisher, Refused, ReplyTimeout
from synergy_client.webhooks import WebhookReceiver, WebhookServer

INGRESS_TYPE = "activity.submit"
SOURCE = "/campus/youth-league"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def volunteer_day(lead: str, co: list[str], starts: datetime) -> dict:
    return {"title": {"zh": "图书馆志愿服务日", "en": "Library volunteer day"}, "activity_type": "volunteer_service",
            "paths": ["service", "practice"], "themes": ["volunteering"], "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=4)).isoformat(), "venue": "Main library",
            "lead_organizer": lead, "co_organizers": co}


def submit(args: argparse.Namespace) -> int:
    starts = (datetime.now(SHANGHAI) + timedelta(days=args.days_ahead)).replace(hour=9, minute=0, second=0,
                                                                               microsecond=0)
    try:
        with BusPublisher(args.amqp_uri, source=SOURCE, exchange=args.exchange, reply_queue=args.reply_queue) as bus:
            answer = bus.request(INGRESS_TYPE, volunteer_day(args.lead, args.co, starts), timeout=args.timeout)
    except Refused as exc:
        print(json.dumps(exc.problem, ensure_ascii=False), file=sys.stderr)
        return 1
    except ReplyTimeout as exc:
        print(exc, file=sys.stderr)
        return 4
    except BusError as exc:
        print(exc, file=sys.stderr)
        return 3
    print(json.dumps(answer, ensure_ascii=False))
    return 0


class HoursLedger:
    """Hours per person, kept in a JSON file; one participation counted once."""

    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        self.state = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"counted": [],
                                                                                          "hours": {}}

    def record(self, data: dict) -> bool:
        key = f"{data['person_id']}:{data['activity_id']}:{data['kind']}"
        with self.lock:
            if key in self.state["counted"]:
                return False
            self.state["counted"].append(key)
            person = data["person_id"]
            self.state["hours"][person] = round(self.state["hours"].get(person, 0) + float(data["hours"]), 2)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=2), encoding="utf-8")
            tmp.replace(self.path)
            return True


def hours(args: argparse.Namespace) -> int:
    receiver = WebhookReceiver(Path(args.secret_file).read_text(encoding="utf-8").strip())
    ledger = HoursLedger(Path(args.ledger))
    done, seen = threading.Event(), []

    def on_event(event: dict) -> None:
        if event["type"] != "participation.recorded":
            return
        if ledger.record(event["data"]):
            print(json.dumps(event["data"], ensure_ascii=False), flush=True)
        seen.append(event)
        if args.exit_after and len(seen) >= args.exit_after:
            done.set()

    server = WebhookServer(receiver, on_event, args.host, args.port, path="/hours")
    print(f"listening on {server.url}/hours", file=sys.stderr, flush=True)
    server.run(until=done if args.exit_after else None)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("submit", help="submit a volunteer day over the bus and wait for the answer")
    pub.add_argument("--lead", required=True, metavar="PARTNER_ID")
    pub.add_argument("--co", action="append", default=[], metavar="PARTNER_ID")
    pub.add_argument("--amqp-uri", default=os.environ.get("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/"))
    pub.add_argument("--exchange", default=INGRESS_EXCHANGE)
    pub.add_argument("--reply-queue", help="the queue answers come to (default: synergy.replies.<user>, the only "
                                           "one Synergy's ingress answers on)")
    pub.add_argument("--timeout", type=float, default=30.0)
    pub.add_argument("--days-ahead", type=int, default=10)
    rec = sub.add_parser("hours", help="receive participation.recorded webhooks into an hours ledger")
    rec.add_argument("--secret-file", required=True)
    rec.add_argument("--ledger", required=True)
    rec.add_argument("--host", default="127.0.0.1")
    rec.add_argument("--port", type=int, default=8081)
    rec.add_argument("--exit-after", type=int, default=0)
    args = parser.parse_args(argv)
    return submit(args) if args.command == "submit" else hours(args)


if __name__ == "__main__":
    sys.exit(main())
