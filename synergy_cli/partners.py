"""Partners: register, list and search, show, import and export CSV. Each command is one route of the API."""
from __future__ import annotations

import csv
import hashlib
import json
import sys

import click

from synergy_cli.app import App, body_from, examples, output_options, progress, with_app
from synergy_client import ApiError

LIST_COLUMNS = ["id", "name", "level", "kind", "status"]
SHOW_COLUMNS = ["id", "name", "level", "kind", "status", "themes", "description", "registered_at", "collaborations"]
# The CSV of import and export: export writes what import reads (plus id and status, which import ignores).
CSV_FIELDS = ["name_zh", "name_en", "level", "kind", "themes", "description"]
EXPORT_FIELDS = ["id", "status", *CSV_FIELDS]
PAGE_SIZE = 200  # the most the API gives in one page


@click.group()
def partners() -> None:
    """The partner registry: library units, campus units and outside institutions."""


@partners.command("register")
@click.option("--name-zh", help="Name in Chinese (required unless in --file).")
@click.option("--name-en", help="Name in English.")
@click.option("--level", type=click.Choice(["library", "campus", "outside"]))
@click.option("--kind", help="faculty, youth_league, museum, archive, ... (the API lists the valid ones).")
@click.option("--theme", "themes", multiple=True, help="A theme; repeat for several.")
@click.option("--description")
@click.option("--file", metavar="FILE", help="A JSON body to start from ('-': standard input).")
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
@click.option("--level", type=click.Choice(["library", "campus", "outside"]))
@click.option("--kind")
@click.option("--status", help="applied, under_review, approved, active, suspended, ...")
@click.option("--search", metavar="TEXT", help="Only partners whose name (zh or en) contains TEXT.")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many (default: all, page by page).")
@output_options
@examples("synergy partners list", "synergy partners list --level outside --status applied",
          "synergy partners list --search 历史", "synergy partners list --csv > partners.csv")
@with_app
def list_partners(app: App, level, kind, status, search, limit) -> None:
    """List partners, following the pages. GET /v1/partners."""
    found = app.client.partners(level=level, kind=kind, status=status, limit=None if search else limit,
                                page_size=PAGE_SIZE)
    if search:
        needle = search.casefold()
        found = (p for p in found if any(needle in str(v).casefold() for v in p.name.values()))
    rows = []
    for partner in found:
        rows.append(partner.raw)
        if limit and len(rows) >= limit:
            break
    app.out.rows(rows, LIST_COLUMNS)


@partners.command("show")
@click.argument("partner_id")
@output_options
@examples("synergy partners show prt_01...", "synergy partners show prt_01... --json")
@with_app
def show_partner(app: App, partner_id: str) -> None:
    """One partner, with the activities it collaborated on. GET /v1/partners/{id}."""
    partner = app.client.partner(partner_id)
    app.out.record(partner.raw, SHOW_COLUMNS)
    if app.fmt == "table" and partner.collaborations:
        click.echo()
        app.out.rows(partner.collaborations, ["activity_id", "role", "title", "starts_at"])


@partners.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True, allow_dash=True))
@click.option("--level", type=click.Choice(["library", "campus", "outside"]))
@click.option("--kind")
@click.option("--status")
@examples("synergy partners export partners.csv", "synergy partners export - --level outside | less")
@with_app
def export_partners(app: App, path: str, level, kind, status) -> None:
    """Write partners to a CSV file that `partners import` reads back. GET /v1/partners, every page."""
    stream = sys.stdout if path == "-" else open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
    count = 0
    try:
        writer = csv.DictWriter(stream, EXPORT_FIELDS, lineterminator="\n")
        writer.writeheader()
        listing = app.client.partners(level=level, kind=kind, status=status, page_size=PAGE_SIZE)
        with progress(listing, "exporting") as bar:
            for partner in bar:
                writer.writerow({"id": partner.id, "status": partner.status, "name_zh": partner.name.get("zh", ""),
                                 "name_en": partner.name.get("en", ""), "level": partner.level,
                                 "kind": partner.kind, "themes": ";".join(partner.themes),
                                 "description": partner.description})
                count += 1
    finally:
        if stream is not sys.stdout:
            stream.close()
    app.out.note(f"exported {count} partner(s)" + ("" if path == "-" else f" to {path}"))


def row_body(row: dict[str, str]) -> dict:
    body: dict = {"name": {"zh": (row.get("name_zh") or "").strip()}, "level": (row.get("level") or "").strip(),
                  "kind": (row.get("kind") or "").strip()}
    if (row.get("name_en") or "").strip():
        body["name"]["en"] = row["name_en"].strip()
    if (row.get("themes") or "").strip():
        body["themes"] = [t.strip() for t in row["themes"].split(";") if t.strip()]
    if (row.get("description") or "").strip():
        body["description"] = row["description"].strip()
    return body


def import_key(body: dict) -> str:
    """The same row imported again (a re-run after a partial failure) gets the first answer, not a duplicate,
    for as long as the API remembers idempotency keys."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return f"partners-import-{digest[:40]}"


@partners.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--report", metavar="FILE", type=click.Path(dir_okay=False, writable=True),
              help="Also write the per-row report to this CSV file.")
@output_options
@examples("synergy partners import partners.csv",
          "synergy partners import partners.csv --report errors.csv --json")
@with_app
def import_partners(app: App, path: str, report: str | None) -> int:
    """Register every row of a CSV file; report each row (registered, or refused and why). POST /v1/partners.

    Columns: name_zh, name_en, level, kind, themes (separated by ;), description. Other columns (id, status
    as written by `partners export`) are ignored. Each row is sent with an Idempotency-Key made from its
    content, so importing a file again after a partial failure does not register its rows twice (for as long
    as the API remembers the keys). Exits 1 when any row was refused.
    """
    stream = sys.stdin if path == "-" else open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115
    try:
        reader = csv.DictReader(stream)
        missing = [f for f in ("name_zh", "level", "kind") if f not in (reader.fieldnames or [])]
        if missing:
            raise click.BadParameter(f"the header lacks {', '.join(missing)}", param_hint="PATH")
        rows = list(reader)
    finally:
        if stream is not sys.stdin:
            stream.close()
    results = []
    with progress(list(enumerate(rows, start=2)), "importing") as bar:
        for line, row in bar:
            try:
                body = row_body(row)
                made = app.client.register_partner(body, idempotency_key=import_key(body))
                results.append({"line": line, "result": "registered", "id": made.id, "problem": ""})
            except ApiError as exc:
                details = "; ".join(f"{f}: {' '.join(m) if isinstance(m, list) else m}"
                                    for f, m in exc.errors.items())
                results.append({"line": line, "result": "refused", "id": "",
                                "problem": f"{exc.status} {details or exc.detail or exc.title}"})
    columns = ["line", "result", "id", "problem"]
    app.out.rows(results, columns)
    if report:
        with open(report, "w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, columns, lineterminator="\n")
            writer.writeheader()
            writer.writerows(results)
    refused = sum(1 for r in results if r["result"] == "refused")
    app.out.note(f"{len(results) - refused} registered, {refused} refused, from {len(results)} row(s)")
    return 1 if refused else 0


def register(cli: click.Group) -> None:
    cli.add_command(partners)
