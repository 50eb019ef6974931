"""Outcome surveys: the standard items every joint activity is measured by.

The core follows ACRL Project Outcome's four outcome statements (knowledge, confidence, application,
awareness) plus satisfaction, on a five-point agreement scale labelled at every point in both languages so
that it cannot be read backwards.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

AGREEMENT_SCALE = [
    {"value": 1, "zh": "非常不同意", "en": "Strongly disagree"},
    {"value": 2, "zh": "不同意", "en": "Disagree"},
    {"value": 3, "zh": "一般", "en": "Neither agree nor disagree"},
    {"value": 4, "zh": "同意", "en": "Agree"},
    {"value": 5, "zh": "非常同意", "en": "Strongly agree"},
]

CORE_ITEMS = [
    {"key": "knowledge", "zh": "我通过这次活动学到了新的知识。", "en": "I learned something new."},
    {"key": "confidence", "zh": "我对所学内容更有信心了。", "en": "I feel more confident about what I learned."},
    {"key": "application", "zh": "我打算运用在活动中学到的内容。", "en": "I intend to apply what I learned."},
    {"key": "awareness", "zh": "我更加了解图书馆及合作单位提供的资源与服务。",
     "en": "I am more aware of the resources and services the library and its partners provide."},
    {"key": "satisfaction", "zh": "总体而言，我对这次活动感到满意。",
     "en": "Overall, I am satisfied with this activity."},
]

OPEN_ITEMS = [
    {"key": "liked_most", "zh": "您最喜欢这次活动的哪一点？", "en": "What did you like most about this activity?"},
    {"key": "improve", "zh": "这次活动可以如何改进？", "en": "What could be improved?"},
]

# The Project Outcome topic whose survey fits each activity type.
TOPIC_BY_TYPE = {"lecture": "instruction", "workshop": "instruction", "exhibition": "digital_special_collections",
                 "vr_experience": "library_technology"}


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

    @classmethod
    def prepare_for(cls, activity: dict, now: datetime) -> Survey:
        """The immediate outcome survey of a published activity; it opens when the activity completes."""
        return cls(
            id=survey_id_for(activity["activity_id"]),
            activity_id=activity["activity_id"],
            topic=TOPIC_BY_TYPE.get(activity["activity_type"], "events_programs"),
            stage="immediate",
            status="prepared",
            items=[dict(item, type="agreement", required=True) for item in CORE_ITEMS],
            open_items=[dict(item, type="text", required=False) for item in OPEN_ITEMS],
            scale=AGREEMENT_SCALE,
            prepared_at=now,
            activity_title=activity["title"],
            organizer_ids=[org["partner_id"] for org in activity["organizers"]],
        )


def survey_id_for(activity_id: str, stage: str = "immediate") -> str:
    """Deterministic, so that preparing twice for one activity finds the first survey."""
    return f"srv_{activity_id.removeprefix('act_')}_{stage}"
