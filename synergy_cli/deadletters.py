"""Dead-lettered bus messages: list, inspect, replay, discard (on the broker, through
``services.common.deadletters``)."""
from __future__ import annotations

import json
from contextlib import contextmanager

import click

from synergy_cli.app import App, examples, output_options, progress, with_app
from synergy_cli.output import redact

SUMMARY_COLUMNS = ["message_id", "type", "queue", "reason", "count", "size"]


class BrokerUnreachable(click.ClickException):
    exit_code = 3

    def format_message(self) -> str:
        return f"cannot reach the broker: {self.message}"


@contextmanager
def dead_letter_queue(app: App):
    import pika.exceptions

    from services.common.deadletters import DeadLetterQueue
    try:
        queue = DeadLetterQueue(app.settings.amqp_uri)
    except pika.exceptions.AMQPConnectionError as exc:
        raise BrokerUnreachable(type(exc).__name__ + (f" {exc}" if str(exc) else "")) from None
    try:
        yield queue
    finally:
        queue.close()


@click.group("dead-letters")
def dead_letters() -> None:
    """Bus messages a service gave up on (after its retries). AMQP_URI or the profile's amqp_uri says where."""


@dead_letters.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=100, show_default=True)
@output_options
@examples("synergy dead-letters list", "synergy dead-letters list --json")
@with_app
def list_letters(app: App, limit: int) -> None:
    """The dead letters, oldest first; they stay where they are."""
    with dead_letter_queue(app) as queue:
        app.out.rows([letter.summary() for letter in queue.list(limit)], SUMMARY_COLUMNS)


@dead_letters.command("inspect")
@click.argument("message_id")
@output_options
@examples("synergy dead-letters inspect evt_01...")
@with_app
def inspect_letter(app: App, message_id: str) -> None:
    """One dead letter in full: why and where it died, its properties and its body (secrets redacted)."""
    with dead_letter_queue(app) as queue:
        found = next((letter for letter in queue.list(10_000) if letter.message_id == message_id), None)
        if found is None:
            raise click.ClickException(f"no dead letter {message_id}")
        try:
            body = json.loads(found.body)
        except ValueError:
            body = found.body.decode("utf-8", "replace")
        props = found.properties
        deaths = [{k: (v if isinstance(v, str | int | float | list) else str(v)) for k, v in death.items()}
                  for death in (props.headers or {}).get("x-death", [])]
        document = dict(found.summary(), correlation_id=props.correlation_id, app_id=props.app_id,
                        content_type=props.content_type, x_death=deaths, body=redact(body))
        app.out.record(document)


def _each(app: App, ids: tuple[str, ...], everything: bool, verb: str) -> int:
    with dead_letter_queue(app) as queue:
        chosen = list(ids) or ([letter.message_id for letter in queue.list(10_000)] if everything else [])
        if not chosen:
            raise click.UsageError("name MESSAGE_ID(s) or give --all")
        results = []
        with progress(chosen, f"{verb}ing") as bar:
            for message_id in bar:
                done = getattr(queue, verb)(message_id)
                results.append({"message_id": message_id, "result": verb + "ed" if done else "not found"})
    app.out.rows(results, ["message_id", "result"])
    return 0 if all(r["result"] != "not found" for r in results) else 1


@dead_letters.command("replay")
@click.argument("message_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every dead letter.")
@output_options
@examples("synergy dead-letters replay evt_01...", "synergy dead-letters replay --all")
@with_app
def replay_letters(app: App, message_ids: tuple[str, ...], everything: bool) -> int:
    """Put messages back on the queue they died in (confirmed by the broker). Exits 1 if one was not found."""
    return _each(app, message_ids, everything, "replay")


@dead_letters.command("discard")
@click.argument("message_ids", nargs=-1)
@click.option("--all", "everything", is_flag=True, help="Every dead letter.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@output_options
@examples("synergy dead-letters discard evt_01... --yes")
@with_app
def discard_letters(app: App, message_ids: tuple[str, ...], everything: bool, yes: bool) -> int:
    """Drop messages for good. Asks first unless --yes. Exits 1 if one was not found."""
    if not yes:
        click.confirm(f"Discard {'every dead letter' if everything else ', '.join(message_ids)} for good?",
                      abort=True, err=True)
    return _each(app, message_ids, everything, "discard")


def register(cli: click.Group) -> None:
    cli.add_command(dead_letters)
