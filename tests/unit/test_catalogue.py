"""The event catalogue: every type has a schema, producers are strict, and the published document is current."""
from __future__ import annotations

from pathlib import Path

import pytest
from marshmallow import ValidationError

from services.common.catalogue import CATALOGUE, UnknownEventType, announce, check_data, render_markdown

DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def test_the_catalogue_document_is_generated_from_the_schemas():
    assert DOC.read_text(encoding="utf-8").strip() == render_markdown().strip(), \
        "docs/events.md is stale: python -m services.common.catalogue > docs/events.md"


def test_producers_may_not_add_unknown_fields_but_consumers_tolerate_them():
    data = {"survey_id": "s", "activity_id": "a", "item_count": 3}
    with pytest.raises(ValidationError):
        check_data("survey.prepared", dict(data, surprise=1), producing=True)
    assert check_data("survey.prepared", dict(data, surprise=1), producing=False)


def test_announce_refuses_unknown_types_and_bad_data():
    with pytest.raises(UnknownEventType):
        announce("activity.exploded", {})
    with pytest.raises(ValidationError):
        announce("survey.prepared", {"survey_id": "s"})
    event = announce("survey.prepared", {"survey_id": "s", "activity_id": "a", "item_count": 3}, subject="s")
    assert event.source == "/synergy/evaluation" and event.subject == "s"


# Facts named by their state, as the issues and the services agreed: "the renewal is due", "it is expiring".
NOT_PAST_TENSE = {"partner.renewal_due", "agreement.expiring", "activity.task_due"}  # deadline notices


def test_every_type_names_its_producer_and_is_named_in_the_past_tense():
    for name, entry in CATALOGUE.items():
        assert entry.producer in ("partners", "events", "evaluation", "notify")
        assert name.split(".")[-1].endswith("ed") or name in NOT_PAST_TENSE, name
