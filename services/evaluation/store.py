"""The evaluation repository."""
from __future__ import annotations

from dataclasses import asdict

from pymongo import ASCENDING
from pymongo.database import Database

from services.common import documents
from services.common.envelope import Envelope
from services.evaluation.domain import Survey


class EvaluationStore:
    def __init__(self, db: Database):
        self.db = db
        self.surveys = db["surveys"]

    def ensure_indexes(self) -> None:
        self.surveys.create_index([("outbox_pending", ASCENDING)])
        self.surveys.create_index([("activity_id", ASCENDING)])

    def ping(self) -> bool:
        return bool(self.db.command("ping").get("ok"))

    def add_survey_once(self, survey: Survey, events: list[Envelope]) -> bool:
        doc = asdict(survey)
        doc["_id"] = doc.pop("id")
        return documents.insert_once(self.surveys, doc, events)

    def surveys_of(self, activity_id: str) -> list[dict]:
        return [documents.public(doc) for doc in self.surveys.find({"activity_id": activity_id})]
