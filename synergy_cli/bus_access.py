"""Campus systems' broker users bound to partners: grant, list, revoke (on the broker, through
``deploy.bus_access`` and the RabbitMQ management API of AMQP_URI or the profile's amqp_uri)."""
from __future__ import annotations

import click

from synergy_cli.app import App, examples, output_options, with_app


class BrokerRefused(click.ClickException):
    exit_code = 1


class BrokerUnreachable(click.ClickException):
    exit_code = 3


def _on_broker(call):
    from deploy.bus_access import AccessRefused
    from services.common.bus_users import ManagementError
    try:
        return call()
    except AccessRefused as exc:
        raise BrokerRefused(str(exc)) from None
    except ManagementError as exc:
        raise (BrokerRefused if exc.status else BrokerUnreachable)(f"the broker's management API: {exc}") from None


@click.group("bus-access")
def bus_access() -> None:
    """Broker users of campus systems that publish on the bus ingress, each bound to one partner."""


@bus_access.command("grant")
@click.option("--user", required=True, help="The broker user to make (a-z, 0-9, '.', '_', '-').")
@click.option("--partner", "partner_id", required=True, metavar="PARTNER_ID", help="The partner it acts for.")
@output_options
@examples("synergy bus-access grant --user museum-ticketing --partner prt_01...")
@with_app
def grant(app: App, user: str, partner_id: str) -> None:
    """Make the user (its password is shown once, here only), its rights (write the ingress exchange, read its own
    reply queue synergy.replies.USER) and that queue. The partner must exist (asked of the API first)."""
    from deploy import bus_access as access
    app.client.partner(partner_id)
    made = _on_broker(lambda: access.grant(app.settings.amqp_uri, user, partner_id))
    app.out.record({"user": made.user, "partner_id": made.partner_id, "vhost": made.vhost,
                    "reply_queue": made.reply_queue, "password": made.password},
                   ["user", "partner_id", "vhost", "reply_queue", "password"], reveal=frozenset({"password"}))
    app.out.note("The password is shown only now: give it to the system's operators over a safe channel.")


@bus_access.command("list")
@output_options
@examples("synergy bus-access list", "synergy bus-access list --json")
@with_app
def list_access(app: App) -> None:
    """Every broker user bound to a partner, and whether it has rights on this vhost."""
    from deploy import bus_access as access
    rows = _on_broker(lambda: access.bindings(app.settings.amqp_uri))
    app.out.rows(rows, ["user", "partner_id", "reply_queue", "on_this_vhost"])


@bus_access.command("revoke")
@click.option("--user", required=True)
@output_options
@examples("synergy bus-access revoke --user museum-ticketing")
@with_app
def revoke(app: App, user: str) -> int:
    """Delete a bound user (the broker closes its connections) and its reply queue. Exits 1 if there is none."""
    from deploy import bus_access as access
    done = _on_broker(lambda: access.revoke(app.settings.amqp_uri, user))
    app.out.rows([{"user": user, "result": "revoked" if done else "not found"}], ["user", "result"])
    return 0 if done else 1


def register(cli: click.Group) -> None:
    cli.add_command(bus_access)
