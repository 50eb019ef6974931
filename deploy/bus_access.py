"""Direct bus access for campus systems: one command gives a system its own broker user, bound to a partner.

    python -m deploy.bus_access grant --user museum-ticketing --partner prt_…   # the password is shown once
    python -m deploy.bus_access list
    python -m deploy.bus_access revoke --user museum-ticketing

(``synergy bus-access …`` does the same and first checks through the API that the partner exists.) Everything
goes through the RabbitMQ management API of the broker of ``AMQP_URI`` (``RABBITMQ_MANAGEMENT_URL`` to name
another address), on the vhost of ``AMQP_URI``, as a user that may manage users (an administrator): no restart,
no file to edit.

``grant`` makes the user with a generated password (printed once on standard output, never logged) and the tag
``synergy-partner:<partner id>`` that binds it (services.common.bus_users; the events service reads it within
seconds); its rights on the vhost: configure nothing, write only to ``synergy.ingress``, read only its reply
queue; that queue ``synergy.replies.<user>`` (durable); and the ``replies-bounded`` policy every reply queue
falls under (as in deploy/rabbitmq/definitions.json). It refuses an existing user (revoke it first: a grant never
changes an operator's user) and a user name or partner id that is not one.
``revoke`` deletes the user (the broker closes its connections; its rights go with it) and its reply queue;
it refuses a user that is not bound to a partner.
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import secrets
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from services.common.bus import INGRESS_EXCHANGE, REPLY_QUEUE_PREFIX, reply_queue_of
from services.common.bus_users import PARTNER_ID, PARTNER_TAG, USER_NAME, Management, ManagementError, partner_of
from services.common.config import env

log = logging.getLogger(__name__)

REPLIES_POLICY = "replies-bounded"
REPLIES_POLICY_DEFINITION = {"pattern": "^" + re.escape(REPLY_QUEUE_PREFIX), "apply-to": "queues",
                             "definition": {"max-length": 10000, "message-ttl": 604800000}, "priority": 1}


class AccessRefused(Exception):
    """The grant or revocation asked for is not one this command makes."""


@dataclass(frozen=True)
class Grant:
    user: str
    partner_id: str
    vhost: str
    password: str = field(repr=False)

    @property
    def reply_queue(self) -> str:
        return reply_queue_of(self.user)

    def uri_for(self, amqp_uri: str) -> str:
        """``amqp_uri`` (its host, port and vhost) as this user."""
        parts = urlsplit(amqp_uri)
        host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        return f"{parts.scheme}://{quote(self.user, safe='')}:{quote(self.password, safe='')}@{host}{parts.path}"


def permissions_for(user: str) -> dict[str, str]:
    """Configure nothing, write only the ingress exchange, read only its own reply queue."""
    return {"configure": "^$", "write": f"^{re.escape(INGRESS_EXCHANGE)}$",
            "read": f"^{re.escape(reply_queue_of(user))}$"}


def vhost_of(amqp_uri: str) -> str:
    return unquote(urlsplit(amqp_uri).path[1:]) or "/"


def management_for(amqp_uri: str) -> Management:
    return Management.for_broker(amqp_uri, env("RABBITMQ_MANAGEMENT_URL"))


def grant(amqp_uri: str, user: str, partner_id: str) -> Grant:
    """Make ``user`` on the broker, bound to ``partner_id``, with its rights and reply queue; ``AccessRefused``
    for an existing user or a bad name, ``ManagementError`` when the broker refuses."""
    if not USER_NAME.fullmatch(user):
        raise AccessRefused(f"{user!r} is not a user name for a campus system (a-z, 0-9, '.', '_', '-').")
    if not PARTNER_ID.fullmatch(partner_id):
        raise AccessRefused(f"{partner_id!r} is not a partner id (prt_…).")
    api, vhost = management_for(amqp_uri), quote(vhost_of(amqp_uri), safe="")
    if api.user(user) is not None:
        raise AccessRefused(f"Broker user {user} exists already: revoke it first (a grant never changes a user "
                            "it did not make).")
    made = Grant(user, partner_id, vhost_of(amqp_uri), secrets.token_urlsafe(24))
    api.call("PUT", f"policies/{vhost}/{REPLIES_POLICY}", REPLIES_POLICY_DEFINITION)
    api.call("PUT", f"queues/{vhost}/{quote(made.reply_queue, safe='')}",
             {"durable": True, "auto_delete": False, "arguments": {}})
    api.call("PUT", f"users/{user}", {"password": made.password, "tags": PARTNER_TAG + partner_id})
    try:
        api.call("PUT", f"permissions/{vhost}/{user}", permissions_for(user))
    except ManagementError:
        api.call("DELETE", f"users/{user}")  # no half-made user left behind
        raise
    log.info("bus access granted: broker user %s acts for %s on vhost %s", user, partner_id, made.vhost)
    return made


def revoke(amqp_uri: str, user: str) -> bool:
    """Delete a bound user and its reply queue; False if there is no such user."""
    api = management_for(amqp_uri)
    found = api.user(user)
    if found is None:
        return False
    if partner_of(found) is None:
        raise AccessRefused(f"Broker user {user} is bound to no partner: not a campus system's, left alone.")
    api.call("DELETE", f"users/{quote(user, safe='')}")
    api.call("DELETE", f"queues/{quote(vhost_of(amqp_uri), safe='')}/{quote(reply_queue_of(user), safe='')}")
    log.info("bus access revoked: broker user %s", user)
    return True


def bindings(amqp_uri: str) -> list[dict]:
    """Every broker user bound to a partner: user, partner_id, and whether it has rights on this vhost."""
    api, vhost = management_for(amqp_uri), vhost_of(amqp_uri)
    _, users = api.call("GET", "users")
    listed = []
    for user in users or []:
        partner_id = partner_of(user)
        if partner_id is None:
            continue
        _, rights = api.call("GET", f"users/{quote(user['name'], safe='')}/permissions")
        listed.append({"user": user["name"], "partner_id": partner_id, "reply_queue": reply_queue_of(user["name"]),
                       "on_this_vhost": any(r.get("vhost") == vhost for r in rights or [])})
    return sorted(listed, key=lambda row: row["user"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    granting = sub.add_parser("grant", help="make a broker user bound to a partner (prints its password once)")
    granting.add_argument("--user", required=True)
    granting.add_argument("--partner", required=True, metavar="PARTNER_ID")
    sub.add_parser("revoke", help="delete a bound broker user and its reply queue").add_argument("--user",
                                                                                                  required=True)
    sub.add_parser("list", help="the broker users bound to partners")
    args = parser.parse_args(argv)
    amqp_uri = env("AMQP_URI")
    try:
        if args.command == "grant":
            made = grant(amqp_uri, args.user, args.partner)
            print(json.dumps({"user": made.user, "partner_id": made.partner_id, "vhost": made.vhost,
                              "reply_queue": made.reply_queue, "password": made.password}))
        elif args.command == "revoke":
            if not revoke(amqp_uri, args.user):
                print(f"no broker user {args.user}", file=sys.stderr)
                return 1
        else:
            for row in bindings(amqp_uri):
                print(json.dumps(row))
    except AccessRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    except ManagementError as exc:
        print(f"the broker's management API: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
