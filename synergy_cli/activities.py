"""Joint activities: draft, show, publish. Each command is one route of the API."""
from __future__ import annotations

import click

from synergy_cli.app import (
    App,
    body_from,
    examples,
    output_options,
    read_json_file,
    with_app,
    working,
    write_text,
)
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
    with working("exporting"):
        text = app.client.calendar(organizer=organizer, type=activity_type, theme=theme)
    write_text(path, text)
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
    app.out.rows(found.get("signups", []), ["signup_id", "person.person_id", "shift_id", "state", "hours"])


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


@activities.command("update")
@click.argument("activity_id")
@click.option("--title-zh")
@click.option("--title-en")
@click.option("--type", "activity_type")
@click.option("--path", "paths", multiple=True, type=click.Choice(PATHS), help="A cooperation path; repeat (replaces).")
@click.option("--theme", "themes", multiple=True, help="A theme; repeat (replaces the themes).")
@click.option("--starts-at", metavar="RFC3339")
@click.option("--ends-at", metavar="RFC3339")
@click.option("--venue")
@click.option("--venue-id", metavar="VENUE_ID", help="A registered venue (ven_...): booked for the new times.")
@click.option("--capacity", type=click.IntRange(min=0))
@click.option("--description")
@click.option("--waive-reapproval", is_flag=True,
              help="Keep an approved or published activity approved (the coordination group only).")
@click.option("--file", metavar="FILE", help="A JSON object of changes to start from ('-': standard input).")
@output_options
@examples("synergy activities update act_01... --venue 'Library lecture hall B' --capacity 80",
          "synergy activities update act_01... --starts-at 2026-12-06T10:00:00+08:00 \\",
          "    --ends-at 2026-12-06T12:00:00+08:00",
          "synergy activities update act_01... --file changes.json --json")
@with_app
def update_activity(app: App, activity_id: str, file, title_zh, title_en, activity_type, paths, themes, starts_at,
                    ends_at, venue, venue_id, capacity, description, waive_reapproval) -> None:
    """Change an activity: read it, then PATCH with If-Match (read again if someone changed it in between).
    PATCH /v1/activities/{id}.

    Title, times or venue of an approved or published activity send it back for approval unless re-approval
    is waived; registrants of a published activity are told what changed.
    """
    changes = body_from(file, **{"title.zh": title_zh, "title.en": title_en, "activity_type": activity_type,
                                 "paths": paths, "themes": themes, "starts_at": starts_at, "ends_at": ends_at,
                                 "venue": venue, "venue_id": venue_id, "capacity": capacity,
                                 "description": description, "waive_reapproval": waive_reapproval or None})
    if not changes:
        raise click.UsageError("nothing to change: give an option or --file")
    show(app, app.client.edit_activity(activity_id, changes))


@activities.command("add-occurrence")
@click.argument("activity_id")
@click.option("--starts-at", required=True, metavar="RFC3339")
@click.option("--ends-at", required=True, metavar="RFC3339")
@output_options
@examples("synergy activities add-occurrence act_01... --starts-at 2026-12-12T10:00:00+08:00 \\",
          "    --ends-at 2026-12-12T12:00:00+08:00")
@with_app
def add_occurrence(app: App, activity_id: str, starts_at: str, ends_at: str) -> None:
    """Add the next occurrence of a series (a lecture series): a new draft at other times, with the same
    organizers. POST /v1/activities/{id}/occurrences."""
    show(app, app.client.add_occurrence(activity_id, starts_at, ends_at))


@activities.command("add-organizer")
@click.argument("activity_id")
@click.argument("partner_id")
@click.option("--responsibility", default="", help="What this co-organizer takes on.")
@output_options
@examples("synergy activities add-organizer act_01... prt_01... --responsibility 'speakers and posters'")
@with_app
def add_organizer(app: App, activity_id: str, partner_id: str, responsibility: str) -> None:
    """Add a co-organizer (the lead or the coordination group; a published activity takes approved partners
    only). POST /v1/activities/{id}/organizers."""
    show(app, app.client.add_co_organizer(activity_id, partner_id, responsibility))


PART_HELP = {
    "contributions": ("What an organizer commits: a JSON list of {kind, committed, description, delivered}; kind: "
                      "funding, space, speakers, collections, volunteers, publicity.",
                      '[{"kind": "speakers", "committed": "two speakers", "delivered": false}]'),
    "tasks": ("An organizer's tasks: a JSON list of {title, due_at, done}.",
              '[{"title": "Print posters", "due_at": "2026-12-01T18:00:00+08:00"}]'),
}


def part_command(part: str) -> click.Command:
    what, sample = PART_HELP[part]

    def run(app: App, activity_id: str, partner_id: str, file: str) -> None:
        entries = read_json_file(file)
        if isinstance(entries, dict) and isinstance(entries.get(part), list):
            entries = entries[part]
        if not isinstance(entries, list):
            raise click.BadParameter(f"must hold a JSON list (or {{\"{part}\": [...]}})", param_hint="--file")
        changed = app.client.set_organizer_part(activity_id, partner_id, part, entries)
        if app.fmt == "json":
            app.out.record(changed.raw)
            return
        organizer = next((o for o in changed.organizers if o.get("partner_id") == partner_id), {})
        app.out.rows(organizer.get(part, []), ["kind", "committed", "description", "delivered"]
                     if part == "contributions" else ["title", "due_at", "done"])
    run.__doc__ = (f"Replace an organizer's {part} as a whole (the organizer itself or the coordination group). "
                   f"PUT /v1/activities/{{id}}/organizers/{{partner_id}}/{part}.\n\n{what}")
    command = examples(f"synergy activities set-{part} act_01... prt_01... --file {part}.json",
                       f"echo '{sample}' | synergy activities set-{part} act_01... prt_01... --file -")(with_app(run))
    command = output_options(command)
    command = click.option("--file", required=True, metavar="FILE", help="The JSON list ('-': standard input).")(
        command)
    return click.command(f"set-{part}")(click.argument("activity_id")(click.argument("partner_id")(command)))


