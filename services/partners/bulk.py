"""CSV import and export of partners: the same columns both ways, so an export can be edited and imported.

Columns: ``name_zh, name_en, level, kind, themes, description, resources, contacts`` (an export adds ``id``,
``status`` and ``registered_at`` first and last; import ignores those three). Lists inside a cell:
``themes`` are separated by ``;``; ``resources`` are ``kind|name|capacity|location`` items separated by ``;``;
``contacts`` are ``name|role|phone|email`` items separated by ``;``. Cells that a spreadsheet would run as a
formula are written with a leading ``'``, which import removes.
"""
from __future__ import annotations

import csv
import io

from services.common.clock import isoformat
from services.common.spreadsheet import inert, restored

COLUMNS = ("name_zh", "name_en", "level", "kind", "themes", "description", "resources", "contacts")
EXPORT_ONLY = ("id", "status", "registered_at")
EXPORT_COLUMNS = ("id", "status", *COLUMNS, "registered_at")
REQUIRED_COLUMNS = ("name_zh", "level", "kind")
MAX_ROWS = 2000


class CsvFileError(Exception):
    """The file as a whole cannot be read (not CSV, wrong header, too many rows)."""


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]




def _resource(item: str) -> dict:
    kind, name, capacity, location = (item.split("|") + ["", "", "", ""])[:4]
    resource: dict = {"kind": kind.strip(), "name": name.strip()}
    if capacity.strip():  # a CSV cell is text: a whole number becomes one, anything else is refused as given
        cell = capacity.strip()
        resource["capacity"] = int(cell) if cell.isascii() and cell.isdigit() else cell
    if location.strip():
        resource["location"] = location.strip()
    return resource


def _contact(item: str) -> dict:
    name, role, phone, email = (item.split("|") + ["", "", "", ""])[:4]
    contact = {"name": name.strip(), "role": role.strip()}
    if phone.strip():
        contact["phone"] = phone.strip()
    if email.strip():
        contact["email"] = email.strip()
    return contact


def payload_of(row: dict[str, str]) -> dict:
    """The registration payload a row stands for (validated afterwards like any registration)."""
    payload: dict = {"name": {"zh": row.get("name_zh", "")}, "level": row.get("level", ""),
                     "kind": row.get("kind", "")}
    if row.get("name_en"):
        payload["name"]["en"] = row["name_en"]
    if row.get("themes"):
        payload["themes"] = _split(row["themes"])
    if row.get("description"):
        payload["description"] = row["description"]
    if row.get("resources"):
        payload["resources"] = [_resource(item) for item in _split(row["resources"])]
    if row.get("contacts"):
        payload["contacts"] = [_contact(item) for item in _split(row["contacts"])]
    return payload


def parse(text: str) -> list[tuple[int, dict]]:
    """(line number, registration payload) per data row; raises CsvFileError for the file as a whole."""
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
        header = reader.fieldnames or []
        unknown = [name for name in header if name not in COLUMNS + EXPORT_ONLY]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if unknown or missing:
            raise CsvFileError("Unknown columns: " * bool(unknown) + ", ".join(unknown)
                               + ("; " if unknown and missing else "")
                               + "Missing columns: " * bool(missing) + ", ".join(missing))
        rows = []
        for row in reader:
            if None in row:
                raise CsvFileError(f"Line {reader.line_num} has more cells than the header.")
            if not any((value or "").strip() for value in row.values()):
                continue
            if len(rows) >= MAX_ROWS:
                raise CsvFileError(f"At most {MAX_ROWS} rows per import.")
            cells = {key: restored(value or "") for key, value in row.items() if key in COLUMNS}
            rows.append((reader.line_num, payload_of(cells)))
    except csv.Error as exc:
        raise CsvFileError(f"Not a readable CSV file: {exc}") from None
    if not rows:
        raise CsvFileError("The file has no rows.")
    return rows


def column_of(field_path: str) -> str:
    """The CSV column a schema field (``name.zh``, ``resources.0.kind``) came from."""
    head, _, rest = field_path.partition(".")
    if head == "name":
        return "name_en" if rest.startswith("en") else "name_zh"
    return head


def row_errors(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages flattened onto CSV columns."""
    out: dict[str, list[str]] = {}
    for key, value in messages.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            for column, texts in row_errors(value, path).items():
                out.setdefault(column, []).extend(texts)
        else:
            texts = value if isinstance(value, list) else [value]
            where = path.split(".", 1)[1] if "." in path and column_of(path) in ("resources", "contacts") else ""
            out.setdefault(column_of(path), []).extend(
                f"{where}: {text}" if where else str(text) for text in texts)
    return out


def _join(items: list[dict], keys: tuple[str, ...]) -> str:
    return "; ".join("|".join(str(item.get(key) or "") for key in keys) for item in items)


def export(partners: list[dict]) -> str:
    """The CSV text of the given partners (contacts as the caller may see them)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for partner in partners:
        registered = partner.get("registered_at")
        cells = {
            "id": partner["id"], "status": partner["status"], "name_zh": partner["name"]["zh"],
            "name_en": partner["name"].get("en", ""), "level": partner["level"], "kind": partner["kind"],
            "themes": "; ".join(partner.get("themes", [])), "description": partner.get("description", ""),
            "resources": _join(partner.get("resources", []), ("kind", "name", "capacity", "location")),
            "contacts": _join(partner.get("contacts", []), ("name", "role", "phone", "email")),
            "registered_at": isoformat(registered) if registered else "",
        }
        writer.writerow([inert(str(cells[column])) for column in EXPORT_COLUMNS])
    return out.getvalue()
