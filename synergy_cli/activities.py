"""Joint activities: draft, show, publish. Each command is one route of the API."""
from __future__ import annotations

import click

from synergy_cli.app import App, body_from, examples, output_options, with_app
from synergy_client import Activity

SHOW_COLUMNS = ["id", "title", "activity_type", "status", "starts_at", "ends_at", "venue", "lead_organizer",
                "co_organizers", "paths", "themes"]
PATHS = ["resources", "space", "service", "activity", "practice"]


def show(app: App, activity: Activity) -> None:
    """All of it as JSON; for people, the organizers as lead and co-organizers."""
    if app.fmt == "json":
        app.out.record(activity.raw)
    else:
        app.out.record(dict(activity.raw, lead_organizer=activity.lead_organizer,
                            co_organizers=activity.co_organizers), SHOW_COLUMNS)


@click.group()
def activities() -> None:
    """Joint activities between the library and its partners."""


@activities.command("create")
@click.option("--title-zh", help="Title in Chinese (required unless in --file).")
@click.option("--title-en", help="Title in English.")
@click.option("--type", "activity_type", help="lecture, exhibition, reading_promotion, workshop, ...")
@click.option("--path", "paths", multiple=True, type=click.Choice(PATHS), help="A cooperation path; repeat.")
@click.option("--theme", "themes", multiple=True, help="A theme; repeat for several.")
@click.option("--starts-at", metavar="RFC3339", help="e.g. 2026-12-05T10:00:00+08:00")
@click.option("--ends-at", metavar="RFC3339")
@click.option("--venue")
@click.option("--lead", "lead_organizer", metavar="PARTNER_ID", help="The lead organizer.")
@click.option("--co", "co_organizers", metavar="PARTNER_ID", multiple=True, help="A co-organizer; repeat.")
@click.option("--description")
@click.option("--file", metavar="FILE", help="A JSON body to start from ('-': standard input).")
@output_options
@examples("synergy activities create --title-zh 科学与艺术讲座 --type lecture --path activity --path resources \\",
          "    --starts-at 2026-12-05T10:00:00+08:00 --ends-at 2026-12-05T12:00:00+08:00 \\",
          "    --lead prt_01... --co prt_01...",
          "synergy activities create --file lecture.json --json")
@with_app
def create_activity(app: App, file, title_zh, title_en, activity_type, paths, themes, starts_at, ends_at, venue,
                    lead_organizer, co_organizers, description) -> None:
    """Draft a joint activity: one lead organizer, any co-organizers. POST /v1/activities."""
    body = body_from(file, **{"title.zh": title_zh, "title.en": title_en, "activity_type": activity_type,
                              "paths": paths, "themes": themes, "starts_at": starts_at, "ends_at": ends_at,
                              "venue": venue, "lead_organizer": lead_organizer, "co_organizers": co_organizers,
                              "description": description})
    show(app, app.client.create_activity(body))


@activities.command("show")
@click.argument("activity_id")
@output_options
@examples("synergy activities show act_01...", "synergy activities show act_01... --json")
@with_app
def show_activity(app: App, activity_id: str) -> None:
    """One activity. GET /v1/activities/{id}."""
    show(app, app.client.activity(activity_id))


@activities.command("publish")
@click.argument("activity_id")
@output_options
@examples("synergy activities publish act_01...")
@with_app
def publish_activity(app: App, activity_id: str) -> None:
    """Publish an activity: every organizer is told, the outcome survey is prepared, webhooks go out.
    POST /v1/activities/{id}/publish."""
    app.out.record(app.client.publish_activity(activity_id).raw, ["id", "title", "status", "starts_at"])


def register(cli: click.Group) -> None:
    cli.add_command(activities)
