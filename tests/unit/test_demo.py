"""The demo loader: its data are valid registrations, and an unreachable API is reported, not a crash."""
from __future__ import annotations

from deploy import demo
from services.common.validation import load
from services.partners.schemas import AgreementDraft, PartnerRegistration


def test_every_demo_partner_is_a_valid_registration_and_every_reference_exists():
    for payload in demo.PARTNERS.values():
        load(PartnerRegistration(), payload)
    names = set(demo.PARTNERS)
    assert set(demo.REVIEWS) <= names
    assert {short for short, *_ in demo.AGREEMENTS} <= names
    assert {short for lead, co, _ in demo.ACTIVITIES for short in [lead, *co]} <= names
    for _, counterpart, scope, _, commitments in demo.AGREEMENTS:
        load(AgreementDraft(), {"partner_id": "prt_01aaaaaaaaaaaaaaaaaaaaaaaa", "counterpart": counterpart,
                                "scope": scope, "starts_on": "2026-01-01", "ends_on": "2027-01-01",
                                "commitments": commitments,
                                "signed_by": [{"party": "partner", "name": "a", "signed_on": "2026-01-01"},
                                              {"party": "counterpart", "name": "b", "signed_on": "2026-01-01"}]})


def test_an_unreachable_api_is_reported(tmp_path, capsys):
    key = tmp_path / "admin.key"
    key.write_text("syn_admin_x\n")
    assert demo.main(["--url", "http://127.0.0.1:9", "--key-file", str(key)]) == 1
    assert "demo data not loaded" in capsys.readouterr().err
    assert demo.main(["--key-file", str(tmp_path / "missing.key")]) == 1
