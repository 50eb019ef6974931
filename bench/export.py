"""Export benchmark: the term-wide participation export over HTTP, against reading the same rows from the store.

``.venv/bin/python -m bench.export [--activities N] [--per-activity M] [--repeat R]`` (or ``python -m bench.export``
from the repository root, which re-runs itself under ``.venv``).

The data: an environment of its own like the end-to-end tests (embedded Mongo-wire server unless MONGO_URI is
set, a fresh RabbitMQ vhost, the five service processes, without the per-key rate limit), one partner, and N
activities, all set up through the HTTP API as an organizer would (not timed): each is created, submitted,
approved and published, starts an hour from now, gets M registrations that are all checked in by their codes, and
V volunteer sign-ups on one shift whose hours are confirmed. So every activity has M + V participation rows,
written by the events service itself.

Timed, each R times over the day range the activities start in:

- ``json``: walking ``GET /v1/participation`` page by page with the Python client
  (``SynergyClient.participation_export``, ``--page-size`` rows a page);
- ``csv``: ``GET /v1/participation.csv`` in one answer (``SynergyClient.participation_csv``);
- ``store``, the baseline: the same rows read in this process straight from the events database with pymongo
  (the range's activities in export order, their rosters ``ROSTER_BATCH`` at a time; the service grows its
  batches from 4 to 128) and built with
  ``services.events.transcript.rows_of``, without RPC, HTTP or JSON.

Prints rows, median seconds and rows/s of each, the ratios json/store and csv/store, whether the three gave the same
rows, and the peak resident memory (VmHWM) of the events and gateway processes after the set-up and after the
exports. Writes ``bench/results/export-<timestamp>.json``. Everything it starts is stopped again, also on an error
or Ctrl-C.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench import reexec_in_project_venv

try:
    import pymongo
except ModuleNotFoundError:  # e.g. `python -m bench.export` with a Python outside the project's .venv
    reexec_in_project_venv("bench.export")
    raise

from bench._cluster import (
    Environment,
    expect,
    fmt,
    git_state,
    host_state,
    peak_rss_kib,
    ratio,
    run_guarded,
    run_on_threads,
    save_results,
)
from deploy.launcher import ROOT
from services.events import transcript
from services.events.listing import CALENDAR_STATUSES
from services.events.store import _public_activity, _roster
from synergy_client import SynergyClient
from tests.support.api import Api

ORGANIZER = {"name": {"zh": "历史学院", "en": "School of History"}, "level": "campus", "kind": "faculty",
             "themes": ["history"]}
# the set-up makes about ten thousand requests with one key (defaults); the export is measured, not the gateway's limit
SETTINGS = {"API_RATE_LIMIT_PER_MINUTE": "0"}
ROSTER_BATCH = 100  # rosters read at a time, as services/events/usecases.py reads them for the export
Row = tuple[str, str, bool, float]  # person id, activity id, attended, volunteer hours


# ------------------------------------------------------------------------------------------------ set-up

def at(hours: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


def set_up_activity(api: Api, organizer: str, index: int, per_activity: int, volunteers: int) -> None:
    """One published activity starting within the hour, ``per_activity`` people checked in, ``volunteers`` with
    hours confirmed."""
    made = expect(api.post("/v1/activities", {
        "title": {"zh": f"科学与艺术讲座 {index}", "en": f"Science and Art lecture {index}"},
        "activity_type": "lecture", "paths": ["activity"], "themes": ["science"],
        "starts_at": at(1), "ends_at": at(3), "venue": "Library lecture hall", "lead_organizer": organizer,
        "co_organizers": [], "capacity": per_activity + 10}), 201)
    path = f"/v1/activities/{made['id']}"
    for step in ("submit", "approve", "publish"):
        expect(api.post(f"{path}/{step}"))
    for number in range(per_activity):
        person = f"s{(index * 7 + number) % 100000:05d}"  # students come to several activities
        code = expect(api.post(f"{path}/registrations", {"person_id": person, "email": f"{person}@uni.edu"}),
                      201)["code"]
        expect(api.post(f"{path}/check-ins", {"code": code}))
    if not volunteers:
        return
    role = expect(api.post(f"{path}/volunteer-roles", {"name": {"zh": "引导员", "en": "guide"}}), 201)["roles"][0]
    shift = expect(api.post(f"{path}/volunteer-shifts", {"role_id": role["role_id"], "starts_at": at(-0.2),
                                                         "ends_at": at(2), "places": volunteers}), 201)["shifts"][0]
    for number in range(volunteers):
        person = f"v{number:04d}"
        signup = expect(api.post(f"{path}/volunteers", {"shift_id": shift["shift_id"], "person_id": person,
                                                        "email": f"{person}@uni.edu"}), 201)
        expect(api.post(f"{path}/volunteers/{signup['signup_id']}/hours", {"hours": 1.5}))


def set_up(env: Environment, args: argparse.Namespace, stop: threading.Event) -> float:
    """Every activity with its participants, from ``--concurrency`` threads; the seconds it took."""
    started = time.perf_counter()
    organizer = expect(env.api.post("/v1/partners", ORGANIZER), 201)["id"]
    run_on_threads(list(range(args.activities)), args.concurrency, lambda: env.api_session(
        lambda api, index: set_up_activity(api, organizer, index, args.per_activity, args.volunteers)), stop)
    return time.perf_counter() - started


def span(zone: str) -> dict[str, str]:
    """The export range around the activities' day: from yesterday to tomorrow in the display zone."""
    day = (datetime.now(UTC) + timedelta(hours=1)).astimezone(ZoneInfo(zone)).date()
    return {"from": (day - timedelta(days=1)).isoformat(), "to": (day + timedelta(days=1)).isoformat()}


