"""The ``synergy`` command: entry point, global options, and the exit codes scripts rely on.

Exit codes: 0 done; 1 refused by the API (the problem is shown) or by the broker; 2 wrong usage; 3 the cluster
(API or broker) cannot be reached.
"""
from __future__ import annotations

import json
import sys

import click

from synergy_cli import (
    activities,
    agreements,
    bus_access,
    deadletters,
    evaluation,
    keys,
    notify,
    operator,
    partners,
    venues,
)
from synergy_cli.app import App, examples, output_options
from synergy_client import ApiError, ConnectionFailed

OK, REFUSED, USAGE, UNREACHABLE = 0, 1, 2, 3


class Unreachable(click.ClickException):
    exit_code = UNREACHABLE


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option("--api-url", metavar="URL", help="The API (default: $SYNERGY_API_URL, the profile, "
                                                "http://127.0.0.1:8000).")
@click.option("--profile", metavar="PATH", help="Profile file (default ~/.config/synergy/profile.toml).")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds to wait for each answer (default 15).")
@output_options
@click.version_option("0.1.0", prog_name="synergy")
@click.pass_context
@examples("export SYNERGY_API_URL=http://127.0.0.1:8000 SYNERGY_API_KEY=$(cat var/admin.key)",
          "synergy health",
          "synergy partners list --kind faculty",
          "synergy --json activities show act_01...",
          "synergy partners export partners.csv")
def cli(ctx: click.Context, api_url: str | None, profile: str | None, timeout: float | None) -> None:
    """Synergy for the coordinating office: partners, joint activities, evaluation, notifications and the bus.

    Configured by SYNERGY_API_URL and SYNERGY_API_KEY, or a profile file (api_url, api_key or api_key_file,
    amqp_uri). Output is a table; --json or --csv (before or after the command) for scripts. Exit codes: 0 ok,
    1 refused by the API (the problem is shown), 2 usage, 3 cannot reach the cluster.
    """
    ctx.obj = App(api_url, profile, timeout, ctx.meta.get("synergy.format"))


for module in (operator, partners, agreements, activities, venues, evaluation, notify, deadletters, bus_access, keys):
    module.register(cli)


def show_problem(exc: ApiError, fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps(exc.problem, ensure_ascii=False, indent=2), err=True)
        return
    click.secho(f"refused: {exc.status} {exc.title}", fg="red", err=True)
    if exc.detail:
        click.echo(f"  {exc.detail}", err=True)
    for field, messages in exc.errors.items():
        for message in messages if isinstance(messages, list) else [messages]:
            click.echo(f"  {field}: {message}", err=True)
    if exc.status == 401:
        click.echo("  (set SYNERGY_API_KEY, or api_key / api_key_file in the profile)", err=True)
    if exc.correlation_id:
        click.echo(f"  correlation id: {exc.correlation_id}", err=True)


def main(argv: list[str] | None = None) -> int:
    fmt = "json" if "--json" in (argv if argv is not None else sys.argv[1:]) else "table"
    try:
        code = cli.main(args=argv, prog_name="synergy", standalone_mode=False)
    except click.UsageError as exc:
        exc.show()
        return USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("aborted", err=True)
        return REFUSED
    except ApiError as exc:
        show_problem(exc, fmt)
        return REFUSED
    except ConnectionFailed as exc:
        click.secho(f"cannot reach the cluster: {exc}", fg="red", err=True)
        return UNREACHABLE
    except KeyboardInterrupt:
        return 130
    return code if isinstance(code, int) else OK


if __name__ == "__main__":
    sys.exit(main())
