"""Evaluation: the outcome surveys of an activity."""
from __future__ import annotations

import click

from synergy_cli.app import App, examples, output_options, with_app


@click.group()
def surveys() -> None:
    """Outcome surveys of joint activities."""


@surveys.command("status")
@click.argument("activity_id")
@output_options
@examples("synergy surveys status act_01...", "synergy surveys status act_01... --json")
@with_app
def survey_status(app: App, activity_id: str) -> None:
    """The surveys prepared for an activity and their state. GET /v1/activities/{id}/surveys."""
    found = app.client.surveys(activity_id)
    if app.fmt == "json":
        app.out.rows([s.raw for s in found], [])
        return
    rows = [dict(s.raw, items=len(s.items)) for s in found]
    app.out.rows(rows, ["id", "activity_id", "stage", "status", "items"])


def register(cli: click.Group) -> None:
    cli.add_command(surveys)