# ---------------------------------------------------------------------------------------------- the reads

def read_json(client: SynergyClient, args: argparse.Namespace, dates: dict[str, str]) -> list[Row]:
    return [(r["person_id"], r["activity_id"], r["attended"], float(r["volunteer_hours"]))
            for r in client.participation_export(page_size=args.page_size, **dates)]


def read_csv(client: SynergyClient, dates: dict[str, str]) -> list[Row]:
    reader = csv.DictReader(io.StringIO(client.participation_csv(**dates)))
    return [(r["person_id"], r["activity_id"], r["attended"] == "true", float(r["volunteer_hours"])) for r in reader]


def read_store(env: Environment, dates: dict[str, str], zone: str) -> list[Row]:
    """The same rows straight from the events database, built as the service builds them."""
    db = env.db("events")
    starts, ends = transcript.window(datetime.fromisoformat(dates["from"]).date(),
                                     datetime.fromisoformat(dates["to"]).date(), zone)
    activities = [_public_activity(doc) for doc in db["activities"].find(
        {"$and": [{"status": {"$in": list(CALENDAR_STATUSES)}}, {"starts_at": {"$gte": starts}},
                  {"starts_at": {"$lt": ends}}]}).sort("listing_key", pymongo.ASCENDING)]
    rows: list[Row] = []
    for first in range(0, len(activities), ROSTER_BATCH):
        batch = activities[first:first + ROSTER_BATCH]
        rosters = {doc["_id"]: _roster(doc) for doc in db["rosters"].find({"_id": {"$in": [a["id"] for a in batch]}})}
        for activity in batch:
            if activity["id"] in rosters:
                rows += [(r["person_id"], r["activity_id"], r["attended"], r["volunteer_hours"])
                         for r in transcript.rows_of(activity, rosters[activity["id"]], zone)]
    return rows


def timed(read: Callable[[], list[Row]], repeat: int, stop: threading.Event) -> tuple[list[Row], list[float]]:
    """The rows of the last of ``repeat`` reads and the seconds of each."""
    seconds: list[float] = []
    rows: list[Row] = []
    for _ in range(repeat):
        if stop.is_set():
            break
        started = time.perf_counter()
        rows = read()
        seconds.append(time.perf_counter() - started)
    return rows, seconds


def figures(rows: list[Row], seconds: list[float]) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {"rows": len(rows), "seconds": median, "rows_per_s": len(rows) / median if median > 0 else None,
            "seconds_each": seconds}


def memory(env: Environment) -> dict[str, int | None]:
    """Peak resident memory (KiB) of the processes the export runs through."""
    return {name: peak_rss_kib(env.cluster.processes[name].pid) for name in ("events", "gateway")}


# ---------------------------------------------------------------------------------------------- output

def render(results: dict[str, Any]) -> str:
    """The human-readable table of a run."""
    config, reads, ratios = results["config"], results["reads"], results["ratios"]
    lines = [f"participation export benchmark: {config['activities']} activities x ({config['per_activity']} "
             f"checked in + {config['volunteers']} volunteers), page size {config['page_size']}, "
             f"median of {config['repeat']}",
             f"{'':34}{'rows':>8}{'seconds':>10}{'rows/s':>12}{'/ store':>10}"]
    labels = {"json": "json pages over HTTP (client)", "csv": "csv over HTTP (client)",
              "store": "store read with pymongo (baseline)"}
    for name, label in labels.items():
        data = reads[name]
        lines.append(f"{label:34}{data['rows']:>8}{fmt(data['seconds'], 3):>10}{fmt(data['rows_per_s']):>12}"
                     f"{fmt(ratios.get(name), 2) if name != 'store' else '':>10}")
    lines.append(f"same rows in all three: {'yes' if results['same_rows'] else 'NO'}")
    before, after = results["peak_rss_kib"]["after_set_up"], results["peak_rss_kib"]["after_exports"]
    for name in ("events", "gateway"):
        lines.append(f"{name} peak RSS (VmHWM): {fmt(_mib(before[name]))} MiB after the set-up, "
                     f"{fmt(_mib(after[name]))} MiB after the exports")
    return "\n".join(lines)


