"""Agreements: signing rules, and the 60/30/7-day and expiry notices, each given once."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from services.common.catalogue import check_data
from services.partners.agreements import Agreement
from services.partners.domain import PartnerRuleBroken

NOW = datetime(2026, 11, 1, tzinfo=UTC)
TODAY = date(2026, 11, 1)
SIGNATURES = [{"party": "partner", "name": "馆长", "signed_on": TODAY},
              {"party": "counterpart", "name": "图书馆馆长", "signed_on": TODAY}]


def sign(ends_on: date, today: date = TODAY, **kwargs) -> Agreement:
    arguments = dict(partner_id="prt_m", counterpart="library", scope="science and art lectures",
                     starts_on=date(2026, 9, 1), ends_on=ends_on, commitments=[], signed_by=SIGNATURES, today=today,
                     now=NOW, recorded_by="office")
    arguments.update(kwargs)
    return Agreement.sign("agr_1", **arguments)


def run(agreement: Agreement, first: date, last: date) -> list[tuple[date, str, int | None]]:
    """Run the job every day from first to last (twice a day, as two instances would); what was announced."""
    given = []
    day = first
    while day <= last:
        for _ in range(2):
            for kind, data in agreement.due_notices(day, NOW):
                assert check_data(kind, data, producing=True)
                given.append((day, kind, data.get("days_left")))
        day += timedelta(days=1)
    return given


def test_each_notice_is_given_once_on_its_day():
    agreement = sign(date(2027, 3, 1))
    assert check_data("agreement.signed", agreement.signed_event(), producing=True)
    assert agreement.next_notice_on == "2026-12-31"
    given = run(agreement, TODAY, date(2027, 4, 1))
    assert given == [(date(2026, 12, 31), "agreement.expiring", 60), (date(2027, 1, 30), "agreement.expiring", 30),
                     (date(2027, 2, 22), "agreement.expiring", 7), (date(2027, 3, 1), "agreement.expired", None)]
    assert agreement.status == "expired" and agreement.next_notice_on is None


def test_notices_whose_day_had_passed_at_signing_are_skipped():
    agreement = sign(date(2026, 11, 20))  # 19 days left: only the 7-day notice and the expiry remain
    assert agreement.skipped_notices == ["expiring:60", "expiring:30"]
    assert [kind for _, kind, _ in run(agreement, TODAY, date(2026, 12, 1))] == ["agreement.expiring",
                                                                                 "agreement.expired"]


def test_a_job_that_was_down_gives_only_the_nearest_notice():
    agreement = sign(date(2027, 3, 1))
    assert [(kind, days) for kind, data in agreement.due_notices(date(2027, 2, 25), NOW)
            for days in [data.get("days_left")]] == [("agreement.expiring", 7)]
    assert agreement.notices == ["expiring:7"] and set(agreement.skipped_notices) == {"expiring:60", "expiring:30"}
    down_till_the_end = sign(date(2027, 3, 1))
    assert [kind for kind, _ in down_till_the_end.due_notices(date(2027, 3, 10), NOW)] == ["agreement.expired"]


@pytest.mark.parametrize("change, field", [
    ({"ends_on": date(2026, 8, 1)}, "ends_on"),
    ({"ends_on": TODAY}, "ends_on"),
    ({"signed_by": SIGNATURES[:1]}, "signed_by"),
    ({"signed_by": [dict(SIGNATURES[0]), dict(SIGNATURES[0])]}, "signed_by"),
    ({"signed_by": [SIGNATURES[0], dict(SIGNATURES[1], signed_on=TODAY + timedelta(days=1))]}, "signed_by"),
])
def test_agreements_the_rules_refuse(change, field):
    with pytest.raises(PartnerRuleBroken) as caught:
        sign(**{"ends_on": date(2027, 3, 1), **change})
    assert caught.value.field == field


def test_an_activity_is_linked_once():
    agreement = sign(date(2027, 3, 1))
    assert agreement.link_activity("act_1", by="o", at=NOW) is True
    assert agreement.link_activity("act_1", by="o", at=NOW) is False
    assert agreement.activity_ids == ["act_1"]
