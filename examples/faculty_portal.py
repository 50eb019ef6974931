"""A faculty's portal publishes a lecture in Synergy over the HTTP API, with the Python client.

    export SYNERGY_API_URL=http://127.0.0.1:8000 SYNERGY_API_KEY=...
    python -m examples.faculty_portal --lecture-id hist-2026-12 --co prt_01...

The portal keeps its own lecture ids; it derives the ``Idempotency-Key`` of the creation from it, so that a
retried or re-run publication never drafts the lecture twice (where the API honours idempotency keys). It finds
its own partner record by name (registering it the first time), drafts the lecture, publishes it (submitting it
for review and approving it first where the API asks for that: the portal's key here is the office's), and prints
the published activity as JSON on stdout. Exit 0 on success, 1 when the API refused (the problem on stderr),
3 when the cluster cannot be reached.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from synergy_client import ApiError, ConnectionFailed, SynergyClient

FACULTY = {"name": {"zh": "历史学院", "en": "School of History"}, "level": "campus", "kind": "faculty",
           "themes": ["history"]}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def our_partner(client: SynergyClient) -> str:
    """Our faculty's partner id: found by name among the faculties, or registered."""
    for partner in client.partners(kind="faculty", q=FACULTY["name"]["zh"]):
        if partner.name.get("zh") == FACULTY["name"]["zh"]:
            return partner.id
    return client.register_partner(FACULTY, idempotency_key="faculty-portal-partner-history").id


def lecture(lead: str, co: list[str], starts: datetime) -> dict:
    return {"title": {"zh": "史料里的城市：上海开埠史讲座",
                      "en": "The city in its sources: a lecture on Shanghai's port"},
            "activity_type": "lecture", "paths": ["activity", "resources"], "themes": ["history", "city"],
            "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "venue": "Library lecture hall", "lead_organizer": lead, "co_organizers": co,
            "description": "Held jointly with the library's local-history collection."}


def publish_lecture(client: SynergyClient, lecture_id: str, co: list[str], starts: datetime) -> dict:
    lead = our_partner(client)
    draft = client.create_activity(lecture(lead, co, starts), idempotency_key=f"faculty-portal-{lecture_id}")
    return client.publish_reviewed(draft.id).raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lecture-id", default="hist-lecture-1", help="the portal's own id of the lecture")
    parser.add_argument("--co", action="append", default=[], metavar="PARTNER_ID", help="a co-organizer")
    parser.add_argument("--days-ahead", type=int, default=14)
    args = parser.parse_args(argv)
    starts = (datetime.now(SHANGHAI) + timedelta(days=args.days_ahead)).replace(hour=14, minute=0, second=0,
                                                                               microsecond=0)
    client = SynergyClient(os.environ.get("SYNERGY_API_URL", "http://127.0.0.1:8000"),
                           os.environ.get("SYNERGY_API_KEY"))
    try:
        published = publish_lecture(client, args.lecture_id, args.co, starts)
    except ApiError as exc:
        print(json.dumps(exc.problem, ensure_ascii=False), file=sys.stderr)
        return 1
    except ConnectionFailed as exc:
        print(exc, file=sys.stderr)
        return 3
    print(json.dumps(published, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
