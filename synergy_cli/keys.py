"""API keys: issue (the key is shown once), list, show, relabel, revoke."""
from __future__ import annotations

import click

from synergy_cli.app import App, examples, output_options, with_app

COLUMNS = ["id", "prefix", "kind", "partner_id", "label", "status", "expires_at", "created_by"]


@click.group()
def keys() -> None:
    """API keys of people, partners and campus systems. A key is shown once, when it is issued."""


@keys.command("create")
@click.option("--kind", required=True, type=click.Choice(["admin", "staff", "partner", "campus_system"]))
@click.option("--label", required=True, help="Who holds the key, to tell keys apart.")
@click.option("--partner", "partner_id", metavar="PARTNER_ID", help="For a partner key: the partner.")
@click.option("--expires-in-days", type=click.IntRange(1, 730), default=90, show_default=True)
@output_options
@examples("synergy keys create --kind partner --partner prt_01... --label 'museum events system'",
          "synergy keys create --kind staff --label 'office: Zhang' --json | jq -r .key")
@with_app
def create(app: App, kind: str, label: str, partner_id: str | None, expires_in_days: int) -> None:
    """Issue an API key. POST /v1/api-keys. The key is in this answer only: store it now."""
    request = {"kind": kind, "label": label, "expires_in_days": expires_in_days}
    if partner_id:
        request["partner_id"] = partner_id
    created = app.client.create_api_key(request)
    app.out.record(created, [*COLUMNS, "key"], reveal=frozenset({"key"}))
    if created.get("key"):
        app.out.note("The key is shown this once; Synergy keeps only its hash.")
    else:
        app.out.note("No key in this answer (a replay of an earlier request shows none): issue another.")


@keys.command("list")
@output_options
@examples("synergy keys list", "synergy keys list --csv")
@with_app
def list_keys(app: App) -> None:
    """Every key (never a secret). GET /v1/api-keys."""
    app.out.rows(list(app.client.api_keys()), COLUMNS)


@keys.command("show")
@click.argument("key_id")
@output_options
@examples("synergy keys show key_01...")
@with_app
def show(app: App, key_id: str) -> None:
    """One key (never its secret). GET /v1/api-keys/{id}."""
    app.out.record(app.client.api_key(key_id), [*COLUMNS, "created_at", "revoked_at"])


@keys.command("relabel")
@click.argument("key_id")
@click.option("--label", required=True)
@output_options
@examples("synergy keys relabel key_01... --label 'museum events system (2027)'")
@with_app
def relabel(app: App, key_id: str, label: str) -> None:
    """Change a key's label. PATCH /v1/api-keys/{id} with If-Match (the version just read)."""
    app.out.record(app.client.relabel_api_key(key_id, label), COLUMNS)


@keys.command("revoke")
@click.argument("key_id")
@output_options
@examples("synergy keys revoke key_01...")
@with_app
def revoke(app: App, key_id: str) -> None:
    """Revoke a key at once. POST /v1/api-keys/{id}/revoke."""
    app.out.record(app.client.revoke_api_key(key_id), COLUMNS)


def register(cli: click.Group) -> None:
    cli.add_command(keys)
