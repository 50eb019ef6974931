"""Fan-out benchmark: publishing joint activities through the whole cluster, against raw RabbitMQ.

``.venv/bin/python -m bench.fanout [--activities N] [--concurrency C]`` (or ``python -m bench.fanout`` from the
repository root, which re-runs itself under ``.venv``).

The flow: an environment of its own like the end-to-end tests (embedded Mongo-wire server unless MONGO_URI is
set, a fresh RabbitMQ vhost, the five service processes, a real webhook receiver), 3 partners and one webhook
endpoint for ``activity.published`` (the museum qualified). N activities are created, submitted and approved (not
timed), then published over HTTP by C threads. An activity is complete when its last reaction exists: 3
collaborations (partners), 1 survey (evaluation), 3 inbox items (notify) and 1 webhook received. Reaction times
are the documents' own server-side timestamps (``recorded_at``, ``prepared_at``, ``created_at``: taken when the
handler starts its work) and the webhook's arrival time; latency is from the moment the publish request was sent.

The baseline: the same fan-out on raw pika in a vhost of its own: a durable topic exchange, 4 durable queues,
persistent ~1 KB messages published with confirms by C threads, 4 consumer threads (one connection each)
acking by hand. Latency is from the start of the publish to the last of the 4 receipts.

Prints a table and writes ``bench/results/fanout-<timestamp>.json``. Everything it starts is stopped again,
also on an error or Ctrl-C.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import re
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import reexec_in_project_venv

try:
    import pika
    import pymongo  # noqa: F401 - used by bench._cluster; imported here to re-run under .venv without it
except ModuleNotFoundError:  # e.g. `python -m bench.fanout` with a Python outside the project's .venv
    reexec_in_project_venv("bench.fanout")
    raise

from bench._cluster import (
    Environment,
    expect,
    fmt,
    git_state,
    host_state,
    ratio,
    run_guarded,
    run_on_threads,
    save_results,
)
from deploy.launcher import ROOT, ensure_rabbitmq
from tests.support import broker
from tests.support.api import Api
from tests.support.webhook_server import WebhookServer

HOOK_PATH = "/hooks"
EVENT_TYPE = "activity.published"
# kind of reaction -> (service database, collection, server-side timestamp field, how many per activity)
DOCUMENT_REACTIONS: dict[str, tuple[str, str, str, int]] = {
    "collaborations": ("partners", "collaborations", "recorded_at", 3),
    "survey": ("evaluation", "surveys", "prepared_at", 1),
    "inbox": ("notify", "inbox", "created_at", 3),
}
EXPECTED: dict[str, int] = {kind: spec[3] for kind, spec in DOCUMENT_REACTIONS.items()} | {"webhook": 1}
BASELINE_EXCHANGE = "bench.events"
BASELINE_QUEUES = ("bench.partners", "bench.evaluation", "bench.notify", "bench.webhook")
NAMEKO_PREFETCH = 10  # nameko's QueueConsumer prefetches max_workers messages (services/common/config.py)

REVIEW_SCORES = {"legal_qualification": 5, "resource_fit": 5, "reputation": 4, "safety_compliance": 4,
                 "past_performance": 4}
PARTNERS = (
    {"name": {"zh": "历史学院", "en": "School of History"}, "level": "campus", "kind": "faculty",
     "themes": ["history"]},
    {"name": {"zh": "校团委", "en": "Youth League Committee"}, "level": "campus", "kind": "youth_league"},
    {"name": {"zh": "上海科技馆", "en": "Shanghai Science and Technology Museum"}, "level": "outside",
     "kind": "science_museum"},
)


# ---------------------------------------------------------------------------------------------- figures

def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0-100] of values sorted ascending."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_figures(latencies_ms: list[float]) -> dict[str, float | None]:
    """p50/p95/p99/max/mean of latencies in ms (None when there are none)."""
    values = sorted(latencies_ms)
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    return {"p50": percentile(values, 50), "p95": percentile(values, 95), "p99": percentile(values, 99),
            "max": values[-1], "mean": sum(values) / len(values)}


def summarize(starts: dict[str, float], completions: dict[str, float], expected: int) -> dict[str, Any]:
    """Throughput and latency of completed items: completed / (last completion - first start)."""
    done = [key for key in completions if key in starts]
    summary: dict[str, Any] = {"expected": expected, "completed": len(done), "wall_s": None,
                               "throughput_per_s": None}
    if done:
        wall = max(completions[key] for key in done) - min(starts.values())
        summary["wall_s"] = wall
        summary["throughput_per_s"] = len(done) / wall if wall > 0 else None
    summary["latency_ms"] = latency_figures([(completions[key] - starts[key]) * 1000 for key in done])
    return summary


# ---------------------------------------------------------------------------------------- the flow

class FlowEnvironment(Environment):
    """The cluster, the webhook receiver, 3 partners and one endpoint; all undone by ``stack``."""

    def __init__(self, stack: ExitStack, workdir: Path):
        super().__init__(stack, workdir, settings={"API_RATE_LIMIT_PER_MINUTE": "0"})  # one key sends it all
        self.webhook = WebhookServer().start()
        stack.callback(self.webhook.stop)
        self.organizers = [expect(self.api.post("/v1/partners", payload), 201)["id"] for payload in PARTNERS]
        self.qualify(self.organizers[2])  # an outside partner organizes published activities once approved
        expect(self.api.post("/v1/webhook-endpoints", {
            "owner_partner_id": self.organizers[2], "url": self.webhook.url + HOOK_PATH,
            "event_types": [EVENT_TYPE]}), 201)

    def qualify(self, partner_id: str) -> None:
        """The qualification review of an outside partner: started, scored by two reviewers, approved."""
        expect(self.api.post(f"/v1/partners/{partner_id}/review"), 200)
        for reviewer in ("张", "李"):
            expect(self.api.post(f"/v1/partners/{partner_id}/review/scores",
                                 {"reviewer": reviewer, "scores": REVIEW_SCORES}), 200)
        expect(self.api.post(f"/v1/partners/{partner_id}/review/decision", {"outcome": "approved"}), 200)

    def activity(self, index: int) -> dict:
        """The draft of one joint activity: the faculty leads, the youth league and the museum co-organize."""
        return {"title": {"zh": f"科学与艺术讲座 {index}", "en": f"Science and Art lecture {index}"},
                "activity_type": "lecture", "paths": ["activity", "resources"], "themes": ["science", "art"],
                "starts_at": "2026-12-05T10:00:00+08:00", "ends_at": "2026-12-05T12:00:00+08:00",
                "venue": "Library lecture hall", "lead_organizer": self.organizers[0],
                "co_organizers": self.organizers[1:]}


def create_activities(flow: FlowEnvironment, count: int, threads: int, stop: threading.Event) -> list[str]:
    """Create ``count`` activities and have them approved, ready to publish (untimed); ids in creation order."""
    created: dict[int, str] = {}

    def create(api: Api, index: int) -> None:
        response = api.post("/v1/activities", flow.activity(index))
        if response.status_code != 201:
            raise RuntimeError(f"creating activity {index}: {response.status_code} {response.text}")
        activity_id = response.json()["id"]
        for step in ("submit", "approve"):
            response = api.post(f"/v1/activities/{activity_id}/{step}")
            if response.status_code != 200:
                raise RuntimeError(f"{step} {activity_id}: {response.status_code} {response.text}")
        created[index] = activity_id

    run_on_threads(list(range(count)), threads, lambda: flow.api_session(create), stop)
    return [created[index] for index in range(count)]


def publish_activities(flow: FlowEnvironment, activity_ids: list[str], threads: int,
                       stop: threading.Event) -> tuple[dict[str, float], dict[str, float]]:
    """Publish every activity over HTTP from ``threads`` threads: (send time, response time in ms) by id."""
    sent: dict[str, float] = {}
    http_ms: dict[str, float] = {}

    def publish(api: Api, activity_id: str) -> None:
        sent[activity_id] = time.time()
        started = time.perf_counter()
        response = api.post(f"/v1/activities/{activity_id}/publish")
        http_ms[activity_id] = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"publishing {activity_id}: {response.status_code} {response.text}")

    run_on_threads(activity_ids, threads, lambda: flow.api_session(publish), stop)
    return sent, http_ms


Reactions = dict[str, dict[str, list[float]]]  # activity id -> kind of reaction -> epoch seconds of each


def collect_reactions(flow: FlowEnvironment) -> Reactions:
    """Every reaction that exists now: documents by their server-side timestamps, webhooks by arrival."""
    found: Reactions = defaultdict(lambda: defaultdict(list))
    for kind, (service, collection, field, _) in DOCUMENT_REACTIONS.items():
        for doc in flow.db(service)[collection].find({}, {"activity_id": 1, field: 1}):
            if doc.get("activity_id") and isinstance(doc.get(field), datetime):
                found[doc["activity_id"]][kind].append(doc[field].timestamp())
    for received in flow.webhook.to(HOOK_PATH):
        activity_id = json.loads(received.body)["data"]["activity_id"]
        found[activity_id]["webhook"].append(received.at)
    return found


def completed_at(reactions: dict[str, list[float]] | None) -> float | None:
    """When the last expected reaction happened (duplicates beyond the expected count ignored), or None."""
    if reactions is None or any(len(reactions.get(kind, [])) < n for kind, n in EXPECTED.items()):
        return None
    return max(sorted(reactions[kind])[n - 1] for kind, n in EXPECTED.items())


def wait_for_reactions(flow: FlowEnvironment, activity_ids: list[str], timeout: float,
                       poll: float = 0.5) -> Reactions:
    """Poll Mongo and the webhook receiver until every activity is complete or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    next_report = time.monotonic() + 5
    while True:
        found = collect_reactions(flow)
        done = sum(1 for activity_id in activity_ids if completed_at(found.get(activity_id)) is not None)
        if done == len(activity_ids) or time.monotonic() >= deadline:
            return found
        if time.monotonic() >= next_report:
            print(f"  ... {done}/{len(activity_ids)} activities complete", flush=True)
            next_report = time.monotonic() + 5
        time.sleep(poll)


