"""CSV import and export: parsing, per-row and per-column errors, round trip, formula cells."""
from __future__ import annotations

import pytest

from services.partners import bulk

HEADER = "name_zh,name_en,level,kind,themes,description,resources,contacts\r\n"


def test_rows_become_registration_payloads_with_their_line_numbers():
    text = HEADER + ('上海科技馆,SSTM,outside,science_museum,science; art,,"space|展厅|300|浦东; expert|王研究员||",'
                     '"王老师|联络人|+86 21 6862|w@sstm.org"\r\n\r\n文学院,,campus,faculty,,,,\r\n')
    rows = bulk.parse(text)
    assert [line for line, _ in rows] == [2, 4]
    payload = rows[0][1]
    assert payload["themes"] == ["science", "art"]
    assert payload["resources"] == [{"kind": "space", "name": "展厅", "capacity": 300, "location": "浦东"},
                                    {"kind": "expert", "name": "王研究员"}]
    assert payload["contacts"] == [{"name": "王老师", "role": "联络人", "phone": "+86 21 6862",
                                    "email": "w@sstm.org"}]
    assert rows[1][1] == {"name": {"zh": "文学院"}, "level": "campus", "kind": "faculty"}


@pytest.mark.parametrize("text", [
    "", "name_zh,level\r\nx,campus\r\n", "name_zh,level,kind,homepage\r\nx,campus,faculty,h\r\n",
    HEADER, "name_zh,level,kind\r\nx,campus,faculty,extra\r\n",
])
def test_files_that_cannot_be_read_are_refused_as_a_whole(text):
    with pytest.raises(bulk.CsvFileError):
        bulk.parse(text)


def test_schema_errors_are_reported_on_csv_columns():
    errors = bulk.row_errors({"name": {"zh": ["Missing."]}, "kind": ["Not one of."],
                              "resources": {"0": {"kind": ["Must be one of."]}}})
    assert errors == {"name_zh": ["Missing."], "kind": ["Not one of."], "resources": ["0.kind: Must be one of."]}


def test_an_export_imports_back_and_formula_cells_are_defused():
    partner = {"id": "prt_1", "status": "active", "name": {"zh": "=HYPERLINK(1)", "en": "x"}, "level": "campus",
               "kind": "faculty", "themes": ["a", "b"], "description": "-2+3",
               "resources": [{"kind": "space", "name": "厅", "capacity": 50, "location": ""}],
               "contacts": [{"name": "李", "role": "", "phone": "+86 10 1234"}]}
    text = bulk.export([partner])
    assert "'=HYPERLINK(1)" in text and "'-2+3" in text and ",+86 10 1234" not in text
    (_, payload), = bulk.parse(text)
    assert payload["name"] == {"zh": "=HYPERLINK(1)", "en": "x"} and payload["description"] == "-2+3"
    assert payload["resources"] == [{"kind": "space", "name": "厅", "capacity": 50}]
    assert payload["contacts"] == [{"name": "李", "role": "", "phone": "+86 10 1234"}]
