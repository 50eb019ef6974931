"""Runs the whole cluster on one machine: the embedded Mongo-wire store, then every service, each its own process.

``python -m deploy.launcher`` (what ``bin/cluster`` runs): starts what is missing, waits until the gateway
reports every service ready, prints where the API listens, and on Ctrl-C stops everything it started.
Tests use ``Cluster`` to run the same processes against their own vhost and databases.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from services.common.config import env as env_setting

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ("partners", "events", "evaluation", "notify", "gateway")
# Consumers start before producers, so that every event queue is bound before anything is published.
START_ORDER = ("evaluation", "notify", "partners", "events", "gateway")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s")


class EmbeddedMongo:
    """The nx-27017 Mongo-wire server, its data, pid and log under one folder."""

    def __init__(self, home: Path, port: int = 27017, host: str = "127.0.0.1"):
        self.home, self.port, self.host = Path(home).resolve(), port, host  # the daemon leaves the cwd
        self.started_here = False

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    def start(self) -> None:
        if port_open(self.host, self.port):
            return
        for sub in ("data", "run", "log"):
            (self.home / sub).mkdir(parents=True, exist_ok=True)
        exe = shutil.which("nx-27017", path=str(Path(sys.executable).parent)) or shutil.which("nx-27017")
        if exe is None:
            raise SystemExit("nx-27017 is not installed: run through bin/cluster or bin/test")
        subprocess.run([exe, "-d", "--data-dir", str(self.home / "data"), "--host", self.host,
                        "-p", str(self.port), "--pid-file", str(self.home / "run" / "mongo.pid"),
                        "--log-file", str(self.home / "log" / "mongo.log")], check=True)
        self.started_here = True
        wait_until(lambda: port_open(self.host, self.port), 30, "embedded Mongo-wire server")

    def stop(self) -> None:
        if not self.started_here:
            return
        pid_file = self.home / "run" / "mongo.pid"
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            wait_until(lambda: not port_open(self.host, self.port), 15, "Mongo-wire server stop")
        except (OSError, ValueError, TimeoutError):
            pass


def ensure_rabbitmq(amqp_uri: str) -> None:
    parts = urlsplit(amqp_uri)
    host, port = parts.hostname or "127.0.0.1", parts.port or 5672
    if port_open(host, port):
        return
    if host in ("127.0.0.1", "localhost") and shutil.which("rabbitmq-server"):
        print("starting RabbitMQ (rabbitmq-server -detached)", flush=True)
        subprocess.run(["rabbitmq-server", "-detached"], check=False)
        wait_until(lambda: port_open(host, port), 90, "RabbitMQ", interval=1)
        return
    raise SystemExit(f"RabbitMQ is not reachable at {host}:{port}")


@dataclass
class Cluster:
    """The five service processes sharing one environment."""

    env: dict[str, str]
    log_dir: Path
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def gateway_url(self) -> str:
        return f"http://{self.env['GATEWAY_ADDRESS']}"

    def start(self, *names: str, wait: bool = True, extra_env: dict[str, str] | None = None) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names or START_ORDER:
            env = dict(self.env, **(extra_env or {}))
            log = open(self.log_dir / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", f"services.{name}"], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True)
            log.close()
        if wait:
            self.wait_ready()

    def readiness(self) -> dict | None:
        try:
            with urllib.request.urlopen(f"{self.gateway_url}/ready", timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, OSError, ValueError):
            return None

    def wait_ready(self, timeout: float = 90) -> None:
        def ready() -> bool:
            for name, proc in self.processes.items():
                if proc.poll() is not None:
                    tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}")
            state = self.readiness()
            return bool(state and state.get("ready"))
        wait_until(ready, timeout, "cluster", interval=0.3)

    def stop(self, *names: str, timeout: float = 20) -> None:
        chosen = names or tuple(reversed(list(self.processes)))
        for name in chosen:
            proc = self.processes.get(name)
            if proc and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name in chosen:
            proc = self.processes.pop(name, None)
            if proc is None:
                continue
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def wait_exit(self, name: str, timeout: float = 15) -> int:
        """Wait for a process that is expected to end by itself (e.g. at a failpoint); its exit code."""
        proc = self.processes.pop(name)
        return proc.wait(timeout)

    def kill(self, name: str) -> None:
        """Die at once, as in a crash: no cleanup, nothing flushed."""
        proc = self.processes.pop(name)
        proc.kill()
        proc.wait()


def isolated_env(amqp_uri: str, mongo_uri: str, db_prefix: str, admin_key: str) -> dict[str, str]:
    """The environment of a cluster that shares nothing with others (tests, benchmarks): its own vhost,
    databases and gateway port, webhooks allowed to local receivers, short polling intervals."""
    env = dict(os.environ)
    env.update({
        "AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "MONGO_DB_PREFIX": db_prefix,
        "GATEWAY_ADDRESS": f"127.0.0.1:{free_port()}", "SYNERGY_ADMIN_KEY": admin_key,
        "WEBHOOK_ALLOW_PRIVATE": "1", "EVENT_DELIVERY_LIMIT": "3", "OUTBOX_POLL_SECONDS": "0.3",
        "DELIVERY_POLL_SECONDS": "0.2", "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO",
    })
    env.pop("SYNERGY_FAILPOINT", None)
    return env


def admin_key_file(var: Path, env: dict[str, str]) -> None:
    """``var/admin.key``: a stored admin API key (0600 from its creation), renewed when close to its expiry;
    ``python -m services.gateway.keys rotate-admin --file var/admin.key`` replaces it at once. Not made when
    SYNERGY_ADMIN_KEY is given (a deployment's own bootstrap key)."""
    if "SYNERGY_ADMIN_KEY" in env:
        return
    subprocess.run([sys.executable, "-m", "services.gateway.keys", "ensure-admin", "--file", str(var / "admin.key")],
                   cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Synergy cluster on this machine.")
    parser.add_argument("--var", default=str(ROOT / "var"), help="where data, pids and logs are kept")
    args = parser.parse_args(argv)
    var = Path(args.var)

    env = dict(os.environ)
    env.setdefault("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
    env.setdefault("GATEWAY_ADDRESS", "127.0.0.1:8000")
    mongo = None
    if "MONGO_URI" not in os.environ:
        mongo = EmbeddedMongo(var / "mongo", port=int(env_setting("EMBEDDED_MONGO_PORT")))
        mongo.start()
        env["MONGO_URI"] = mongo.uri
    env["PYTHONPATH"] = str(ROOT)
    admin_key_file(var, env)
    ensure_rabbitmq(env["AMQP_URI"])

    cluster = Cluster(env=env, log_dir=var / "log")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt  # also while starting: everything started so far is stopped below

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        cluster.start()
        print(f"Synergy is ready: API on {cluster.gateway_url} (docs of events: {cluster.gateway_url}"
              f"/v1/catalogue/events)\nadmin key in {var / 'admin.key'}; logs in {var / 'log'}; "
              "Ctrl-C stops everything.", flush=True)
        while True:
            for name, proc in list(cluster.processes.items()):
                if proc.poll() is not None:
                    print(f"{name} exited with {proc.returncode}; see {var / 'log' / (name + '.log')}", flush=True)
                    raise KeyboardInterrupt
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the stopping short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("stopping Synergy...", flush=True)
        cluster.stop()
        if mongo:
            mongo.stop()
        print("stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
