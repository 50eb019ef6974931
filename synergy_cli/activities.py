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


STATUSES = ["draft", "submitted", "returned", "approved", "published", "in_progress", "completed", "archived",
            "cancelled", "postponed"]
LIST_COLUMNS = ["id", "title", "activity_type", "status", "starts_at", "venue"]


@activities.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--organizer", metavar="PARTNER_ID", help="Activities this partner leads or co-organizes.")
@click.option("--type", "activity_type", help="lecture, exhibition, reading_promotion, ...")
@click.option("--theme")
@click.option("--path", type=click.Choice(PATHS))
@click.option("--search", metavar="TEXT", help="Words in the title.")
@click.option("--from", "starts_from", metavar="RFC3339", help="Starting at or after.")
@click.option("--to", "starts_before", metavar="RFC3339", help="Starting before.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (default: all, page by page).")
@output_options
@examples("synergy activities list --status published",
          "synergy activities list --organizer prt_01... --from 2026-12-01T00:00:00+08:00 --csv")
@with_app
def list_activities(app: App, status, organizer, activity_type, theme, path, search, starts_from, starts_before,
                    limit) -> None:
    """List activities with filters, following the pages. GET /v1/activities."""
    found = app.client.activities(limit=limit, page_size=200, status=status, organizer=organizer,
                                  type=activity_type, theme=theme, path=path, q=search,
                                  **{"from": starts_from, "to": starts_before})
    app.out.rows([activity.raw for activity in found], LIST_COLUMNS)


def step_command(step: str, what: str, options: tuple = (), body=lambda **kw: None) -> click.Command:
    def run(app: App, activity_id: str, **given) -> None:
        changed = app.client.activity_step(activity_id, step, body(**given))
        app.out.record(changed.raw, ["id", "title", "status", "starts_at", "ends_at"])
    run.__doc__ = f"{what} POST /v1/activities/{{id}}/{step}."
    command = examples(f"synergy activities {step} act_01..." + (" --reason '...'" if options else ""))(
        with_app(run))
    command = output_options(command)
    for option in reversed(options):
        command = option(command)
    return click.command(step)(click.argument("activity_id")(command))


REASON = click.option("--reason", required=True, help="Why (organizers and registrants are told).")
COMMENTS = click.option("--comments", default="", help="For the organizers.")
for _step, _what, _options, _body in (
        ("submit", "Submit a draft (or a returned activity) for approval.", (), lambda: None),
        ("approve", "Approve a submitted activity.", (COMMENTS,), lambda comments: {"comments": comments}),
        ("return", "Return a submitted activity for changes.",
         (click.option("--why", "reasons", multiple=True, required=True, help="A reason; repeat."), COMMENTS),
         lambda reasons, comments: {"reasons": list(reasons), "comments": comments}),
        ("cancel", "Cancel an activity.", (REASON,), lambda reason: {"reason": reason}),
        ("postpone", "Postpone an activity, to new times if known.",
         (REASON, click.option("--new-starts-at", metavar="RFC3339"), click.option("--new-ends-at", metavar="RFC3339")),
         lambda reason, new_starts_at, new_ends_at: {k: v for k, v in (("reason", reason),
                                                                       ("new_starts_at", new_starts_at),
                                                                       ("new_ends_at", new_ends_at)) if v}),
        ("start", "Mark an activity as under way.", (), lambda: None),
        ("complete", "Mark an activity as completed (attendance is counted, the survey follows).", (), lambda: None),
        ("archive", "Archive a completed or cancelled activity.", (), lambda: None)):
    activities.add_command(step_command(_step, _what, _options, _body))


@activities.command("calendar")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--organizer", metavar="PARTNER_ID")
@click.option("--type", "activity_type")
@click.option("--theme")
@examples("synergy activities calendar activities.ics", "synergy activities calendar - --organizer prt_01...")
@with_app
def calendar(app: App, path: str, organizer, activity_type, theme) -> None:
    """Export the calendar of activities (iCalendar). GET /v1/calendar.ics."""
    text = app.client.calendar(organizer=organizer, type=activity_type, theme=theme)
    if path == "-":
        click.echo(text, nl=False)
    else:
        with open(path, "w", encoding="utf-8", newline="") as out:
            out.write(text)
    app.out.note(f"{text.count('BEGIN:VEVENT')} event(s)" + ("" if path == "-" else f" written to {path}"))


@activities.command("registrations")
@click.argument("activity_id")
@output_options
@examples("synergy activities registrations act_01...", "synergy activities registrations act_01... --csv")
@with_app
def registrations(app: App, activity_id: str) -> None:
    """Who registered, and attendance (personal data: organizers only). GET /v1/activities/{id}/registrations."""
    found = app.client.registrations(activity_id)
    if app.fmt == "json":
        app.out.record(found)
        return
    app.out.rows(found["items"], ["registration_id", "person.person_id", "person.email", "state", "registered_at",
                                  "checked_in_at"])
    app.out.note(f"attendance: {found.get('attendance')}, capacity: {found.get('capacity')}")


@activities.command("check-in")
@click.argument("activity_id")
@click.argument("code")
@output_options
@examples("synergy activities check-in act_01... K7Q2M9XA")
@with_app
def check_in(app: App, activity_id: str, code: str) -> None:
    """Check a registrant in by the code of their registration. POST /v1/activities/{id}/check-ins."""
    app.out.record(app.client.check_in(activity_id, code), ["registration_id", "state", "checked_in_at"])


@activities.command("volunteers")
@click.argument("activity_id")
@output_options
@examples("synergy activities volunteers act_01...")
@with_app
def volunteers(app: App, activity_id: str) -> None:
    """Volunteer sign-ups and their hours. GET /v1/activities/{id}/volunteers."""
    found = app.client.volunteers(activity_id)
    if app.fmt == "json":
        app.out.record(found)
        return
    app.out.rows(found.get("items", []), ["signup_id", "person.person_id", "shift_id", "state", "hours"])


@activities.command("hours")
@click.argument("activity_id")
@click.argument("signup_id")
@click.argument("hours", type=click.FloatRange(min=0, min_open=True))
@output_options
@examples("synergy activities hours act_01... vol_01... 3.5")
@with_app
def hours(app: App, activity_id: str, signup_id: str, hours: float) -> None:
    """Record a volunteer's hours (announced as participation.recorded for the second classroom).
    POST /v1/activities/{id}/volunteers/{signup_id}/hours."""
    app.out.record(app.client.record_hours(activity_id, signup_id, hours), ["signup_id", "state", "hours"])


def register(cli: click.Group) -> None:
    cli.add_command(activities)
