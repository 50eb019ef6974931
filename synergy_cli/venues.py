"""Venues: the library's spaces and spaces partners offer, which activities book."""
from __future__ import annotations

import click

from synergy_cli.app import App, body_from, examples, output_options, with_app

COLUMNS = ["id", "name", "kind", "partner_id", "capacity", "address"]


@click.group()
def venues() -> None:
    """Venues: library spaces and partners' spaces, and their bookings."""


@venues.command("list")
@output_options
@examples("synergy venues list", "synergy venues list --csv")
@with_app
def list_venues(app: App) -> None:
    """Every venue. GET /v1/venues."""
    app.out.rows([venue.raw for venue in app.client.venues()], COLUMNS)


@venues.command("show")
@click.argument("venue_id")
@output_options
@examples("synergy venues show ven_01...", "synergy venues show ven_01... --json")
@with_app
def show_venue(app: App, venue_id: str) -> None:
    """One venue and its bookings. GET /v1/venues/{id}."""
    venue = app.client.venue(venue_id)
    if app.fmt == "json":
        app.out.record(venue.raw)
        return
    app.out.record(venue.raw, COLUMNS)
    if app.fmt == "table":
        for booking in venue.bookings:
            app.out.note(f"  booked: {booking.get('activity_id')} {booking.get('starts_at')} to "
                         f"{booking.get('ends_at')}")


@venues.command("create")
@click.option("--name", help="e.g. 'Library lecture hall' (required unless in --file).")
@click.option("--kind", type=click.Choice(["library_space", "partner_space"]))
@click.option("--partner", "partner_id", metavar="PARTNER_ID", help="The partner offering a partner space.")
@click.option("--capacity", type=click.IntRange(min=1))
@click.option("--address")
@click.option("--file", metavar="FILE", help="A JSON body to start from ('-': standard input).")
@output_options
@examples("synergy venues create --name 'Library lecture hall' --kind library_space --capacity 120",
          "synergy venues create --name 'City museum hall' --kind partner_space --partner prt_01... --json")
@with_app
def create_venue(app: App, file, name, kind, partner_id, capacity, address) -> None:
    """Register a venue that activities can book (no two bookings overlap). POST /v1/venues."""
    body = body_from(file, name=name, kind=kind, partner_id=partner_id, capacity=capacity, address=address)
    app.out.record(app.client.register_venue(body).raw, COLUMNS)


def register(cli: click.Group) -> None:
    cli.add_command(venues)
