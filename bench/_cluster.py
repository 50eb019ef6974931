"""What every benchmark shares: an isolated cluster of its own, worker threads, and a run that always cleans up.

An environment is like the end-to-end tests': the embedded Mongo-wire server (unless MONGO_URI is set), a fresh
RabbitMQ vhost, the five service processes with their own database prefix and admin key. Everything it starts is
handed to an ``ExitStack``, so that an error or Ctrl-C anywhere undoes it.
"""
from __future__ import annotations

import contextlib
import json
import os
import platform
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pymongo

from deploy.launcher import ROOT, Cluster, EmbeddedMongo, ensure_rabbitmq, free_port, isolated_env
from tests.support import broker
from tests.support.api import Api

T = TypeVar("T")

RESULTS_DIR = ROOT / "bench" / "results"
SERVICE_DATABASES = ("partners", "events", "evaluation", "notify")


# ---------------------------------------------------------------------------------------------- figures

def ratio(flow: float | None, baseline: float | None) -> float | None:
    """flow / baseline, or None when either is missing or the baseline is zero."""
    if flow is None or not baseline:
        return None
    return flow / baseline


def fmt(value: float | None, digits: int = 1) -> str:
    """A number for the table, or a dash."""
    return "-" if value is None else f"{value:,.{digits}f}"


def peak_rss_kib(pid: int) -> int | None:
    """The peak resident set size of a live process (VmHWM in /proc, KiB), or None where it cannot be read."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return None


# ------------------------------------------------------------------------------------------ concurrency

def run_on_threads(items: list[T], threads: int, session: Callable[[], AbstractContextManager[Callable[[T], None]]],
                   stop: threading.Event) -> None:
    """Hand ``items`` to ``threads`` threads; each opens its own ``session`` (a context giving the work function).

    The first error stops every thread and is raised here; ``stop`` set from outside (Ctrl-C) stops them too.
    """
    pending: queue.SimpleQueue[T] = queue.SimpleQueue()
    for item in items:
        pending.put(item)
    errors: list[BaseException] = []

    def loop() -> None:
        try:
            with session() as work:
                while not stop.is_set():
                    try:
                        item = pending.get_nowait()
                    except queue.Empty:
                        return
                    work(item)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which raises it
            errors.append(exc)
            stop.set()

    workers = [threading.Thread(target=loop, daemon=True, name=f"worker-{i}") for i in range(threads)]
    for worker in workers:
        worker.start()
    try:
        for worker in workers:
            worker.join()
    except BaseException:
        stop.set()
        raise
    if errors:
        raise errors[0]


# ---------------------------------------------------------------------------------------- the cluster

def expect(response: Any, status: int = 200) -> dict:
    """The JSON of an answer with the expected status; anything else stops the run."""
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.url}: {response.status_code} {response.text}")
    return response.json()


class Environment:
    """Mongo, a vhost and the cluster with an admin key; all undone by ``stack``. ``settings``: environment
    variables of the services on top of the isolated defaults."""

    def __init__(self, stack: ExitStack, workdir: Path, settings: dict[str, str] | None = None):
        self.log_dir = workdir / "log"
        self.mongo_uri = os.environ.get("MONGO_URI", "")
        self.embedded_mongo = not self.mongo_uri
        if self.embedded_mongo:
            server = EmbeddedMongo(workdir / "mongo", port=free_port())
            stack.callback(server.stop)
            server.start()
            self.mongo_uri = server.uri
        ensure_rabbitmq(broker.BASE_URI)
        vhost = broker.create_vhost()
        stack.callback(broker.delete_vhost, vhost)
        self.amqp_uri = broker.uri_for(vhost)

        self.prefix = f"bench{uuid.uuid4().hex[:8]}_"
        self.mongo: pymongo.MongoClient = pymongo.MongoClient(self.mongo_uri, tz_aware=True,
                                                               serverSelectionTimeoutMS=5000)
        stack.callback(self.mongo.close)
        stack.callback(self._drop_databases)
        key = "syn_admin_" + secrets.token_urlsafe(16)
        self.cluster = Cluster(env=isolated_env(self.amqp_uri, self.mongo_uri, self.prefix, key) | (settings or {}),
                               log_dir=self.log_dir)
        stack.callback(self.cluster.stop)
        self.cluster.start()
        self.key = key
        self.api = Api(self.cluster.gateway_url, key)

    def _drop_databases(self) -> None:
        for service in SERVICE_DATABASES:
            with contextlib.suppress(pymongo.errors.PyMongoError):
                self.mongo.drop_database(f"{self.prefix}{service}")

    def db(self, service: str) -> pymongo.database.Database:
        """The database of one service."""
        return self.mongo[f"{self.prefix}{service}"]

    @contextlib.contextmanager
    def api_session(self, call: Callable[[Api, T], None]) -> Iterator[Callable[[T], None]]:
        """A thread's own HTTP client (requests sessions are not shared between threads)."""
        api = Api(self.cluster.gateway_url, self.key)
        try:
            yield lambda item: call(api, item)
        finally:
            api.session.close()


# ---------------------------------------------------------------------------------------------- a run

def git_state() -> dict[str, Any]:
    """The commit measured and whether the work tree had changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}


def host_state() -> dict[str, Any]:
    """The machine measured on (load from other work skews the figures)."""
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "load_avg_at_start": os.getloadavg()}


def save_results(benchmark: str, stamp: str, results: dict[str, Any]) -> Path:
    """``bench/results/<benchmark>-<stamp>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{benchmark}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return path


def save_logs(benchmark: str, workdir: Path, stamp: str) -> Path | None:
    """Copy the services' logs next to the results (after a failure), so they outlive the temporary folder."""
    source = workdir / "log"
    if not source.is_dir():
        return None
    target = RESULTS_DIR / f"{benchmark}-{stamp}-logs"
    shutil.copytree(source, target, dirs_exist_ok=True)
    return target


def raise_keyboard_interrupt(signum: int, _frame: Any) -> None:
    """SIGTERM ends the run like Ctrl-C: through the cleanup."""
    raise KeyboardInterrupt(f"signal {signum}")


Body = Callable[[ExitStack, Path, threading.Event, str], int]


def run_guarded(benchmark: str, body: Body) -> int:
    """Run ``body(stack, workdir, stop, stamp)`` and undo everything it put on ``stack``, also on error or Ctrl-C.

    Ctrl-C and SIGTERM answer 130; on an error the services' logs are kept under ``bench/results`` and the error
    is raised again.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started in the background
    signal.signal(signal.SIGTERM, raise_keyboard_interrupt)
    stop = threading.Event()
    stack = ExitStack()
    workdir = Path(tempfile.mkdtemp(prefix="synergy-bench-"))
    stack.callback(shutil.rmtree, workdir, ignore_errors=True)
    try:
        return body(stack, workdir, stop, stamp)
    except KeyboardInterrupt:
        stop.set()
        print("\ninterrupted; cleaning up ...", file=sys.stderr, flush=True)
        return 130
    except BaseException:
        stop.set()
        kept = save_logs(benchmark, workdir, stamp)
        if kept:
            print(f"service logs kept in {kept}", file=sys.stderr, flush=True)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
