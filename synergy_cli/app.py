"""What every command shares: the settings, the output, the client, and how options are declared."""
from __future__ import annotations

import contextlib
import functools
import inspect
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from synergy_cli.output import Output
from synergy_cli.settings import Settings, resolve
from synergy_client import RetryPolicy, SynergyClient

# The command retries less and sooner than the library: a person is waiting.
CLI_RETRY = RetryPolicy(attempts=3, base=0.3, cap=10.0)


class App:
    def __init__(self, api_url: str | None, profile: str | None, timeout: float | None, fmt: str | None):
        self._options = (api_url, profile, timeout)
        self._settings: Settings | None = None
        self._client: SynergyClient | None = None
        self.fmt = fmt or "table"

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = resolve(*self._options)
        return self._settings

    @property
    def client(self) -> SynergyClient:
        if self._client is None:
            s = self.settings
            self._client = SynergyClient(s.api_url, s.api_key, timeout=s.timeout, retry=CLI_RETRY)
        return self._client

    @property
    def out(self) -> Output:
        return Output(self.fmt)


pass_app = click.make_pass_decorator(App)


def _set_format(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        if ctx.meta.get("synergy.format", param.name) != param.name:
            raise click.UsageError("--json and --csv exclude each other")
        ctx.meta["synergy.format"] = param.name  # meta is shared by the whole command line


def output_options(command: Callable) -> Callable:
    """``--json`` and ``--csv`` on a command (they may also be given before the command name)."""
    command = click.option("--csv", "csv", is_flag=True, expose_value=False, callback=_set_format,
                           help="Comma-separated values with a header row, for scripts.")(command)
    return click.option("--json", "json", is_flag=True, expose_value=False, callback=_set_format,
                        help="JSON, for scripts.")(command)


def examples(*lines: str) -> Callable:
    """Append an Examples section to a command's help text."""
    def add(command: Callable) -> Callable:
        text = "\n".join(f"  {line}" for line in lines)
        command.__doc__ = inspect.cleandoc(command.__doc__ or "") + f"\n\n\b\nExamples:\n{text}\n"
        return command
    return add


def read_json_file(value: str) -> Any:
    """A JSON document from a file, or from standard input for ``-``."""
    try:
        text = sys.stdin.read() if value == "-" else Path(value).read_text(encoding="utf-8")
        return json.loads(text)
    except OSError as exc:
        raise click.BadParameter(str(exc), param_hint="--file") from None
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--file") from None


def body_from(file: str | None, **fields: Any) -> dict[str, Any]:
    """A request body: the JSON file (if any), then each option given on the command line over it."""
    body = read_json_file(file) if file else {}
    if not isinstance(body, dict):
        raise click.BadParameter("must hold a JSON object", param_hint="--file")
    for path, value in fields.items():
        if value is None or value == ():
            continue
        target = body
        *parents, last = path.split(".")
        for step in parents:
            target = target.setdefault(step, {})
        target[last] = list(value) if isinstance(value, tuple) else value
    return body


def write_text(path: str, text: str) -> None:
    """An export to a file, or to standard output for ``-`` (as written: no newline added or translated)."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(text)


def progress(items, label: str, length: int | None = None):
    """A progress bar on stderr (drawn only on a terminal); iterate over what it returns."""
    return click.progressbar(items, label=label, length=length, file=sys.stderr, show_pos=True)


def stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


@contextlib.contextmanager
def working(label: str, every: float = 0.2) -> Iterator[None]:
    """A moving bar with the seconds waited, on stderr, while one long request runs (an import, an export, a
    report): drawn only on a terminal, so that a script's stdout and stderr stay as they were."""
    if not stderr_is_terminal():
        yield
        return
    started, done = time.monotonic(), threading.Event()
    bar = click.progressbar(itertools.count(), label=label, file=sys.stderr, show_eta=False, show_percent=False,
                            item_show_func=lambda _: f"{time.monotonic() - started:.0f}s")

    def tick() -> None:
        while not done.wait(every):
            bar.update(1)
    with bar:
        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            yield
        finally:
            done.set()
            ticker.join()


def with_app(command: Callable) -> Callable:
    """Pass the App as first argument, after applying ``--json``/``--csv`` given on the command."""
    @functools.wraps(command)
    @click.pass_context
    def run(ctx: click.Context, *args, **kwargs):
        app = ctx.find_object(App)
        fmt = ctx.meta.get("synergy.format")
        if fmt:
            app.fmt = fmt
        return command(app, *args, **kwargs)
    return run
