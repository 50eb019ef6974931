"""Evaluation: the outcome surveys of an activity, scores, the synergy analysis, term plans and term reports."""
from __future__ import annotations

import json

import click

from synergy_cli.app import App, examples, output_options, read_json_file, with_app, working, write_text

GROUPINGS = ["activity", "organizer", "path", "activity_type", "level", "term", "joint"]
REPORT_FORMATS = ["html", "csv", "json"]


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


@click.group()
def terms() -> None:
    """Terms (2026-autumn, 2027-spring): scores, the synergy analysis, the plan and the term report."""


def score_rows(groups: dict) -> list[dict]:
    """One row per group, stage and scored item (a stage without answers: one row without an item)."""
    rows = []
    for group, found in groups.items():
        for stage, scored in found.items():
            if not isinstance(scored, dict):
                continue
            shared = {"group": group, "activities": found.get("activities"), "stage": stage,
                      "responses": scored.get("responses"), "response_rate": scored.get("response_rate")}
            items = scored.get("items") or {"": {"status": scored.get("status")}}
            for item, score in items.items():
                rows.append(dict(shared, item=item, n=score.get("n"), share=score.get("share"),
                                 ci_low=score.get("ci_low"), ci_high=score.get("ci_high"), mean=score.get("mean"),
                                 status=score.get("status")))
    return rows


def rounded(rows: list[dict], *names: str) -> list[dict]:
    """Shares and means to three places, for people (CSV and JSON keep the API's numbers)."""
    return [{k: (round(v, 3) if k in names and isinstance(v, float) else v) for k, v in row.items()} for row in rows]


@terms.command("scores")
@click.argument("term_id", required=False)
@click.option("--by", type=click.Choice(GROUPINGS), default="term", show_default=True, help="How to group.")
@click.option("--group", "only", metavar="KEY", help="Only this group (an activity id with --by activity, a "
                                                     "partner id with --by organizer, ...).")
@output_options
@examples("synergy terms scores 2026-autumn", "synergy terms scores 2026-autumn --by activity --group act_01...",
          "synergy terms scores --by joint --csv")
@with_app
def scores(app: App, term_id: str | None, by: str, only: str | None) -> int:
    """Outcome scores of a term (the current one if not named): per group, stage and item, the share agreeing
    with its 95% interval, or too few to score. GET /v1/scores."""
    found = app.client.scores(by=by, term_id=term_id)
    groups = found.get("groups", {})
    if only is not None:
        if only not in groups:
            app.out.note(f"no scores for {by} {only} in {found.get('term_id')} (no activity of it in that term)")
            return 1
        groups = {only: groups[only]}
    if app.fmt == "json":
        app.out.record(dict(found, groups=groups))
        return 0
    rows = score_rows(groups)
    app.out.rows(rows if app.fmt == "csv" else rounded(rows, "response_rate", "share", "ci_low", "ci_high", "mean"),
                 ["group", "activities", "stage", "responses", "response_rate", "item", "n", "share", "ci_low",
                  "ci_high", "mean", "status"])
    app.out.note(f"term {found.get('term_id')}, by {found.get('by')}; fewer than {found.get('minimum_responses')} "
                 "answers are not scored")
    return 0


def comparison_rows(found: dict) -> list[dict]:
    rows = []
    for compared in [found.get("joint_vs_single", {}), *found.get("levels", [])]:
        for item, entry in compared.get("items", {}).items():
            rows.append({"compared": f"{compared.get('a')} vs {compared.get('b')}", "item": item, **{
                k: entry.get(k) for k in ("n_a", "n_b", "share_a", "share_b", "difference", "difference_ci",
                                          "p_value", "real", "status")}})
    return rows


@terms.command("synergy")
@click.argument("term_id")
@output_options
@examples("synergy terms synergy 2026-autumn", "synergy terms synergy 2026-autumn --json")
@with_app
def synergy_analysis(app: App, term_id: str) -> None:
    """Do joint activities do better? Co-organized against single-organizer activities, and each pair of
    levels, outcome by outcome (a difference is real when its interval excludes zero).
    GET /v1/terms/{term}/synergy."""
    found = app.client.synergy(term_id)
    if app.fmt == "json":
        app.out.record(found)
        return
    rows = comparison_rows(found)
    if app.fmt == "table":
        rows = [dict(r, difference_ci=[round(x, 3) for x in r["difference_ci"] or []] or None) for r in rows]
        rows = rounded(rows, "share_a", "share_b", "difference", "p_value")
    app.out.rows(rows, ["compared", "item", "n_a", "n_b", "share_a", "share_b", "difference", "difference_ci",
                        "p_value", "real", "status"])
    groups = ", ".join(f"{name} {g.get('activities')}/{g.get('responses')}"
                       for name, g in found.get("groups", {}).items())
    app.out.note(f"term {found.get('term_id')}; activities/responses: {groups}")


