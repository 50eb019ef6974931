"""Operator tasks: the cluster's health, the event catalogue, the settings in use, the demo data."""
from __future__ import annotations

import click

from synergy_cli.app import App, examples, output_options, with_app
from synergy_client.transport import without_password


@click.command()
@output_options
@examples("synergy health", "synergy health --json | jq .ready")
@with_app
def health(app: App) -> int:
    """Is every service up? GET /health and GET /ready. Exits 1 when a service is not ready."""
    app.client.health()
    readiness = app.client.ready()
    rows = [{"service": name, "ready": "error" not in (check if isinstance(check, dict) else {}),
             "detail": check.get("error", "") if isinstance(check, dict) else ""}
            for name, check in readiness.services.items()]
    if app.fmt == "json":
        app.out.record(readiness.raw)
    else:
        app.out.rows(rows, ["service", "ready", "detail"])
        app.out.note(f"{app.settings.api_url}: {'ready' if readiness.ready else 'NOT ready'}")
    return 0 if readiness.ready else 1


@click.command()
@click.option("--markdown", is_flag=True, help="The catalogue as the Markdown the API renders.")
@output_options
@examples("synergy catalogue", "synergy catalogue --markdown > events.md", "synergy catalogue --json")
@with_app
def catalogue(app: App, markdown: bool) -> None:
    """The event catalogue: every event type, who produces and who consumes it. GET /v1/catalogue/events."""
    if markdown:
        reply = app.client.transport.request("GET", "/v1/catalogue/events", headers={"Accept": "text/markdown"})
        click.echo(reply.body)
        return
    entries = app.client.catalogue()
    if app.fmt == "json":
        app.out.record(entries)
        return
    app.out.rows([dict(entry, type=name) for name, entry in sorted(entries.items())],
                 ["type", "producer", "consumers", "public", "summary"])


@click.group()
def config() -> None:
    """The settings this command uses."""


@config.command("show")
@output_options
@examples("synergy config show", "synergy --profile ./staging.toml config show")
@with_app
def config_show(app: App) -> None:
    """Where the API is, whether a key is set (never the key), and where each setting came from."""
    s = app.settings
    rows = [{"setting": "api_url", "value": without_password(s.api_url), "from": s.sources["api_url"]},
            {"setting": "api_key", "value": "set" if s.api_key else "not set", "from": s.sources["api_key"]},
            {"setting": "amqp_uri", "value": without_password(s.amqp_uri), "from": s.sources["amqp_uri"]},
            {"setting": "timeout", "value": s.timeout, "from": s.sources["timeout"]}]
    app.out.rows(rows, ["setting", "value", "from"])


@click.group("demo")
def demo_group() -> None:
    """Demonstration data."""


@demo_group.command("load")
@output_options
@examples("synergy demo load", "synergy demo load --json > demo-ids.json")
@with_app
def demo_load(app: App) -> None:
    """Load the paper's cases (deploy/demo.py) through the API: partners, their reviews, agreements, one
    published activity per case. Running it again adds only what is missing."""
    import requests

    from deploy import demo
    settings = app.settings
    if not settings.api_key:
        raise click.UsageError("demo load needs an API key: set SYNERGY_API_KEY or the profile's api_key")
    try:
        ids = demo.load(settings.api_url, settings.api_key, log=app.out.note)
    except demo.DemoError as exc:
        raise click.ClickException(f"refused: {exc}") from None
    except requests.ConnectionError as exc:
        raise Unreachable(f"cannot reach the cluster: {exc}") from None
    app.out.rows([{"name": name, "id": partner_id} for name, partner_id in ids.items()], ["name", "id"])


class Unreachable(click.ClickException):
    exit_code = 3


def register(cli: click.Group) -> None:
    for command in (health, catalogue, config, demo_group):
        cli.add_command(command)
