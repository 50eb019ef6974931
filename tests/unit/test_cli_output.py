"""How the command prints: aligned tables with Chinese text, CSV and JSON, and secrets never shown."""
from __future__ import annotations

import io
import json

from synergy_cli.output import Output, redact, render_table, width


def test_tables_align_wide_characters():
    table = render_table([{"id": "prt_1", "name": {"zh": "历史学院", "en": "History"}}, {"id": "prt_22", "name": {}}],
                         ["id", "name"])
    lines = table.splitlines()
    assert lines[0] == "ID      NAME"
    assert lines[1] == "prt_1   历史学院 / History"
    assert width("历史") == 4


def test_secrets_are_redacted_unless_just_created():
    document = {"id": "ep_1", "secret": "whsec_x", "nested": [{"token": "t", "key": "knowledge"}]}
    assert redact(document) == {"id": "ep_1", "secret": "[redacted]",
                                "nested": [{"token": "[redacted]", "key": "knowledge"}]}
    assert redact(document, frozenset({"secret"}))["secret"] == "whsec_x"


def test_csv_and_json_outputs():
    stream = io.StringIO()
    Output("csv", stream).rows([{"id": "prt_1", "themes": ["a", "b"], "secret": "s"}], ["id", "themes", "secret"])
    assert stream.getvalue() == "id,themes,secret\nprt_1,\"a, b\",[redacted]\n"
    stream = io.StringIO()
    Output("json", stream).record({"id": "prt_1", "api_key": "syn_x"})
    assert json.loads(stream.getvalue()) == {"id": "prt_1", "api_key": "[redacted]"}


def test_texts_in_two_languages_take_a_csv_column_each():
    stream = io.StringIO()
    Output("csv", stream).rows([{"id": "prt_1", "name": {"zh": "历史学院", "en": "History"}},
                                {"id": "prt_2", "name": {"zh": "校团委"}}], ["id", "name"])
    assert stream.getvalue() == "id,name.zh,name.en\nprt_1,历史学院,History\nprt_2,校团委,\n"


def test_tables_show_moments_in_the_display_zone_and_csv_as_given(monkeypatch):
    monkeypatch.delenv("DISPLAY_TIMEZONE", raising=False)
    row = {"id": "act_1", "starts_at": "2026-12-05T02:00:00.000Z", "day": "2026-12-05"}
    assert render_table([row], ["starts_at", "day"]).splitlines()[1] == "2026-12-05 10:00  2026-12-05"
    stream = io.StringIO()
    Output("csv", stream).rows([row], ["starts_at"])
    assert stream.getvalue().splitlines()[1] == "2026-12-05T02:00:00.000Z"
    monkeypatch.setenv("DISPLAY_TIMEZONE", "UTC")
    assert render_table([row], ["starts_at"]).splitlines()[1] == "2026-12-05 02:00"
