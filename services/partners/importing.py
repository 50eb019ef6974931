"""CSV imports carried out: every row validated first, the plan saved in one write, then carried out idempotently.

Once validated, the whole plan (each row with the id its partner will have) is one document; partners are then
registered one by one. An import cut short by a crash is finished later by the scheduled job, without
duplicates: a row whose partner exists already counts as done.
"""
from __future__ import annotations

from datetime import timedelta

from services.common import ids
from services.common.catalogue import announce
from services.common.clock import isoformat, utcnow
from services.common.errors import Conflict, ValidationFailed
from services.common.validation import load
from services.partners import bulk, schemas
from services.partners.domain import Partner, name_key
from services.partners.store import PartnerStore

RESUME_AFTER = timedelta(minutes=2)  # an import still pending by then was cut short: the job finishes it


def result(job: dict) -> dict:
    return {"import_id": job["id"], "status": job["status"], "mode": job["mode"], "rows": job["rows_total"],
            "imported": job["imported"], "errors": job["errors"]}


def validate(store: PartnerStore, csv_text: str) -> tuple[int, list[tuple[int, dict]], dict]:
    """(rows read, valid registrations by line, errors by line then column); a bad file as a whole raises."""
    if not isinstance(csv_text, str):
        raise ValidationFailed("Send the CSV as text.", {"errors": {"_file": ["Expected CSV text."]}})
    try:
        rows = bulk.parse(csv_text)
    except bulk.CsvFileError as exc:
        raise ValidationFailed(str(exc), {"errors": {"_file": [str(exc)]}}) from None
    valid, errors = [], {}
    taken = store.names_taken([name_key(payload["name"]) for _, payload in rows if payload["name"]["zh"]])
    seen: dict[str, int] = {}
    for line, payload in rows:
        try:
            data = load(schemas.PartnerRegistration(), payload)
        except ValidationFailed as exc:
            errors[str(line)] = bulk.row_errors(exc.details["errors"])
            continue
        key = name_key(data["name"])
        if key in taken:
            errors[str(line)] = {"name_zh": ["A partner of this name is registered already."]}
        elif key in seen:
            errors[str(line)] = {"name_zh": [f"The same partner is on line {seen[key]}."]}
        else:
            seen[key] = line
            valid.append((line, data))
    return len(rows), valid, errors


def start(store: PartnerStore, csv_text: str, mode: str, actor: str) -> dict:
    """Validate every row; all or nothing unless ``mode`` is partial; save the plan, then carry it out."""
    total, valid, errors = validate(store, csv_text)
    if errors and mode == "all_or_nothing":
        raise ValidationFailed(f"{len(errors)} of {total} rows are not valid; nothing was imported.",
                               {"errors": errors, "rows": total})
    now = utcnow()
    job = {"_id": ids.new_id("imp"), "status": "pending", "mode": mode, "by": actor, "created_at": now,
           "resume_after": isoformat(now + RESUME_AFTER), "rows_total": total, "errors": errors, "imported": [],
           "rows": [{"row": line, "partner_id": ids.new_id("prt"), "data": data} for line, data in valid]}
    store.add_import(job)
    return finish(store, job["_id"])


def finish(store: PartnerStore, import_id: str) -> dict:
    """Register every planned row not registered yet; may run again after a crash."""
    job = store.get_import(import_id)
    if job["status"] == "done":
        return result(job)
    imported, errors = [], dict(job["errors"])
    for item in job["rows"]:
        partner = Partner.register(item["partner_id"], now=utcnow(), registered_by=job["by"], **item["data"])
        try:
            store.add(partner, [announce("partner.registered", partner.registered_event(), subject=partner.id)])
        except Conflict as exc:
            if store.get(partner.id) is None:  # the name was taken meanwhile by another registration
                errors[str(item["row"])] = {"name_zh": [exc.message]}
                continue
        imported.append({"row": item["row"], "id": partner.id})
    return result(store.finish_import(import_id, imported, errors))


def resume_cut_short(store: PartnerStore) -> list[str]:
    """Finish the imports a crash left pending; their ids."""
    resumed = store.imports_to_resume(isoformat(utcnow()))
    for import_id in resumed:
        finish(store, import_id)
    return resumed
