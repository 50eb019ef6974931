"""Direct bus access for campus systems: their RabbitMQ users, permissions, reply queues and policies.

``deploy/rabbitmq/definitions.json`` is the source: a user without the ``administrator`` tag is a campus system
that may only publish to ``synergy.ingress`` and read its own reply queue ``synergy.replies.<user>``. The compose
stack loads the whole file at broker boot; ``bin/cluster`` (deploy/launcher.py) applies just this part to the
broker it uses, through the management API when it is on, else ``rabbitmqctl import_definitions``, else it says
so and goes on (the services need none of it).

    python -m deploy.bus_access        # apply to the broker and vhost of AMQP_URI
"""
from __future__ import annotations

import base64
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.common.bus import REPLY_QUEUE_PREFIX
from services.common.config import env

DEFINITIONS = Path(__file__).resolve().parent / "rabbitmq" / "definitions.json"


def access_definitions(definitions: dict, vhost: str) -> dict:
    """The campus-access part of the definitions, moved to ``vhost``."""
    users = [u for u in definitions["users"] if "administrator" not in u.get("tags", [])]
    names = {u["name"] for u in users}
    return {
        "users": users,
        "vhosts": [{"name": vhost}],
        "permissions": [dict(p, vhost=vhost) for p in definitions["permissions"] if p["user"] in names],
        "queues": [dict(q, vhost=vhost) for q in definitions["queues"] if q["name"].startswith(REPLY_QUEUE_PREFIX)],
        "policies": [dict(p, vhost=vhost) for p in definitions.get("policies", [])],
    }


def _management(amqp_uri: str, partial: dict) -> bool:
    parts = urlsplit(amqp_uri)
    token = base64.b64encode(f"{unquote(parts.username or 'guest')}:{unquote(parts.password or 'guest')}".encode())
    url = f"http://{parts.hostname or '127.0.0.1'}:15672/api/definitions"
    request = urllib.request.Request(url, method="POST", data=json.dumps(partial).encode(),
                                     headers={"Authorization": f"Basic {token.decode()}",
                                              "content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10):
            return True
    except (urllib.error.URLError, OSError):
        return False


def _rabbitmqctl(partial: dict) -> bool:
    if not shutil.which("rabbitmqctl"):
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(partial, file)
        file.flush()
        done = subprocess.run(["rabbitmqctl", "-q", "import_definitions", file.name], capture_output=True, timeout=60)
    return done.returncode == 0


def load(partial: dict, amqp_uri: str) -> str | None:
    """Apply definitions; how it was done ("management" or "rabbitmqctl"), or None if it could not be."""
    if _management(amqp_uri, partial):
        return "management"
    if _rabbitmqctl(partial):
        return "rabbitmqctl"
    return None


def apply(amqp_uri: str, definitions_file: Path = DEFINITIONS) -> str | None:
    vhost = unquote(urlsplit(amqp_uri).path[1:]) or "/"
    partial = access_definitions(json.loads(definitions_file.read_text()), vhost)
    return load(partial, amqp_uri)


def main() -> int:
    how = apply(env("AMQP_URI"))
    print(f"campus bus access applied ({how})" if how else "campus bus access NOT applied: no management API or "
          "rabbitmqctl reachable", file=sys.stderr)
    return 0 if how else 1


if __name__ == "__main__":
    sys.exit(main())
