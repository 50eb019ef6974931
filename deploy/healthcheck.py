"""``python -m deploy.healthcheck <service>``: exit 0 if the service answers, else 1 (compose and k8s probes).

A live process is not enough: a service is healthy when it still consumes its RPC queue and reaches its store, so
the check is an RPC ``ping`` through RabbitMQ (the gateway, which has no RPC entrypoint, answers GET /health).
"""
import services.common.green  # noqa: F401, I001 - patches eventlet before anything else is imported

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import urllib.request  # noqa: E402

import eventlet  # noqa: E402
from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from deploy.launcher import SERVICES  # noqa: E402
from services.common.config import Settings, nameko_config  # noqa: E402

TIMEOUT_SECONDS = 5.0


def ping_rpc(service: str, settings: Settings, timeout: float) -> dict:
    """The service's ``ping`` answer; the outer timeout also bounds connecting to the broker."""
    with eventlet.Timeout(timeout * 2), ClusterRpcProxy(nameko_config(settings), timeout=timeout) as proxy:
        answer = getattr(proxy, service).ping()
    if answer.get("store") is False:
        raise RuntimeError(f"{service} does not reach its store")
    return answer


def ping_gateway(settings: Settings, timeout: float) -> dict:
    host, _, port = settings.gateway_address.rpartition(":")
    if host in ("", "0.0.0.0", "::", "[::]"):
        host = "127.0.0.1"
    with urllib.request.urlopen(f"http://{host}:{port}/health", timeout=timeout) as response:
        return json.load(response)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Exit 0 if a Synergy service answers within the timeout.")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--timeout", type=float, default=TIMEOUT_SECONDS, help="seconds to wait for the answer")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        if args.service == "gateway":
            answer = ping_gateway(settings, args.timeout)
        else:
            answer = ping_rpc(args.service, settings, args.timeout)
    except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - any failure means unhealthy
        print(f"{args.service} unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(answer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
