"""Outcome surveys: what they ask, the states they move through, and which answers they accept.

A survey is prepared when its activity is published (immediate stage), organizers may add a few questions of
their own while it is only prepared, and it opens when the activity completes; the follow-up survey opens some
weeks later. Each respondent holds an unguessable token: the survey keeps only the tokens' hashes. A response
has a random id and holds nothing of its token or its respondent; that a token has answered is kept apart
(store.claim_answer), with no link to the response once it is written, so answers cannot be joined to people.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.common import tokens
from services.common.clock import isoformat
from services.evaluation import templates
from services.evaluation.templates import IMMEDIATE, MAX_ORGANIZER_QUESTIONS, TEXT_LIMIT

PREPARED, SCHEDULED, OPEN, CLOSED = "prepared", "scheduled", "open", "closed"
LEVEL_RANK = {"library": 0, "campus": 1, "outside": 2}


class SurveyRuleBroken(Exception):
    """The survey's state or rules refuse the request; ``errors`` maps fields to what is wrong."""

    def __init__(self, message: str, errors: dict[str, list[str]] | None = None, *, conflict: bool = False):
        super().__init__(message)
        self.errors = errors or {}
        self.conflict = conflict


def survey_id_for(activity_id: str, stage: str = IMMEDIATE) -> str:
    """Deterministic, so that preparing twice for one activity finds the first survey."""
    return f"srv_{activity_id.removeprefix('act_')}_{stage}"


def new_token() -> str:
    """An invitation token: 256 random bits, URL-safe."""
    return tokens.new_token(tokens.SURVEY)


token_hash = tokens.token_hash


def new_invitation_id() -> str:
    """An invitation's id in the event that announces it: random, unrelated to its token."""
    return "inv_" + secrets.token_hex(12)


def new_response_id() -> str:
    """A response's id: random, so that nothing leads from a token (or a person) to the answers."""
    return "rsp_" + secrets.token_hex(16)


def partnership_level(levels: list[str]) -> str:
    """The widest level among an activity's organizers: library < campus < outside."""
    known = [level for level in levels if level in LEVEL_RANK]
    return max(known, key=LEVEL_RANK.__getitem__) if known else "library"


