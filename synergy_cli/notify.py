"""Notify: webhook endpoints, their deliveries, and inboxes."""
from __future__ import annotations

import click

from synergy_cli.app import App, body_from, examples, output_options, with_app

ENDPOINT_COLUMNS = ["id", "owner_partner_id", "url", "event_types", "status", "description", "created_at"]
DELIVERY_COLUMNS = ["id", "event_type", "state", "attempt_count", "last_status", "next_attempt_at"]


@click.group()
def endpoints() -> None:
    """Webhook endpoints of partner systems, and what was delivered to them."""


@endpoints.command("create")
@click.option("--owner", "owner_partner_id", metavar="PARTNER_ID", help="The partner the endpoint belongs to.")
@click.option("--url", help="Where to POST the webhooks.")
@click.option("--event-type", "event_types", multiple=True, help="An event type to receive (or *); repeat.")
@click.option("--description")
@click.option("--file", metavar="FILE", help="A JSON body to start from ('-': standard input).")
@output_options
@examples("synergy endpoints create --owner prt_01... --url https://museum.example/hooks \\",
          "    --event-type activity.published --event-type activity.cancelled")
@with_app
def create_endpoint(app: App, file, owner_partner_id, url, event_types, description) -> None:
    """Subscribe a partner system. POST /v1/webhook-endpoints.

    The signing secret (whsec_...) is shown in this answer only: store it now.
    """
    body = body_from(file, owner_partner_id=owner_partner_id, url=url, event_types=event_types,
                     description=description)
    created = app.client.create_endpoint(body)
    app.out.record(created.raw, [*ENDPOINT_COLUMNS, "secret"], reveal=frozenset({"secret"}))
    if created.secret:
        app.out.note("The secret is shown this once; Synergy will not show it again.")
    else:
        app.out.note("No secret in this answer (a replay of an earlier creation shows none): rotate it if lost.")


@endpoints.command("show")
@click.argument("endpoint_id")
@output_options
@examples("synergy endpoints show whe_01...")
@with_app
def show_endpoint(app: App, endpoint_id: str) -> None:
    """One endpoint (never its secret). GET /v1/webhook-endpoints/{id}."""
    app.out.record(app.client.endpoint(endpoint_id).raw, ENDPOINT_COLUMNS)


@endpoints.command("deliveries")
@click.argument("endpoint_id")
@click.option("--state", type=click.Choice(["pending", "delivered", "failed"]),
              help="Only deliveries in this state (e.g. failed).")
@output_options
@examples("synergy endpoints deliveries whe_01...", "synergy endpoints deliveries whe_01... --state failed --csv")
@with_app
def endpoint_deliveries(app: App, endpoint_id: str, state: str | None) -> None:
    """Each delivery to an endpoint and its attempts. GET /v1/webhook-endpoints/{id}/deliveries."""
    rows = []
    for delivery in app.client.deliveries(endpoint_id):
        if state and delivery.state != state:
            continue
        last = delivery.attempts[-1] if delivery.attempts else {}
        rows.append(dict(delivery.raw, attempt_count=len(delivery.attempts), last_status=last.get("status_code")))
    app.out.rows(rows, DELIVERY_COLUMNS)


@click.command()
@click.argument("recipient_id")
@output_options
@examples("synergy inbox prt_01...", "synergy inbox prt_01... --json")
@with_app
def inbox(app: App, recipient_id: str) -> None:
    """What a partner was told in its inbox. GET /v1/partners/{id}/inbox."""
    app.out.rows([item.raw for item in app.client.inbox(recipient_id)],
                 ["created_at", "event_type", "activity_id", "subject"])


def register(cli: click.Group) -> None:
    cli.add_command(endpoints)
    cli.add_command(inbox)
