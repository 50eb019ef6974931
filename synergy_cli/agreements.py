"""Agreements (MoU) with partners: list, expiring, show, sign, link an activity, run the notices."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import click

from synergy_cli.app import App, body_from, examples, output_options, with_app

COLUMNS = ["id", "partner_id", "counterpart", "scope", "starts_on", "ends_on", "status"]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@click.group()
def agreements() -> None:
    """Signed agreements between the library (or a unit) and partners, and the notices before they end."""


@agreements.command("list")
@click.option("--status", type=click.Choice(["in_force", "expired"]))
@click.option("--ending-before", metavar="YYYY-MM-DD", help="Only agreements ending before this day.")
@click.option("--limit", type=click.IntRange(min=1))
@output_options
@examples("synergy agreements list --status in_force", "synergy agreements list --csv > agreements.csv")
@with_app
def list_agreements(app: App, status, ending_before, limit) -> None:
    """Agreements, every page. GET /v1/agreements."""
    found = app.client.agreements(status=status, ends_before=ending_before, limit=limit, page_size=200)
    app.out.rows([agreement.raw for agreement in found], COLUMNS)


@agreements.command("expiring")
@click.option("--within", "days", type=click.IntRange(min=1), default=60, show_default=True,
              help="Days from today (in Asia/Shanghai).")
@output_options
@examples("synergy agreements expiring", "synergy agreements expiring --within 30 --json")
@with_app
def expiring(app: App, days: int) -> None:
    """Agreements in force that end within the next days. GET /v1/agreements?status=in_force&ends_before=."""
    today = datetime.now(SHANGHAI).date()
    before = (today + timedelta(days=days + 1)).isoformat()
    rows = []
    for agreement in app.client.agreements(status="in_force", ends_before=before, page_size=200):
        ends = datetime.fromisoformat(agreement.ends_on).date() if agreement.ends_on else today
        rows.append(dict(agreement.raw, days_left=(ends - today).days))
    app.out.rows(sorted(rows, key=lambda row: row["days_left"]), [*COLUMNS, "days_left"])


@agreements.command("show")
@click.argument("agreement_id")
@output_options
@examples("synergy agreements show agr_01...")
@with_app
def show(app: App, agreement_id: str) -> None:
    """One agreement. GET /v1/agreements/{id}."""
    app.out.record(app.client.agreement(agreement_id).raw,
                   [*COLUMNS, "commitments", "signed_by", "activity_ids", "notices"])


@agreements.command("of")
@click.argument("partner_id")
@output_options
@examples("synergy agreements of prt_01...")
@with_app
def of_partner(app: App, partner_id: str) -> None:
    """A partner's agreements. GET /v1/partners/{id}/agreements."""
    app.out.rows([agreement.raw for agreement in app.client.partner_agreements(partner_id)], COLUMNS)


@agreements.command("sign")
@click.option("--file", metavar="FILE", required=True,
              help="The agreement (JSON: partner_id, scope, starts_on, ends_on, commitments, signed_by).")
@output_options
@examples("synergy agreements sign --file mou-museum-2027.json")
@with_app
def sign(app: App, file: str) -> None:
    """Record a signed agreement. POST /v1/agreements."""
    app.out.record(app.client.sign_agreement(body_from(file)).raw, COLUMNS)


@agreements.command("link")
@click.argument("agreement_id")
@click.argument("activity_id")
@output_options
@examples("synergy agreements link agr_01... act_01...")
@with_app
def link(app: App, agreement_id: str, activity_id: str) -> None:
    """Record that an activity was run under an agreement. POST /v1/agreements/{id}/activities."""
    app.out.record(app.client.link_agreement_activity(agreement_id, activity_id).raw, [*COLUMNS, "activity_ids"])


@agreements.command("check")
@click.option("--on", metavar="YYYY-MM-DD", help="Give the notices due on this day (not after today).")
@output_options
@examples("synergy agreements check", "synergy agreements check --on 2026-12-01")
@with_app
def check(app: App, on: str | None) -> None:
    """Give the expiry and renewal notices due now, as the scheduled job does. POST /v1/agreements/check."""
    app.out.record(app.client.check_agreements(on))


def register(cli: click.Group) -> None:
    cli.add_command(agreements)