@dataclass
class Survey:
    id: str
    activity_id: str
    topic: str
    stage: str
    status: str
    items: list[dict]
    open_items: list[dict]
    scale: list[dict]
    prepared_at: datetime
    activity_title: dict[str, str] = field(default_factory=dict)
    organizer_ids: list[str] = field(default_factory=list)
    path_items: list[dict] = field(default_factory=list)
    aim_items: list[dict] = field(default_factory=list)
    organizer_items: list[dict] = field(default_factory=list)
    scale_note: dict[str, str] = field(default_factory=lambda: dict(templates.SCALE_NOTE))
    window_days: float | None = None
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    invited_count: int = 0
    response_count: int = 0
    token_hashes: list[str] = field(default_factory=list)
    partner_evaluations: list[dict] = field(default_factory=list)

    @classmethod
    def prepare_for(cls, activity: dict, now: datetime, stage: str = IMMEDIATE) -> Survey:
        """The survey of a published (or completed) activity, from the templates of its type and paths."""
        paths = list(activity.get("paths", []))
        topic = templates.topic_for(activity.get("activity_type", ""), paths)
        return cls(
            id=survey_id_for(activity["activity_id"], stage),
            activity_id=activity["activity_id"],
            topic=topic,
            stage=stage,
            status=PREPARED,
            items=templates.core_items(topic, stage),
            open_items=templates.open_items(stage),
            scale=templates.AGREEMENT_SCALE,
            prepared_at=now,
            activity_title=activity.get("title", {}),
            organizer_ids=[org["partner_id"] for org in activity.get("organizers", [])],
            path_items=templates.path_items(paths) if stage == IMMEDIATE else [],
            aim_items=templates.aim_items(activity.get("aims") or []),
        )

    # organizers' own questions
    def set_organizer_questions(self, questions: list[dict]) -> None:
        """Replace the organizers' questions; only before the survey is scheduled, at most a few."""
        if self.status != PREPARED:
            raise SurveyRuleBroken(f"Survey {self.id} is {self.status}: questions can be changed only before it "
                                   "opens.", conflict=True)
        if len(questions) > MAX_ORGANIZER_QUESTIONS:
            raise SurveyRuleBroken("Too many questions.", {"questions": [
                f"At most {MAX_ORGANIZER_QUESTIONS} questions of your own."]})
        self.organizer_items = [
            {"key": f"org_{n}", "zh": q["zh"], "en": q.get("en") or q["zh"], "type": q["type"],
             "required": bool(q.get("required", False)), "group": "organizer",
             **({"options": q["options"]} if q["type"] == "choice" else {})}
            for n, q in enumerate(questions, start=1)
        ]

    def choose_topic(self, topic: str) -> None:
        """Another Project Outcome topic's wording of the core items (e.g. Research, Teaching Support); the
        items themselves stay the standard ones, and only before the survey is scheduled."""
        if self.status != PREPARED:
            raise SurveyRuleBroken(f"Survey {self.id} is {self.status}: its topic is fixed.", conflict=True)
        self.topic, self.items = topic, templates.core_items(topic, self.stage)

    # lifecycle
    def schedule(self, opens_at: datetime, window: timedelta, aims: list[str] | None = None) -> bool:
        """Fix when the survey opens and closes (on completion). False if it was already scheduled."""
        if self.status != PREPARED:
            return False
        if aims:
            self.aim_items = templates.aim_items(aims)
        if self.window_days is not None:
            window = timedelta(days=self.window_days)
        self.status, self.opens_at, self.closes_at = SCHEDULED, opens_at, opens_at + window
        return True

    def due_to_open(self, now: datetime) -> bool:
        return self.status == SCHEDULED and self.opens_at is not None and self.opens_at <= now

    def open(self, tokens: list[str], now: datetime) -> dict:
        """Open to the holders of ``tokens``; returns the data of ``survey.opened``."""
        if self.status != SCHEDULED:
            raise SurveyRuleBroken(f"Survey {self.id} is {self.status}; it cannot open.", conflict=True)
        window = self.closes_at - self.opens_at
        self.status, self.opened_at = OPEN, now
        self.closes_at = now + window  # a late opening (events unreachable) still gets its whole window
        self.token_hashes = [token_hash(token) for token in tokens]
        self.invited_count = len(tokens)
        return {"survey_id": self.id, "activity_id": self.activity_id, "stage": self.stage,
                "opens_at": isoformat(now), "closes_at": isoformat(self.closes_at),
                "invited_count": self.invited_count}

    def due_to_close(self, now: datetime) -> bool:
        return self.status == OPEN and self.closes_at is not None and self.closes_at <= now

    def close(self, response_count: int, now: datetime) -> dict:
        if self.status != OPEN:
            raise SurveyRuleBroken(f"Survey {self.id} is {self.status}; only an open survey closes.", conflict=True)
        self.status, self.closed_at, self.response_count = CLOSED, now, response_count
        self.closes_at = min(self.closes_at, now) if self.closes_at else now
        return {"survey_id": self.id, "activity_id": self.activity_id, "stage": self.stage,
                "response_count": response_count}

    # responses
    def all_items(self) -> list[dict]:
        return self.items + self.path_items + self.aim_items + self.organizer_items + self.open_items

    def accepting(self, now: datetime) -> None:
        """Refuse a response that comes before the survey opened or after it closed."""
        if self.status in (PREPARED, SCHEDULED):
            raise SurveyRuleBroken("This survey is not open yet.", conflict=True)
        if self.status == CLOSED or (self.closes_at is not None and now >= self.closes_at):
            closed = self.closed_at or self.closes_at
            raise SurveyRuleBroken(f"This survey closed at {isoformat(closed)}; late responses are not counted.",
                                   conflict=True)

    def check_answers(self, answers: dict) -> dict:
        """The answers, checked item by item: every required item, values in range, nothing unknown."""
        errors: dict[str, list[str]] = {}
        items = {item["key"]: item for item in self.all_items()}
        for key in answers:
            if key not in items:
                errors[key] = ["Not a question of this survey."]
        cleaned = {}
        for key, item in items.items():
            value = answers.get(key)
            if value is None or value == "":
                if item["required"]:
                    errors[key] = ["An answer is required."]
                continue
            problem = _check_value(item, value)
            if problem:
                errors[key] = [problem]
            else:
                cleaned[key] = value.strip() if isinstance(value, str) else value
        if errors:
            raise SurveyRuleBroken("Some answers are missing or not valid.", errors)
        return cleaned

    def form(self, language: str) -> dict:
        """What a respondent sees: the items in one language, the scale labelled at every point."""
        lang = "en" if language == "en" else "zh"

        def show(item):
            shown = {"key": item["key"], "text": item[lang], "type": item["type"], "required": item["required"]}
            if item["type"] == "choice":
                shown["options"] = [{"value": o["value"], "label": o[lang] if o.get(lang) else o["zh"]}
                                    for o in item["options"]]
            return shown
        return {"survey_id": self.id, "stage": self.stage, "language": lang,
                "title": self.activity_title.get(lang) or self.activity_title.get("zh", ""),
                "closes_at": self.closes_at, "status": self.status,
                "scale": [{"value": p["value"], "label": p[lang]} for p in self.scale],
                "scale_note": self.scale_note[lang], "items": [show(item) for item in self.all_items()]}


def _check_value(item: dict, value) -> str | None:
    if item["type"] == "agreement":
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            return "Answer with a whole number from 1 (strongly disagree) to 5 (strongly agree)."
    elif item["type"] == "choice":
        if value not in [option["value"] for option in item["options"]]:
            return "Not one of the offered choices."
    elif not isinstance(value, str) or len(value) > TEXT_LIMIT:
        return f"Answer with text of at most {TEXT_LIMIT} characters."
    return None


@dataclass
class Response:
    """One respondent's answers: no name, no token, only the survey and when."""

    id: str
    survey_id: str
    activity_id: str
    stage: str
    answers: dict
    language: str
    submitted_at: datetime


def follow_up_opens_at(completed_at: datetime, follow_up_days: float) -> datetime:
    return completed_at + timedelta(days=follow_up_days)


ACTIVITY_FIELDS = ("title", "activity_type", "paths", "themes", "starts_at", "ends_at", "venue", "organizers")
COMPLETION_FIELDS = ("aims", "capacity", "registered_count", "checked_in_count", "no_show_count", "volunteer_count",
                     "contributions", "completed_at")


def record_activity(record: dict, data: dict, *, completed: bool, term_id: str) -> dict:
    """Merge what an activity event says into the local record; a record never moves back from completed."""
    for name in ACTIVITY_FIELDS:
        if name in data:
            record[name] = data[name]
    record["organizer_ids"] = [org["partner_id"] for org in data.get("organizers", [])]
    record["term_id"] = term_id
    if data.get("aims") is not None:
        record["aims"] = list(data["aims"])
    if completed:
        for name in COMPLETION_FIELDS:
            if name in data:
                record[name] = data[name]
        record["status"] = "completed"
    else:
        record.setdefault("status", "published")
    return record
