"""Partners: register, list and search, show, update, history, recommend, import and export CSV.
Each command is one route of the API."""
from __future__ import annotations

import csv
import hashlib
import io
import sys

import click

from synergy_cli.app import App, body_from, examples, output_options, with_app, working, write_text
from synergy_client import ApiError

LEVELS = ["library", "campus", "outside"]
STATUSES = ["applied", "under_review", "active", "approved", "approved_with_conditions", "rejected", "suspended",
            "retired"]
RESOURCE_KINDS = ["space", "expert", "collection", "database", "funding", "student_reach", "technical_skill"]
PATHS = ["resources", "space", "service", "activity", "practice"]
LIST_COLUMNS = ["id", "name", "level", "kind", "status"]
SHOW_COLUMNS = ["id", "name", "level", "kind", "status", "themes", "description", "contacts", "resources",
                "registered_at", "approval.expires_at", "history.activities", "history.performance_index"]
PAGE_SIZE = 200  # the most the API gives in one page


@click.group()
def partners() -> None:
    """The partner registry: library units, campus units and outside institutions, and their review."""


def profile_options(command):
    for option in reversed([
        click.option("--name-zh", help="Name in Chinese."),
        click.option("--name-en", help="Name in English."),
        click.option("--theme", "themes", multiple=True, help="A theme; repeat for several."),
        click.option("--description"),
        click.option("--file", metavar="FILE", help="A JSON body to start from ('-': standard input); "
                                                    "contacts and resources go there."),
    ]):
        command = option(command)
    return command


@partners.command("register")
@profile_options
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--kind", help="faculty, youth_league, museum, archive, ... (docs/partners.md lists them).")
@output_options
@examples('synergy partners register --name-zh 历史学院 --name-en "School of History" --level campus --kind faculty',
          "synergy partners register --file museum.json --json")
@with_app
def register_partner(app: App, file, name_zh, name_en, level, kind, themes, description) -> None:
    """Register a partner. POST /v1/partners."""
    body = body_from(file, **{"name.zh": name_zh, "name.en": name_en, "level": level, "kind": kind,
                              "themes": themes, "description": description})
    app.out.record(app.client.register_partner(body).raw, LIST_COLUMNS)


@partners.command("list")
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--kind")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--theme")
@click.option("--resource", type=click.Choice(RESOURCE_KINDS), help="Only partners offering this resource.")
@click.option("--search", metavar="TEXT", help="Only partners whose name (zh or en) contains TEXT.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (default: all, page by page).")
@output_options
@examples("synergy partners list", "synergy partners list --level outside --status applied",
          "synergy partners list --search 历史", "synergy partners list --resource space --csv > spaces.csv")
@with_app
def list_partners(app: App, level, kind, status, theme, resource, search, limit) -> None:
    """List and search partners, following the pages. GET /v1/partners."""
    found = app.client.partners(level=level, kind=kind, status=status, theme=theme, resource=resource, q=search,
                                limit=limit, page_size=PAGE_SIZE)
    app.out.rows([partner.raw for partner in found], LIST_COLUMNS)


@partners.command("show")
@click.argument("partner_id")
@output_options
@examples("synergy partners show prt_01...", "synergy partners show prt_01... --json")
@with_app
def show_partner(app: App, partner_id: str) -> None:
    """One partner: profile, approval, collaboration summary and activities. GET /v1/partners/{id}."""
    partner = app.client.partner(partner_id)
    app.out.record(partner.raw, SHOW_COLUMNS)
    if app.fmt == "table" and partner.collaborations:
        click.echo()
        app.out.rows(partner.collaborations, ["activity_id", "role", "title", "starts_at"])


@partners.command("update")
@click.argument("partner_id")
@profile_options
@output_options
@examples("synergy partners update prt_01... --description 'Local history, oral history'",
          "synergy partners update prt_01... --file contacts.json")
@with_app
def update_partner(app: App, partner_id: str, file, name_zh, name_en, themes, description) -> None:
    """Change a partner's profile: names, themes, description (contacts and resources with --file).
    PATCH /v1/partners/{id}, with If-Match when the API gives ETags."""
    changes = body_from(file, **{"name.zh": name_zh, "name.en": name_en, "themes": themes,
                                 "description": description})
    if not changes:
        raise click.UsageError("nothing to change: give an option or --file")
    app.out.record(app.client.update_partner(partner_id, changes).raw, SHOW_COLUMNS)


@partners.command("history")
@click.argument("partner_id")
@output_options
@examples("synergy partners history prt_01...", "synergy partners history prt_01... --json")
@with_app
def partner_history(app: App, partner_id: str) -> None:
    """What a partner did with us: a summary and one record per activity. GET /v1/partners/{id}/history."""
    history = app.client.partner_history(partner_id)
    if app.fmt == "json":
        app.out.record(history)
        return
    app.out.rows(history["collaborations"], ["activity_id", "role", "title", "starts_at", "completed_at"])
    if app.fmt == "table":
        click.echo()
        app.out.record(history["summary"])