@terms.group("plan")
def plan() -> None:
    """The coordination group's plan of a term: targets per path, type, aim, level and outcome."""


PLAN_COLUMNS = ["dimension", "key", "measure", "target", "completed", "scheduled", "n", "share", "status"]


@plan.command("show")
@click.argument("term_id")
@output_options
@examples("synergy terms plan show 2026-autumn", "synergy terms plan show 2026-autumn --csv")
@with_app
def show_plan(app: App, term_id: str) -> None:
    """The plan of a term and the progress towards each target. GET /v1/terms/{term}/plan."""
    found = app.client.term_plan(term_id)
    if app.fmt == "json":
        app.out.record(found)
        return
    progress = found.get("progress", {})
    rows = progress.get("targets", [])
    app.out.rows(rows if app.fmt == "csv" else rounded(rows, "share"), PLAN_COLUMNS)
    app.out.note(f"term {progress.get('term_id')} ({progress.get('starts_on')} to {progress.get('ends_on')}), "
                 f"{round(100 * (progress.get('elapsed') or 0))}% elapsed, {len(progress.get('behind', []))} "
                 "target(s) behind")


@plan.command("set")
@click.argument("term_id")
@click.option("--file", required=True, metavar="FILE",
              help="The plan as JSON: {title, starts_on, ends_on, targets: [...]} ('-': standard input).")
@output_options
@examples("synergy terms plan set 2026-autumn --file plan.json",
          "echo '{\"targets\": [{\"dimension\": \"all\", \"target\": 20}]}' | synergy terms plan set 2026-autumn "
          "--file -")
@with_app
def set_plan(app: App, term_id: str, file: str) -> None:
    """Set (replace) the plan of a term. PUT /v1/terms/{term}/plan.

    \b
    A target: {"dimension": "all|path|activity_type|aim|level", "key": ..., "target": N}, or
    {"dimension": "outcome", "key": "knowledge", "measure": "share_agreeing", "target": 0.8}
    (docs/evaluation.md).
    """
    body = read_json_file(file)
    if not isinstance(body, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="--file")
    saved = app.client.set_term_plan(term_id, body)
    if app.fmt == "json":
        app.out.record(saved)
        return
    app.out.rows(saved.get("targets", []), ["dimension", "key", "measure", "target"])
    app.out.note(f"plan of {saved.get('term_id', term_id)} set ({saved.get('starts_on')} to {saved.get('ends_on')})")


@terms.command("report")
@click.argument("term_id")
@click.option("--format", "fmt", type=click.Choice(REPORT_FORMATS), default="html", show_default=True,
              help="HTML (a page with charts), CSV (one row per group, stage and item) or JSON (everything).")
@click.option("--output", "-o", required=True, type=click.Path(dir_okay=False, writable=True, allow_dash=True),
              help="The file to write ('-': standard output).")
@click.option("--unit", metavar="PARTNER_ID", help="One unit's report: only the activities it organized.")
@click.option("--term-end", is_flag=True, help="The report kept when the term ended, not one made now.")
@examples("synergy terms report 2026-autumn --format html --output report-2026-autumn.html",
          "synergy terms report 2026-autumn --format csv -o - --unit prt_01...",
          "synergy terms report 2026-spring --term-end --format json -o term-end.json")
@with_app
def report(app: App, term_id: str, fmt: str, output: str, unit: str | None, term_end: bool) -> None:
    """Generate the term report to a file (HTML charts take a few seconds; a bar shows the wait on a terminal).
    GET /v1/terms/{term}/report, /v1/terms/{term}/report/term-end."""
    with working(f"generating the {fmt.upper()} report"):
        body = app.client.term_report(term_id, fmt, unit=unit, term_end=term_end)
    text = json.dumps(body, ensure_ascii=False, indent=2) + "\n" if fmt == "json" else str(body or "")
    write_text(output, text)
    app.out.note(("term-end report" if term_end else "report") + f" of {term_id}"
                 + (f" for {unit}" if unit else "") + f" ({fmt}, {len(text.encode())} bytes)"
                 + ("" if output == "-" else f" written to {output}"))


def register(cli: click.Group) -> None:
    cli.add_command(surveys)
    cli.add_command(terms)
