"""Runs one service in its own process: logging with correlation ids, bus topology, graceful stop.

Each service's ``__main__`` patches eventlet first and then calls ``run``.
"""
from __future__ import annotations

import logging
import signal
import sys

import eventlet
import kombu
from nameko.runners import ServiceRunner

from services.common.bus import ACCEPT, declare_topology
from services.common.config import Settings, nameko_config
from services.common.correlation import CorrelationFilter

log = logging.getLogger("synergy.runner")


def configure_logging(level: str, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(CorrelationFilter())
    handler.setFormatter(logging.Formatter(
        f"%(asctime)s %(levelname)s {service} [%(name)s] cid=%(correlation_id)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "pymongo", "urllib3", "nameko"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))


def wait_for_broker(uri: str, attempts: int = 60) -> None:
    for attempt in range(attempts):
        try:
            with kombu.Connection(uri, connect_timeout=2) as connection:
                connection.ensure_connection(max_retries=1)
                declare_topology(connection)
                return
        except Exception as exc:  # noqa: BLE001 - any failure to connect means: wait and try again
            log.warning("broker not reachable (%s); attempt %d", exc, attempt + 1)
            eventlet.sleep(1)
    raise SystemExit("RabbitMQ is not reachable at the configured AMQP_URI")


def run(service_cls) -> None:
    settings = Settings.from_env()
    configure_logging(settings.log_level, service_cls.name)
    wait_for_broker(settings.amqp_uri)
    config = nameko_config(settings)
    config["ACCEPT"] = ACCEPT
    runner = ServiceRunner(config)
    runner.add_service(service_cls)

    def stop(signum, _frame):
        log.info("signal %s: stopping", signum)
        eventlet.spawn_n(runner.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    runner.start()
    log.info("%s ready", service_cls.name)
    runner.wait()
    log.info("%s stopped", service_cls.name)
