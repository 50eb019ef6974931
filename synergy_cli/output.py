"""Output: a table for people, ``--json`` and ``--csv`` for scripts. Secrets are never printed, except the
secret of something just created, once, when the command says so."""
from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from services.common.config import env

SECRET_KEYS = frozenset({"secret", "api_key", "key_secret", "token", "password", "authorization"})
REDACTED = "[redacted]"


def redact(value: Any, reveal: frozenset[str] = frozenset()) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k.lower() in SECRET_KEYS - reveal and v else redact(v, reveal))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, reveal) for v in value]
    return value


def pluck(document: Any, path: str) -> Any:
    """``name.zh`` from a document; None when any step is missing."""
    for step in path.split("."):
        if not isinstance(document, dict):
            return None
        document = document.get(step)
    return document


MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$")


def display_zone() -> ZoneInfo:
    try:
        return ZoneInfo(env("DISPLAY_TIMEZONE"))
    except (ValueError, KeyError, ZoneInfoNotFoundError):
        return ZoneInfo("Asia/Shanghai")


def local_time(text: str) -> str:
    """An RFC 3339 moment as people read it, in the display zone (Asia/Shanghai unless DISPLAY_TIMEZONE)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(display_zone())
    return moment.strftime("%Y-%m-%d %H:%M")


def cell(value: Any, human: bool = False) -> str:
    """A value as text: for people (``human``) moments in the display zone; for CSV as the API gave them."""
    if value is None:
        return ""
    if human and isinstance(value, str) and MOMENT.match(value):
        return local_time(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell(v, human) for v in value) if all(not isinstance(v, dict | list) for v in value) \
            else f"{len(value)} item(s)"
    if isinstance(value, dict):
        if set(value) <= {"zh", "en"}:
            return " / ".join(str(value[k]) for k in ("zh", "en") if value.get(k))
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def width(text: str) -> int:
    """Columns a string takes in a terminal (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def render_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    cells = [[cell(pluck(row, column), human=True) for column in columns] for row in rows]
    heads = [column.upper() for column in columns]
    sizes = [max([width(heads[i])] + [width(r[i]) for r in cells]) for i in range(len(columns))]
    lines = ["  ".join(pad(h, s) for h, s in zip(heads, sizes, strict=True)).rstrip()]
    lines += ["  ".join(pad(c, s) for c, s in zip(r, sizes, strict=True)).rstrip() for r in cells]
    return "\n".join(lines)


def render_record(document: dict) -> str:
    keys = list(document)
    size = max((width(k) for k in keys), default=0)
    return "\n".join(f"{pad(k, size)}  {cell(document[k], human=True)}" for k in keys)


def csv_columns(rows: Sequence[dict], columns: Sequence[str]) -> list[str]:
    """Columns holding texts in both languages become one column per language (``name.zh``, ``name.en``)."""
    out = []
    for column in columns:
        values = [pluck(row, column) for row in rows]
        if values and all(isinstance(v, dict) and set(v) <= {"zh", "en"} for v in values if v is not None) \
                and any(isinstance(v, dict) for v in values):
            out += [f"{column}.zh", f"{column}.en"]
        else:
            out.append(column)
    return out


class Output:
    """How one invocation prints: ``table`` (default), ``json`` or ``csv``."""

    def __init__(self, fmt: str = "table", stream=None):
        self.fmt = fmt
        self.stream = stream or sys.stdout

    def _write(self, text: str) -> None:
        click.echo(text, file=self.stream)

    def rows(self, rows: Iterable[dict], columns: Sequence[str], *, reveal: frozenset[str] = frozenset()) -> int:
        """Print a listing; returns how many rows. JSON is one array; CSV has the columns as its header."""
        rows = [redact(r, reveal) for r in rows]
        if self.fmt == "json":
            self._write(json.dumps(rows, ensure_ascii=False, indent=2))
        elif self.fmt == "csv":
            columns = csv_columns(rows, columns)
            writer = csv.writer(self.stream, lineterminator="\n")
            writer.writerow(columns)
            for row in rows:
                writer.writerow([cell(pluck(row, c)) for c in columns])
        elif rows:
            self._write(render_table(rows, columns))
        else:
            click.echo("(none)", err=True)
        return len(rows)

    def record(self, document: dict, columns: Sequence[str] | None = None, *,
               reveal: frozenset[str] = frozenset()) -> None:
        """Print one resource: all of it as JSON, chosen fields in CSV, a two-column listing for people."""
        document = redact(document, reveal)
        if self.fmt == "json":
            self._write(json.dumps(document, ensure_ascii=False, indent=2))
        elif self.fmt == "csv":
            self.rows([document], columns or list(document), reveal=reveal)
        else:
            chosen = {c: pluck(document, c) for c in columns if pluck(document, c) is not None} if columns \
                else document
            self._write(render_record(chosen))

    def note(self, text: str) -> None:
        """A line for people, on stderr so that it never mixes into data on stdout."""
        click.echo(text, err=True)