@partners.command("recommend")
@click.option("--theme", "themes", multiple=True, help="A theme the activity has; repeat.")
@click.option("--path", "paths", multiple=True, type=click.Choice(PATHS), help="A cooperation path; repeat.")
@click.option("--resource", "resources", multiple=True, type=click.Choice(RESOURCE_KINDS),
              help="A resource needed; repeat.")
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--limit", type=click.IntRange(1, 50))
@output_options
@examples("synergy partners recommend --theme history --resource space --path activity")
@with_app
def recommend(app: App, themes, paths, resources, level, limit) -> None:
    """Partners that may organize, ranked with their reasons. POST /v1/partners/recommendations."""
    request = body_from(None, themes=themes, paths=paths, resources=resources, level=level, limit=limit)
    found = app.client.recommend_partners(request)
    rows = [dict(item, why="; ".join(f"{r['code']} {r['points']:+g}" for r in item.get("reasons", [])))
            for item in found["items"]]
    app.out.rows(rows, ["partner_id", "name", "status", "score", "why"])


@partners.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--level", type=click.Choice(LEVELS))
@click.option("--kind")
@click.option("--status", type=click.Choice(STATUSES))
@examples("synergy partners export partners.csv", "synergy partners export - --level outside | less")
@with_app
def export_partners(app: App, path: str, level, kind, status) -> None:
    """Write partners to a CSV file that `partners import` reads back. GET /v1/partners.csv."""
    with working("exporting"):
        text = app.client.export_partners_csv(level=level, kind=kind, status=status)
    count = max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
    write_text(path, text)
    app.out.note(f"exported {count} partner(s)" + ("" if path == "-" else f" to {path}"))


def row_report(result: dict) -> list[dict]:
    """One line per CSV row: registered (with its id) or refused (with what is wrong, column by column)."""
    rows = [{"line": int(item["row"]), "result": "registered", "id": item["id"], "problem": ""}
            for item in result.get("imported", [])]
    for line, columns in (result.get("errors") or {}).items():
        if not str(line).isdigit():
            continue
        problem = "; ".join(f"{column}: {' '.join(m) if isinstance(m, list) else m}"
                            for column, m in (columns.items() if isinstance(columns, dict) else [("row", columns)]))
        rows.append({"line": int(line), "result": "refused", "id": "", "problem": problem})
    return sorted(rows, key=lambda row: row["line"])


@partners.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--partial", is_flag=True, help="Register the good rows even if others are refused (default: all "
                                              "rows or none).")
@click.option("--report", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
              help="Also write the per-row report to this CSV file.")
@output_options
@examples("synergy partners import partners.csv",
          "synergy partners import partners.csv --partial --report rows.csv --json")
@with_app
def import_partners(app: App, path: str, partial: bool, report: str | None) -> int:
    """Register every row of a CSV file, and report each row (registered, or refused and why).
    POST /v1/partners/import.

    Columns: name_zh, name_en, level, kind, themes, description, resources, contacts (docs/partners.md); the
    id, status and registered_at of an export are ignored. All rows or none unless --partial. The file is sent
    with an Idempotency-Key made from its content, so sending it again after a lost answer registers nothing
    twice. Exits 1 when any row was refused.
    """
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8-sig").read()  # noqa: SIM115
    key = "partners-import-" + hashlib.sha256(f"{partial}\n{text}".encode()).hexdigest()[:40]
    app.out.note("importing ...")
    try:
        with working("importing"):
            result = app.client.import_partners_csv(text, partial=partial, idempotency_key=key)
    except ApiError as exc:
        lines = {k: v for k, v in exc.errors.items() if str(k).isdigit()}
        if exc.status != 422 or not lines:
            raise
        result = {"errors": lines, "imported": []}
        app.out.note(f"refused: {exc.detail}")
    rows = row_report(result)
    app.out.rows(rows, ["line", "result", "id", "problem"])
    if report:
        with open(report, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, ["line", "result", "id", "problem"], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    refused = sum(1 for r in rows if r["result"] == "refused")
    app.out.note(f"{len(rows) - refused} registered, {refused} refused" +
                 (f" (import {result['import_id']})" if result.get("import_id") else ""))
    return 1 if refused else 0


@partners.command("import-status")
@click.argument("import_id")
@output_options
@examples("synergy partners import-status imp_01...")
@with_app
def import_status(app: App, import_id: str) -> None:
    """An import and each of its rows. GET /v1/partners/imports/{id}."""
    result = app.client.partner_import(import_id)
    if app.fmt == "json":
        app.out.record(result)
        return
    app.out.rows(row_report(result), ["line", "result", "id", "problem"])
    app.out.note(f"import {result['import_id']}: {result['status']} ({result['mode']}, {result['rows']} row(s))")


def register(cli: click.Group) -> None:
    from synergy_cli import review
    review.register(partners)
    cli.add_command(partners)