def _mib(kib: int | None) -> float | None:
    return None if kib is None else kib / 1024


# ------------------------------------------------------------------------------------------------ main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.export", description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=200, help="activities in the range")
    parser.add_argument("--per-activity", type=int, default=20, help="people checked in at each activity")
    parser.add_argument("--volunteers", type=int, default=3, help="volunteers with confirmed hours at each activity")
    parser.add_argument("--repeat", type=int, default=3, help="reads of each kind (the median is shown)")
    parser.add_argument("--page-size", type=int, default=200, help="rows a JSON page (1-1000; the API's default)")
    parser.add_argument("--concurrency", type=int, default=8, help="threads setting up activities")
    args = parser.parse_args(argv)
    if min(args.activities, args.per_activity, args.repeat, args.concurrency) < 1 or args.volunteers < 0:
        parser.error("--activities, --per-activity, --repeat and --concurrency must be at least 1")
    if not 1 <= args.page_size <= 1000:
        parser.error("--page-size must be 1-1000")
    return args


def measure(args: argparse.Namespace, stack: ExitStack, workdir: Path, stop: threading.Event, stamp: str) -> int:
    """Set up, then the three reads; figures printed and saved. 0 when all three gave the same rows."""
    results: dict[str, Any] = {
        "benchmark": "export", "started_at": stamp,
        "config": {"activities": args.activities, "per_activity": args.per_activity, "volunteers": args.volunteers,
                   "repeat": args.repeat, "page_size": args.page_size, "concurrency": args.concurrency,
                   "set_up": "HTTP API"},
        "host": host_state(),
        "git": git_state(),
    }
    print("export: starting Mongo, a vhost and the cluster ...", flush=True)
    started = time.monotonic()
    env = Environment(stack, workdir, SETTINGS)
    zone = env.cluster.env.get("DISPLAY_TIMEZONE", "Asia/Shanghai")
    print(f"export: cluster ready in {time.monotonic() - started:.1f}s (Mongo: "
          f"{'embedded' if env.embedded_mongo else 'MONGO_URI'}); setting up {args.activities} activities x "
          f"({args.per_activity} + {args.volunteers}) participants over HTTP ...", flush=True)
    results["set_up_s"] = set_up(env, args, stop)
    dates = span(zone)
    results["span"] = dates
    results["peak_rss_kib"] = {"after_set_up": memory(env)}
    print(f"export: set up in {results['set_up_s']:.1f}s; reading {dates['from']}..{dates['to']} "
          f"{args.repeat} times each way ...", flush=True)

    client = stack.enter_context(SynergyClient(env.cluster.gateway_url, env.key, timeout=600))
    json_rows, json_s = timed(lambda: read_json(client, args, dates), args.repeat, stop)
    csv_rows, csv_s = timed(lambda: read_csv(client, dates), args.repeat, stop)
    store_rows, store_s = timed(lambda: read_store(env, dates, zone), args.repeat, stop)
    results["peak_rss_kib"]["after_exports"] = memory(env)
    results["reads"] = {"json": figures(json_rows, json_s), "csv": figures(csv_rows, csv_s),
                        "store": figures(store_rows, store_s)}
    base = results["reads"]["store"]["seconds"]
    results["ratios"] = {name: ratio(results["reads"][name]["seconds"], base) for name in ("json", "csv")}
    results["expected_rows"] = args.activities * (args.per_activity + args.volunteers)
    results["same_rows"] = json_rows == csv_rows == store_rows and len(store_rows) == results["expected_rows"]
    results["host"]["load_avg_at_end"] = os.getloadavg()  # other work on the machine skews the figures
    path = save_results("export", stamp, results)
    print("\n" + render(results) + f"\n\nresults: {path.relative_to(ROOT)}", flush=True)
    return 0 if results["same_rows"] else 1


def main(argv: list[str] | None = None) -> int:
    """Set up, measure, print and save the figures, and undo everything started."""
    args = parse_args(argv)
    return run_guarded("export", lambda stack, workdir, stop, stamp: measure(args, stack, workdir, stop, stamp))


if __name__ == "__main__":
    sys.exit(main())
