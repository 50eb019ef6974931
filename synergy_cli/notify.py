"""Notify: webhook endpoints, their deliveries, and inboxes."""
from __future__ import annotations

import click

from synergy_cli.app import (
    App,
    body_from,
    examples,
    output_options,
    progress,
    read_json_file,
    with_app,
    working,
)
from synergy_client import NotFound

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


@endpoints.command("update")
@click.argument("endpoint_id")
@click.option("--url", help="Where to POST the webhooks from now on.")
@click.option("--event-type", "event_types", multiple=True, help="An event type to receive (or *); repeat "
                                                                 "(replaces the types).")
@click.option("--description")
@click.option("--enable/--disable", "enabled", default=None, help="Deliver again (its health starts afresh), or "
                                                                  "stop delivering.")
@click.option("--file", metavar="FILE", help="A JSON object of changes to start from ('-': standard input).")
@output_options
@examples("synergy endpoints update whe_01... --url https://museum.example/hooks/v2",
          "synergy endpoints update whe_01... --event-type activity.published --event-type activity.updated",
          "synergy endpoints update whe_01... --disable")
@with_app
def update_endpoint(app: App, endpoint_id: str, url, event_types, description, enabled, file) -> None:
    """Change an endpoint: read it, then PATCH with If-Match. PATCH /v1/partners/{owner}/webhook-endpoints/{id}.
    Never shows the secret (rotate-secret makes a new one)."""
    status = None if enabled is None else "enabled" if enabled else "disabled"
    changes = body_from(file, url=url, event_types=event_types, description=description, status=status)
    if not changes:
        raise click.UsageError("nothing to change: give an option or --file")
    app.out.record(app.client.update_endpoint(endpoint_id, changes).raw, ENDPOINT_COLUMNS)


@endpoints.command("rotate-secret")
@click.argument("endpoint_id")
@click.option("--overlap-hours", type=click.FloatRange(0, 168),
              help="How long the old secret keeps signing too (default: the service's, 24 h).")
@output_options
@examples("synergy endpoints rotate-secret whe_01...",
          "synergy endpoints rotate-secret whe_01... --overlap-hours 2 --json")
@with_app
def rotate_secret(app: App, endpoint_id: str, overlap_hours: float | None) -> None:
    """Make a new signing secret (whsec_...), shown in this answer only: store it now. Until the overlap ends,
    webhooks carry signatures by both secrets. POST /v1/partners/{owner}/webhook-endpoints/{id}/rotate-secret."""
    rotated = app.client.rotate_endpoint_secret(endpoint_id, overlap_hours)
    app.out.record(rotated.raw, [*ENDPOINT_COLUMNS, "secret"], reveal=frozenset({"secret"}))
    if rotated.secret:
        app.out.note("The new secret is shown this once; Synergy will not show it again.")


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
    with working("replaying"):
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


@click.command("inbox-mark")
@click.argument("recipient_id")
@click.argument("item_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every unread item (with --unread: every read item).")
@click.option("--unread", is_flag=True, help="Mark as not read yet (default: read).")
@output_options
@examples("synergy inbox-mark prt_01... inb_01... inb_02...", "synergy inbox-mark coordination_group --all",
          "synergy inbox-mark person:stu_2024001 inb_01... --unread")
@with_app
def inbox_mark(app: App, recipient_id: str, item_ids: tuple[str, ...], everything: bool, unread: bool) -> int:
    """Mark inbox items read (or unread again). POST /v1/partners/{id}/inbox/{item}, /v1/people/{id}/inbox/{item},
    /v1/coordination-group/inbox/{item}. Exits 1 when an item was not found."""
    if bool(item_ids) == everything:
        raise click.UsageError("name the items, or give --all")
    if everything:
        item_ids = tuple(item.id for item in app.client.inbox(recipient_id, unread=not unread)
                         if item.read == unread)
    results = []
    with progress(item_ids, "marking") as bar:
        for item_id in bar:
            try:
                marked = app.client.mark_inbox_item(recipient_id, item_id, read=not unread)
                results.append({"id": item_id, "read": marked.get("read"), "result": "marked"})
            except NotFound:
                results.append({"id": item_id, "read": None, "result": "not found"})
    app.out.rows(results, ["id", "read", "result"])
    return 0 if all(r["result"] == "marked" for r in results) else 1


@click.group()
def preferences() -> None:
    """People's notification preferences: channels, language, immediate or weekly digest, what to hear about."""


PREFERENCE_COLUMNS = ["person_id", "email", "language", "channels", "mode", "events", "follow", "updated_at"]


@preferences.command("show")
@click.argument("person_id")
@output_options
@examples("synergy preferences show stu_2024001", "synergy preferences show stu_2024001 --json")
@with_app
def show_preferences(app: App, person_id: str) -> None:
    """A person's notification preferences (the defaults until they set any).
    GET /v1/people/{id}/notification-preferences."""
    app.out.record(app.client.notification_preferences(person_id), PREFERENCE_COLUMNS)


@preferences.command("set")
@click.argument("person_id")
@click.option("--email", help="Where emails go.")
@click.option("--language", type=click.Choice(["zh-CN", "en"]))
@click.option("--channel", "channels", multiple=True, type=click.Choice(["email", "inbox"]),
              help="A channel; repeat (replaces the channels).")
@click.option("--mode", type=click.Choice(["immediate", "weekly_digest"]))
@click.option("--event", "events", multiple=True, help="An event type to hear about; repeat (replaces them).")
@click.option("--file", metavar="FILE", help="The whole preferences as JSON, replacing the current ones; options "
                                             "given on the command line go over it.")
@output_options
@examples("synergy preferences set stu_2024001 --mode weekly_digest",
          "synergy preferences set stu_2024001 --channel inbox --language en",
          "synergy preferences set stu_2024001 --file prefs.json")
@with_app
def set_preferences(app: App, person_id: str, email, language, channels, mode, events, file) -> None:
    """Change a person's preferences: the options given change those settings and keep the others (read, then
    PUT back); --file replaces them all. PUT /v1/people/{id}/notification-preferences."""
    changes = body_from(None, email=email, language=language, channels=channels, mode=mode, events=events)
    if file:
        whole = read_json_file(file)
        if not isinstance(whole, dict):
            raise click.BadParameter("must hold a JSON object", param_hint="--file")
        saved = app.client.set_notification_preferences(person_id, {**whole, **changes})
    elif changes:
        saved = app.client.update_notification_preferences(person_id, changes)
    else:
        raise click.UsageError("nothing to change: give an option or --file")
    app.out.record(saved, PREFERENCE_COLUMNS)


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
    cli.add_command(inbox_mark)
    cli.add_command(preferences)
    cli.add_command(emails)
