"""Manage API keys from a shell (the same keys as ``/v1/api-keys``), straight on the gateway's own database.

    python -m services.gateway.keys create --kind partner --partner prt_… --label "Museum CMS" [--days 90]
    python -m services.gateway.keys list
    python -m services.gateway.keys revoke key_…
    python -m services.gateway.keys ensure-admin --file var/admin.key   # renewed when close to its expiry
    python -m services.gateway.keys rotate-admin --file var/admin.key   # a new key; the old one is revoked

``create`` prints the key once, on standard output; it is stored only as a hash. Uses MONGO_URI and
MONGO_DB_PREFIX like the services.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import timedelta
from pathlib import Path

from services.common.clock import utcnow
from services.common.errors import ValidationFailed
from services.common.mongo import database
from services.common.validation import load
from services.gateway import adminkey
from services.gateway.apikeys import ApiKey
from services.gateway.http import to_json
from services.gateway.schemas import ApiKeyRequest
from services.gateway.store import GatewayStore


def main(argv: list[str] | None = None, store: GatewayStore | None = None) -> int:
    parser = argparse.ArgumentParser(prog="keys", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="issue a key and print it once")
    create.add_argument("--kind", required=True, choices=["admin", "staff", "partner", "campus_system"])
    create.add_argument("--label", required=True)
    create.add_argument("--partner", dest="partner_id")
    create.add_argument("--days", dest="expires_in_days", type=int, default=90)
    listing = sub.add_parser("list", help="show keys (never their secrets), JSON lines")
    listing.add_argument("--limit", type=int, default=200)
    sub.add_parser("revoke", help="revoke a key at once").add_argument("key_id")
    for name, help_ in (("ensure-admin", "make or renew the admin key file"),
                        ("rotate-admin", "replace the admin key file's key and revoke the old one")):
        admin = sub.add_parser(name, help=help_)
        admin.add_argument("--file", required=True, type=Path)
        admin.add_argument("--days", type=int, default=adminkey.VALID_FOR.days)
    args = parser.parse_args(argv)
    store = store or GatewayStore(database("gateway"))
    now = utcnow()
    if args.command in ("ensure-admin", "rotate-admin"):
        change = adminkey.ensure if args.command == "ensure-admin" else adminkey.rotate
        change(store, args.file, now, timedelta(days=args.days))
        print(f"admin key in {args.file}")
        return 0
    if args.command == "create":
        payload = {k: v for k, v in vars(args).items() if k != "command" and v is not None}
        try:
            data = load(ApiKeyRequest(), payload)
        except ValidationFailed as exc:
            print(json.dumps(exc.details["errors"]), file=sys.stderr)
            return 2
        key, text = ApiKey.issue(kind=data["kind"], label=data["label"], partner_id=data.get("partner_id"),
                                 valid_for=timedelta(days=data["expires_in_days"]), now=now, created_by="cli")
        store.add_key(key)
        print(to_json(key.view(now) | {"key": text}))
        return 0
    if args.command == "list":
        for key in store.list_keys(after=None, limit=args.limit):
            print(to_json(key.view(now)))
        return 0
    found = store.key(args.key_id)
    if found is None:
        print(f"not found: {args.key_id}", file=sys.stderr)
        return 1
    key, rev = found
    key.revoke(now, "cli")
    store.save_key(key, rev)
    print(to_json(key.view(now)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