for _part in PART_HELP:
    activities.add_command(part_command(_part))


REGISTRATION_COLUMNS = ["registration_id", "activity_id", "person.person_id", "state", "code", "registered_at",
                        "cancelled_at"]


@activities.command("register")
@click.argument("activity_id")
@click.option("--person", "person_id", required=True, metavar="PERSON_ID", help="The person's id (student or "
                                                                                "staff number).")
@click.option("--email", required=True, help="Where the confirmation and the check-in code are sent.")
@click.option("--language", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
@click.option("--audience", type=click.Choice(["undergraduate", "postgraduate", "staff", "alumni", "public"]),
              help="Needed when the activity is for some audiences only.")
@output_options
@examples("synergy activities register act_01... --person stu_2024001 --email li@campus.example",
          "synergy activities register act_01... --person alumni_88 --email a@example.org --audience alumni --json")
@with_app
def register_person(app: App, activity_id: str, person_id: str, email: str, language: str, audience) -> None:
    """Register a person for a published activity: confirmed with a check-in code, or waitlisted when full.
    POST /v1/activities/{id}/registrations."""
    made = app.client.register_person(activity_id, body_from(None, person_id=person_id, email=email,
                                                             language=language, audience=audience))
    app.out.record(made, REGISTRATION_COLUMNS)


@activities.command("cancel-registration")
@click.argument("activity_id")
@click.argument("registration_id")
@output_options
@examples("synergy activities cancel-registration act_01... reg_01...")
@with_app
def cancel_registration(app: App, activity_id: str, registration_id: str) -> None:
    """Cancel a registration before the activity starts (the first on the waitlist gets the seat).
    POST /v1/activities/{id}/registrations/{registration_id}/cancel."""
    app.out.record(app.client.cancel_registration(activity_id, registration_id), REGISTRATION_COLUMNS)


def show_roster(app: App, roster: dict) -> None:
    """Roles and shifts: all of it as JSON; for people and CSV, a row per shift with its role."""
    if app.fmt == "json":
        app.out.record(roster)
        return
    roles = {role["role_id"]: role for role in roster.get("roles", [])}
    rows = [dict(shift, role=roles.get(shift["role_id"], {}).get("name")) for shift in roster.get("shifts", [])]
    rows += [{"role_id": role_id, "role": role.get("name")} for role_id, role in roles.items()
             if not any(shift["role_id"] == role_id for shift in roster.get("shifts", []))]
    app.out.rows(rows, ["role_id", "role", "shift_id", "starts_at", "ends_at", "places", "free"])


@activities.command("shifts")
@click.argument("activity_id")
@output_options
@examples("synergy activities shifts act_01...", "synergy activities shifts act_01... --csv")
@with_app
def shifts(app: App, activity_id: str) -> None:
    """Volunteer roles and shifts of an activity, with free places. GET /v1/activities/{id}/volunteer-shifts."""
    show_roster(app, app.client.volunteer_shifts(activity_id))


@activities.command("add-role")
@click.argument("activity_id")
@click.option("--name-zh", required=True, help="The role's name in Chinese.")
@click.option("--name-en", help="In English.")
@click.option("--description", default="")
@output_options
@examples("synergy activities add-role act_01... --name-zh 引导员 --name-en Usher --description 'Seat the audience'")
@with_app
def add_role(app: App, activity_id: str, name_zh: str, name_en, description: str) -> None:
    """Add a volunteer role (organizers). POST /v1/activities/{id}/volunteer-roles."""
    show_roster(app, app.client.add_volunteer_role(activity_id, body_from(
        None, **{"name.zh": name_zh, "name.en": name_en, "description": description})))


@activities.command("add-shift")
@click.argument("activity_id")
@click.option("--role", "role_id", required=True, metavar="ROLE_ID", help="The role (rol_..., see `shifts`).")
@click.option("--starts-at", required=True, metavar="RFC3339")
@click.option("--ends-at", required=True, metavar="RFC3339")
@click.option("--places", required=True, type=click.IntRange(min=1), help="How many volunteers.")
@output_options
@examples("synergy activities add-shift act_01... --role rol_01... --places 4 \\",
          "    --starts-at 2026-12-05T09:00:00+08:00 --ends-at 2026-12-05T12:30:00+08:00")
@with_app
def add_shift(app: App, activity_id: str, role_id: str, starts_at: str, ends_at: str, places: int) -> None:
    """Add a volunteer shift of a role (organizers). POST /v1/activities/{id}/volunteer-shifts."""
    show_roster(app, app.client.add_volunteer_shift(activity_id, {"role_id": role_id, "starts_at": starts_at,
                                                                  "ends_at": ends_at, "places": places}))


def register(cli: click.Group) -> None:
    cli.add_command(activities)