def queue_depth(amqp_uri: str, name: str) -> int | None:
    """Messages ready in a queue (passive declare), or None if it cannot be seen."""
    try:
        connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    except pika.exceptions.AMQPError:
        return None
    try:
        return connection.channel().queue_declare(name, passive=True).method.message_count
    except pika.exceptions.AMQPError:
        return None
    finally:
        with contextlib.suppress(pika.exceptions.AMQPError):
            connection.close()


def scan_logs(log_dir: Path, keep: int = 5) -> dict[str, dict[str, Any]]:
    """Warnings and errors in each service's log: counts and the first few lines."""
    line = re.compile(r"^\S+ \S+ (WARNING|ERROR|CRITICAL) ")
    report: dict[str, dict[str, Any]] = {}
    for log in sorted(log_dir.glob("*.log")):
        counts: dict[str, int] = defaultdict(int)
        first: list[str] = []
        for text in log.read_text(errors="replace").splitlines():
            match = line.match(text)
            if match:
                counts[match.group(1)] += 1
                if len(first) < keep:
                    first.append(text[:300])
        if counts:
            report[log.stem] = {"counts": dict(counts), "first": first}
    return report


def flow_anomalies(flow: FlowEnvironment, activity_ids: list[str], found: Reactions) -> dict[str, Any]:
    """What should not happen: duplicates, missing reactions, undelivered webhooks, dead or unrouted events."""
    duplicates: dict[str, int] = defaultdict(int)
    missing: dict[str, int] = defaultdict(int)
    for activity_id in activity_ids:
        reactions = found.get(activity_id, {})
        for kind, n in EXPECTED.items():
            have = len(reactions.get(kind, []))
            if have > n:
                duplicates[kind] += have - n
            elif have < n:
                missing[kind] += n - have
    states: dict[str, int] = defaultdict(int)
    for doc in flow.db("notify")["deliveries"].find({}, {"state": 1}):
        states[str(doc.get("state"))] += 1
    return {"duplicate_reactions": dict(duplicates), "missing_reactions": dict(missing),
            "unknown_activities": sorted(set(found) - set(activity_ids))[:10],
            "webhook_delivery_states": dict(states),
            "dead_letter_depth": queue_depth(flow.amqp_uri, "synergy.dead-letter"),
            "unrouted_depth": queue_depth(flow.amqp_uri, "synergy.unrouted"),
            "service_log_warnings": scan_logs(flow.log_dir)}


