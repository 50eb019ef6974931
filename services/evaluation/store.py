"""The evaluation repository: surveys (with their events), responses, the read model of activities, term plans
and stored term reports. Whole-document writes only (services.common.documents)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, fields
from datetime import date, datetime

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.common import documents
from services.common.envelope import Envelope
from services.evaluation.domain import CLOSED, OPEN, SCHEDULED, Response, Survey
from services.evaluation.plans import TermPlan

_SURVEY_FIELDS = {f.name for f in fields(Survey)}
_PLAN_FIELDS = {f.name for f in fields(TermPlan)}


def _survey_doc(survey: Survey) -> dict:
    doc = asdict(survey)
    doc["_id"] = doc.pop("id")
    return doc


def _survey(doc: dict) -> Survey:
    return Survey(id=doc["_id"], **{k: v for k, v in doc.items() if k in _SURVEY_FIELDS and k != "id"})


def _plan_doc(plan: TermPlan) -> dict:
    doc = asdict(plan)
    doc["_id"] = doc["term_id"]
    doc["starts_on"], doc["ends_on"] = plan.starts_on.isoformat(), plan.ends_on.isoformat()
    return doc


def _plan(doc: dict) -> TermPlan:
    values = {k: v for k, v in doc.items() if k in _PLAN_FIELDS}
    values["starts_on"], values["ends_on"] = date.fromisoformat(doc["starts_on"]), date.fromisoformat(doc["ends_on"])
    return TermPlan(**values)


def survey_view(doc: dict) -> dict:
    """A survey as organizers and the coordination group see it: no token hashes; its revision."""
    shown = documents.versioned(doc)
    shown.pop("token_hashes", None)
    return shown


class EvaluationStore:
    def __init__(self, db: Database):
        self.db = db
        self.surveys = db["surveys"]
        self.responses = db["responses"]
        self.answered = db["answered_tokens"]
        self.activities = db["activities"]
        self.plans = db["plans"]

    def ensure_indexes(self) -> None:
        self.surveys.create_index([("outbox_pending", ASCENDING)])
        self.surveys.create_index([("activity_id", ASCENDING)])
        self.surveys.create_index([("status", ASCENDING), ("opens_at", ASCENDING)])
        self.surveys.create_index([("status", ASCENDING), ("closes_at", ASCENDING)])
        self.surveys.create_index([("token_hashes", ASCENDING)])
        self.responses.create_index([("survey_id", ASCENDING)])
        self.responses.create_index([("activity_id", ASCENDING)])
        self.activities.create_index([("term_id", ASCENDING)])
        self.activities.create_index([("organizer_ids", ASCENDING)])
        self.plans.create_index([("outbox_pending", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    # surveys
    def add_survey_once(self, survey: Survey, events: list[Envelope]) -> bool:
        return documents.insert_once(self.surveys, _survey_doc(survey), events)

    def survey(self, survey_id: str) -> Survey | None:
        doc = self.surveys.find_one({"_id": survey_id})
        return _survey(doc) if doc else None

    def survey_doc(self, survey_id: str) -> dict | None:
        return self.surveys.find_one({"_id": survey_id})

    def change_survey(self, survey_id: str, change, expected_rev: int | None = None) -> dict:
        """Apply ``change(survey) -> [Envelope]`` with its events in one write (compare-and-set; only on
        ``expected_rev`` when given, else ``PreconditionFailed``)."""
        return documents.change_model(self.surveys, survey_id, change, _survey, _survey_doc, expected_rev=expected_rev)

    def surveys_of(self, activity_id: str) -> list[dict]:
        found = self.surveys.find({"activity_id": activity_id}).sort("_id", ASCENDING)
        return [survey_view(doc) for doc in found]

    def survey_by_token_hash(self, digest: str) -> Survey | None:
        # ``$in``, not plain equality: nx-27017 finds nothing by equality on an indexed array field
        doc = self.surveys.find_one({"token_hashes": {"$in": [digest]}})
        return _survey(doc) if doc else None

    def due_to_open(self, now: datetime, limit: int = 50) -> list[str]:
        found = self.surveys.find({"status": SCHEDULED, "opens_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    def due_to_close(self, now: datetime, limit: int = 50) -> list[str]:
        found = self.surveys.find({"status": OPEN, "closes_at": {"$lte": now}}, {"_id": 1}).limit(limit)
        return [doc["_id"] for doc in found]

    def partner_evaluations(self, activity_ids: list[str]) -> list[dict]:
        wanted = set(activity_ids)
        found = []
        for doc in self.surveys.find({"status": CLOSED}):
            if doc["activity_id"] in wanted:
                found.extend(doc.get("partner_evaluations", []))
        return found

    # responses
    def claim_answer(self, digest: str, response_id: str) -> str | None:
        """Mark the token of hash ``digest`` as having answered; the id its response is to be written under, or
        None if it has answered already. The mark names the response only until ``answer_written`` (so that a
        crash between the two writes is finished by the next try, never counted twice)."""
        try:
            self.answered.insert_one({"_id": digest, "writing": response_id})
            return response_id
        except DuplicateKeyError:
            found = self.answered.find_one({"_id": digest}) or {}
            return found.get("writing")

    def answer_written(self, digest: str) -> None:
        """The response is stored: the mark keeps only that the token has answered, not which response."""
        self.answered.update_one({"_id": digest}, {"$unset": {"writing": ""}})

    def add_response(self, response: Response) -> bool:
        """False if a response of this id is stored already (a retry after a crash)."""
        doc = asdict(response)
        doc["_id"] = doc.pop("id")
        try:
            self.responses.insert_one(doc)
            return True
        except DuplicateKeyError:
            return False

    def responses_of_survey(self, survey_id: str) -> list[dict]:
        return list(self.responses.find({"survey_id": survey_id}, {"_id": 0}))

    def responses_by_activity(self, activity_ids: list[str]) -> dict[str, list[dict]]:
        """Counted responses only: those that came while their survey was open."""
        by_activity: dict[str, list[dict]] = defaultdict(list)
        for activity_id in activity_ids:
            for doc in self.responses.find({"activity_id": activity_id}, {"_id": 0}):
                by_activity[activity_id].append(doc)
        return by_activity

    # the read model of activities
    def activity(self, activity_id: str) -> dict | None:
        return self.activities.find_one({"_id": activity_id})

    def save_activity(self, activity_id: str, merge, event_id: str) -> None:
        """Create or merge the activity's record, once per event."""
        if documents.insert_once(self.activities, merge({"_id": activity_id}) | {"_applied": [event_id]}):
            return

        def change(doc: dict) -> None:
            merge(doc)
        documents.update(self.activities, activity_id, change, applied_event=event_id)

    def activities_in_term(self, term_id: str) -> list[dict]:
        """The term's activities, each with how many each stage of its survey invited."""
        found = [documents.public(doc) for doc in self.activities.find({"term_id": term_id})]
        by_activity: dict[str, list[dict]] = {}
        for doc in self.surveys.find({"activity_id": {"$in": [a["id"] for a in found]}},
                                     {"activity_id": 1, "stage": 1, "invited_count": 1, "topic": 1}).sort("_id", 1):
            by_activity.setdefault(doc["activity_id"], []).append(doc)
        for activity in found:
            surveys = by_activity.get(activity["id"], [])
            activity["activity_id"] = activity["id"]
            activity["invited"] = {doc["stage"]: doc.get("invited_count", 0) for doc in surveys}
            activity["topic"] = surveys[0]["topic"] if surveys else None
        return found

    # plans and reports
    def save_plan(self, plan: TermPlan, expected_rev: int | None = None) -> dict:
        """Set a term's plan (only on ``expected_rev`` when given; 0: no plan yet); the plan with its revision."""
        doc = _plan_doc(plan)
        del doc["report_generated_at"]  # the service's own record of the term-end report: kept as stored
        return documents.versioned(documents.put(self.plans, doc, expected_rev=expected_rev))

    def ensure_term(self, term_id: str, starts_on: date, ends_on: date, now: datetime) -> None:
        """Every term with an activity gets a (target-less) plan, so that its report is made at its end."""
        plan = TermPlan(term_id=term_id, starts_on=starts_on, ends_on=ends_on, targets=[], set_by="", set_at=now)
        documents.insert_once(self.plans, _plan_doc(plan))

    def plan(self, term_id: str) -> TermPlan | None:
        doc = self.plans.find_one({"_id": term_id})
        return _plan(doc) if doc else None

    def plan_as_set(self, term_id: str) -> tuple[TermPlan, dict] | None:
        """The plan, and what callers see of it with its revision (one read: the two agree)."""
        doc = self.plans.find_one({"_id": term_id}, {"outbox": 0, "_applied": 0, "term_end_report": 0})
        return None if doc is None else (_plan(doc), documents.versioned(doc))

    def plans_ended(self, before: date) -> list[TermPlan]:
        return [_plan(doc) for doc in self.plans.find({"report_generated_at": None})
                if date.fromisoformat(doc["ends_on"]) < before]

    def mark_report_generated(self, term_id: str, report: dict, events: list[Envelope], now: datetime) -> None:
        """Store the term-end report and its event with the plan, once: a second instance finds it done."""
        def change(doc):
            if doc.get("report_generated_at") is not None:
                return []
            doc["report_generated_at"] = now
            doc["term_end_report"] = report
            return events
        documents.update(self.plans, term_id, change)

    def term_end_report(self, term_id: str) -> dict | None:
        doc = self.plans.find_one({"_id": term_id})
        return doc.get("term_end_report") if doc else None
