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
@examples("synergy endpoints deliveries ep_01...", "synergy endpoints deliveries ep_01... --state failed --csv")
@with_app
def endpoint_deliveries(app: App, endpoint_id: str, state: str | None) -> None:
    """Each delivery to an endpoint and its attempts, newest first. GET /v1/webhook-endpoints/{id}/deliveries."""
    rows = []
    for delivery in app.client.deliveries(endpoint_id, state):
        last = delivery.attempts[-1] if delivery.attempts else {}
        rows.append(dict(delivery.raw, attempt_count=len(delivery.attempts), last_status=last.get("status_code")))
    app.out.rows(rows, DELIVERY_COLUMNS)


@endpoints.command("replay")
@click.argument("endpoint_id")
@click.option("--since", required=True, metavar="RFC3339", help="Failed deliveries created since this time.")
@output_options
@examples("synergy endpoints replay ep_01... --since 2026-11-25T00:00:00+08:00")
@with_app
def replay(app: App, endpoint_id: str, since: str) -> None:
    """Send again every failed delivery of an endpoint since a time.
    POST /v1/partners/{owner}/webhook-endpoints/{id}/replay."""
    done = app.client.replay_failed(endpoint_id, since)
    app.out.rows([{"delivery_id": d} if isinstance(d, str) else d for d in done.get("replayed", [])],
                 ["delivery_id"])
    app.out.note(f"{done.get('count', 0)} failed deliveries sent again")


@click.command()
@click.argument("recipient_id")
@click.option("--unread", is_flag=True, help="Only what was not read yet.")
@output_options
@examples("synergy inbox prt_01...", "synergy inbox coordination_group --unread", "synergy inbox person:stu_2024001")
@with_app
def inbox(app: App, recipient_id: str, unread: bool) -> None:
    """What a partner (prt_...), a person (person:<id>) or the coordination group (coordination_group) was told.
    GET /v1/partners/{id}/inbox, /v1/people/{id}/inbox, /v1/coordination-group/inbox."""
    app.out.rows([item.raw for item in app.client.inbox(recipient_id, unread=unread)],
                 ["created_at", "event_type", "activity_id", "subject", "read"])


@click.group()
def emails() -> None:
    """Emails that could not be sent (the dead letters of email)."""


@emails.command("list")
@click.option("--state", type=click.Choice(["pending", "sent", "failed"]), default="failed", show_default=True)
@output_options
@examples("synergy emails list", "synergy emails list --state pending --json")
@with_app
def list_emails(app: App, state: str) -> None:
    """Emails in a state, with their attempts. GET /v1/notify/emails."""
    app.out.rows(app.client.failed_emails(state), ["id", "to", "subject", "state", "attempts", "last_error"])


@emails.command("retry")
@click.argument("email_id")
@output_options
@examples("synergy emails retry eml_01...")
@with_app
def retry_email(app: App, email_id: str) -> None:
    """Send a failed email again. POST /v1/notify/emails/{id}/retry."""
    app.out.record(app.client.retry_email(email_id))


def register(cli: click.Group) -> None:
    cli.add_command(endpoints)
    cli.add_command(inbox)
    cli.add_command(emails)