def run_flow(stack: ExitStack, workdir: Path, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    """The whole flow, from setting up the environment to the figures; the environment is left to ``stack``."""
    print("flow: starting Mongo, a vhost and the cluster ...", flush=True)
    started = time.monotonic()
    flow = FlowEnvironment(stack, workdir)
    print(f"flow: cluster ready in {time.monotonic() - started:.1f}s (Mongo: "
          f"{'embedded' if flow.embedded_mongo else 'MONGO_URI'}); creating {args.activities} activities ...",
          flush=True)
    activity_ids = create_activities(flow, args.activities, args.concurrency, stop)
    time.sleep(1.0)  # let the creation settle: nothing of it should be in flight when publishing starts
    print(f"flow: publishing {len(activity_ids)} activities with {args.concurrency} HTTP clients ...", flush=True)
    sent, http_ms = publish_activities(flow, activity_ids, args.concurrency, stop)
    publish_wall = max(sent[a] + http_ms[a] / 1000 for a in activity_ids) - min(sent.values())
    print(f"flow: published in {publish_wall:.2f}s; waiting for reactions (timeout {args.timeout:.0f}s) ...",
          flush=True)
    wait_for_reactions(flow, activity_ids, args.timeout)
    time.sleep(args.settle)  # anything arriving late now is a duplicate, not a completion
    found = collect_reactions(flow)

    completions = {a: t for a in activity_ids if (t := completed_at(found.get(a))) is not None}
    result = summarize(sent, completions, len(activity_ids))
    by_kind: dict[str, dict[str, float | None]] = {}
    for kind, n in EXPECTED.items():
        latencies = [(sorted(found[a][kind])[n - 1] - sent[a]) * 1000 for a in activity_ids
                     if len(found.get(a, {}).get(kind, [])) >= n]
        by_kind[kind] = latency_figures(latencies)
    webhook_sizes = [len(r.body) for r in flow.webhook.to(HOOK_PATH)]
    result.update({
        "latency_by_reaction_ms": by_kind,
        "publish_http": {"wall_s": publish_wall, "requests_per_s": len(activity_ids) / publish_wall,
                         "response_ms": latency_figures(list(http_ms.values()))},
        "webhook_body_bytes_mean": sum(webhook_sizes) / len(webhook_sizes) if webhook_sizes else None,
        "anomalies": flow_anomalies(flow, activity_ids, found),
    })
    return result


# ------------------------------------------------------------------------------------------ the baseline

def baseline_message(index: int, size: int) -> tuple[str, bytes]:
    """A CloudEvents-like ``activity.published`` envelope of about ``size`` bytes: (message id, body)."""
    message_id = f"evt_bench{index:010d}"
    envelope = {
        "specversion": "1.0", "id": message_id, "source": "synergy/events", "type": EVENT_TYPE,
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"), "datacontenttype": "application/json",
        "correlationid": uuid.uuid4().hex, "subject": f"act_bench{index:010d}",
        "data": {"activity_id": f"act_bench{index:010d}",
                 "title": {"zh": "科学与艺术讲座", "en": "Science and Art lecture"}, "activity_type": "lecture",
                 "organizers": [{"partner_id": f"prt_{i:026d}", "role": "lead" if i == 0 else "co_organizer",
                                 "level": "campus"} for i in range(3)],
                 "starts_at": "2026-12-05T02:00:00.000Z", "padding": ""},
    }
    raw = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    envelope["data"]["padding"] = "x" * max(0, size - len(raw))
    return message_id, json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


class QueueReader(threading.Thread):
    """One consumer of the baseline, on its own connection: notes when each message arrives, then acks it."""

    def __init__(self, amqp_uri: str, queue_name: str, expected: int, prefetch: int, stop: threading.Event):
        super().__init__(daemon=True, name=f"reader-{queue_name}")
        self.amqp_uri, self.queue_name, self.expected, self.prefetch, self.stop = (
            amqp_uri, queue_name, expected, prefetch, stop)
        self.received: dict[str, float] = {}
        self.ready = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
            try:
                channel = connection.channel()
                channel.basic_qos(prefetch_count=self.prefetch)
                channel.basic_consume(self.queue_name, self._on_message)
                self.ready.set()
                while not self.stop.is_set() and len(self.received) < self.expected:
                    connection.process_data_events(time_limit=0.05)
            finally:
                with contextlib.suppress(pika.exceptions.AMQPError):
                    connection.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            self.error = exc
        finally:
            self.ready.set()

    def _on_message(self, channel: Any, method: Any, properties: pika.BasicProperties, body: bytes) -> None:
        self.received.setdefault(properties.message_id, time.time())
        channel.basic_ack(method.delivery_tag)


def declare_baseline_topology(amqp_uri: str, queue_type: str) -> None:
    """The durable topic exchange and its 4 durable queues, all bound for ``activity.published``."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(BASELINE_EXCHANGE, "topic", durable=True)
        for name in BASELINE_QUEUES:
            channel.queue_declare(name, durable=True, arguments={"x-queue-type": queue_type})
            channel.queue_bind(name, BASELINE_EXCHANGE, EVENT_TYPE)
    finally:
        connection.close()


@contextlib.contextmanager
def confirming_publisher(amqp_uri: str, messages: list[tuple[str, bytes]],
                         starts: dict[str, float]) -> Iterator[Callable[[int], None]]:
    """A thread's own connection and confirming channel; publishing message ``i`` notes its start time."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.confirm_delivery()

        def publish(index: int) -> None:
            message_id, body = messages[index]
            starts[message_id] = time.time()
            channel.basic_publish(BASELINE_EXCHANGE, EVENT_TYPE, body, pika.BasicProperties(
                delivery_mode=2, content_type="application/cloudevents+json", message_id=message_id))

        yield publish
    finally:
        with contextlib.suppress(pika.exceptions.AMQPError):
            connection.close()


def run_baseline(stack: ExitStack, args: argparse.Namespace, stop: threading.Event) -> dict[str, Any]:
    """Raw pika: N persistent messages through a topic exchange into 4 queues, C confirming publishers."""
    ensure_rabbitmq(broker.BASE_URI)
    vhost = broker.create_vhost()
    stack.callback(broker.delete_vhost, vhost)
    amqp_uri = broker.uri_for(vhost)
    declare_baseline_topology(amqp_uri, args.baseline_queue_type)
    messages = [baseline_message(index, args.message_bytes) for index in range(args.activities)]
    readers = [QueueReader(amqp_uri, name, len(messages), args.prefetch, stop) for name in BASELINE_QUEUES]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.ready.wait(30)
        if reader.error is not None:
            raise RuntimeError(f"baseline consumer {reader.queue_name} failed") from reader.error

    print(f"baseline: publishing {len(messages)} messages of {len(messages[0][1])} bytes with "
          f"{args.concurrency} confirming publishers into 4 {args.baseline_queue_type} queues ...", flush=True)
    starts: dict[str, float] = {}
    run_on_threads(list(range(len(messages))), args.concurrency,
                   lambda: confirming_publisher(amqp_uri, messages, starts), stop)
    deadline = time.monotonic() + args.timeout
    for reader in readers:
        reader.join(max(0.0, deadline - time.monotonic()))
    stop_readers_and_join(readers, stop)
    for reader in readers:
        if reader.error is not None:
            raise RuntimeError(f"baseline consumer {reader.queue_name} failed") from reader.error

    completions = {}
    for message_id, _ in messages:
        receipts = [reader.received.get(message_id) for reader in readers]
        if all(at is not None for at in receipts):
            completions[message_id] = max(receipts)
    result = summarize(starts, completions, len(messages))
    result.update({"message_bytes": len(messages[0][1]), "queue_type": args.baseline_queue_type,
                   "prefetch": args.prefetch})
    return result


def stop_readers_and_join(readers: list[QueueReader], stop: threading.Event) -> None:
    """Stop any consumer still waiting (timeout) and wait for every one to close its connection."""
    stop.set()
    for reader in readers:
        reader.join(10)
    stop.clear()


# ---------------------------------------------------------------------------------------------- output

def render(results: dict[str, Any]) -> str:
    """The human-readable table of a run."""
    flow, base, ratios = results.get("flow"), results.get("baseline"), results.get("ratios", {})
    cols = [("flow (HTTP -> 4 reactions)", flow), ("raw pika baseline", base)]
    lines = [f"fan-out benchmark: {results['config']['activities']} activities/messages, "
             f"concurrency {results['config']['concurrency']}",
             f"{'':18}" + "".join(f"{name:>28}" for name, _ in cols) + f"{'flow/baseline':>16}"]

    def row(label: str, pick: Callable[[dict], float | None], digits: int = 1, ratio_key: str | None = None) -> None:
        cells = "".join(f"{fmt(pick(data) if data else None, digits):>28}" for _, data in cols)
        lines.append(f"{label:18}{cells}{fmt(ratios.get(ratio_key), 3) if ratio_key else '':>16}")

    lines.append(f"{'completed':18}" + "".join(
        f"{(str(d['completed']) + '/' + str(d['expected'])) if d else '-':>28}" for _, d in cols))
    row("throughput (/s)", lambda d: d["throughput_per_s"], 1, "throughput")
    row("wall (s)", lambda d: d["wall_s"], 2)
    for q in ("p50", "p95", "p99", "max"):
        row(f"latency {q} (ms)", lambda d, q=q: d["latency_ms"][q], 1, q if q in ("p50", "p99") else None)
    if flow:
        lines.append("flow, latency to each kind of reaction (ms, p50 / p99):")
        for kind, figures in flow["latency_by_reaction_ms"].items():
            lines.append(f"  {kind:16}{fmt(figures['p50']):>10} / {fmt(figures['p99'])}")
        http = flow["publish_http"]
        lines.append(f"flow, publish requests: {fmt(http['requests_per_s'])}/s, response p50 "
                     f"{fmt(http['response_ms']['p50'])} ms, p99 {fmt(http['response_ms']['p99'])} ms")
        anomalies = {k: v for k, v in flow["anomalies"].items() if v and k != "service_log_warnings"}
        lines.append(f"flow, anomalies: {json.dumps(anomalies)}")
        for service, seen in flow["anomalies"]["service_log_warnings"].items():
            lines.append(f"  {service} log: {seen['counts']}; first: {seen['first'][0][:200]}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------------ main

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--activities", type=int, default=200, help="activities (and baseline messages)")
    parser.add_argument("--concurrency", type=int, default=8, help="publishing threads")
    parser.add_argument("--timeout", type=float, default=300, help="seconds to wait for all reactions")
    parser.add_argument("--settle", type=float, default=2.0, help="seconds to wait for late duplicates")
    parser.add_argument("--message-bytes", type=int, default=1024, help="baseline message size")
    parser.add_argument("--prefetch", type=int, default=NAMEKO_PREFETCH, help="baseline consumers' prefetch")
    parser.add_argument("--baseline-queue-type", choices=("classic", "quorum"), default="classic",
                        help="queue type of the baseline (the services use quorum queues)")
    parser.add_argument("--skip-baseline", action="store_true", help="measure the flow only")
    args = parser.parse_args(argv)
    if args.activities < 1 or args.concurrency < 1:
        parser.error("--activities and --concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the flow and the baseline, print and save the figures, and undo everything started."""
    args = parse_args(argv)
    return run_guarded("fanout", lambda stack, workdir, stop, stamp: measure(args, stack, workdir, stop, stamp))


def measure(args: argparse.Namespace, stack: ExitStack, workdir: Path, stop: threading.Event, stamp: str) -> int:
    """The flow, then the baseline; figures printed and saved. 0 when every activity and message completed."""
    results: dict[str, Any] = {
        "benchmark": "fanout", "started_at": stamp,
        "config": {"activities": args.activities, "concurrency": args.concurrency, "timeout_s": args.timeout,
                   "message_bytes": args.message_bytes, "prefetch": args.prefetch,
                   "baseline_queue_type": args.baseline_queue_type},
        "host": host_state(),
        "git": git_state(),
    }
    # The flow's environment is stopped before the baseline runs, so that the idle services do not share the
    # CPUs with it; entered on the outer stack too, so that an error or Ctrl-C anywhere still undoes it.
    flow_stack = stack.enter_context(ExitStack())
    results["flow"] = run_flow(flow_stack, workdir, args, stop)
    print("flow: stopping the cluster ...", flush=True)
    flow_stack.close()
    if not args.skip_baseline:
        base_stack = stack.enter_context(ExitStack())
        results["baseline"] = run_baseline(base_stack, args, stop)
        base_stack.close()
    flow, base = results["flow"], results.get("baseline")
    if base:
        results["ratios"] = {
            "throughput": ratio(flow["throughput_per_s"], base["throughput_per_s"]),
            "p50": ratio(flow["latency_ms"]["p50"], base["latency_ms"]["p50"]),
            "p99": ratio(flow["latency_ms"]["p99"], base["latency_ms"]["p99"]),
        }
    results["host"]["load_avg_at_end"] = os.getloadavg()  # other work on the machine skews the figures
    path = save_results("fanout", stamp, results)
    print("\n" + render(results) + f"\n\nresults: {path.relative_to(ROOT)}", flush=True)
    complete = results["flow"]["completed"] == args.activities and (
        not base or base["completed"] == args.activities)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
