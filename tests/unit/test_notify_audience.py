"""Who hears what, preferences and the digest's calendar, and every template rendered in both languages."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.notify import audience
from services.notify.people import Preferences, digest_activities, digest_week, language_of, registration_status
from services.notify.rendering import TEMPLATES, Renderer

ACTIVITY = {"activity_id": "act_1", "title": {"zh": "讲座", "en": "Lecture"}, "starts_at": "2026-12-05T02:00:00.000Z",
            "venue": "Hall", "themes": ["science"], "paths": ["activity"], "activity_type": "lecture",
            "organizers": [{"partner_id": "prt_lead", "role": "lead"},
                           {"partner_id": "prt_co", "role": "co_organizer"}]}
LI = {"person_id": "li", "email": "li@example.edu", "language": "zh-CN"}
ANN = {"person_id": "ann", "email": "ann@example.edu", "language": "en"}


def test_a_change_reaches_organizers_registrants_and_followers_each_once():
    follower = Preferences(person_id="wu", email="wu@example.edu", language="en", follow_theme=["science"])
    registrant_follower = Preferences(person_id="li", email=None, channels=["inbox"], follow_theme=["science"])
    notices = audience.activity_notices("activity.postponed", "evt_1", ACTIVITY, registrants=[LI, ANN],
                                        subscribers=[follower, registrant_follower], known={"li": registrant_follower})
    assert [(n.recipient, n.inbox, n.email, n.language) for n in notices] == [
        ("prt_lead", True, None, "zh-CN"), ("prt_co", True, None, "zh-CN"),
        ("person:li", True, None, "zh-CN"),  # Li chose the inbox only
        ("person:ann", True, "ann@example.edu", "en"),  # no preferences: email and inbox, registration language
        ("person:wu", True, "wu@example.edu", "en")]
    assert len({n.id for n in notices}) == len(notices)
    assert notices[0].context["role"] == "lead" and notices[3].context["audience"] == "registrant"


def test_digest_readers_hear_of_news_in_the_digest_but_of_their_own_registrations_at_once():
    reader = Preferences(person_id="wu", email="wu@example.edu", mode="weekly_digest", follow_theme=["science"])
    assert audience.activity_notices("activity.published", "evt_1", ACTIVITY, registrants=[],
                                     subscribers=[reader], known={})[2:] == []
    as_registrant = audience.activity_notices("activity.updated", "evt_2", ACTIVITY, registrants=[
        {"person_id": "wu", "email": "wu@example.edu", "language": "en"}], subscribers=[reader], known={"wu": reader})
    assert [n.recipient for n in as_registrant] == ["prt_lead", "prt_co", "person:wu"]
    cancelled = audience.activity_notices("activity.cancelled", "evt_3", ACTIVITY, registrants=[],
                                          subscribers=[reader], known={})
    assert [n.recipient for n in cancelled][2:] == ["person:wu"], "a cancellation is not kept for the digest"


def test_a_person_hears_only_the_events_chosen():
    quiet = Preferences(person_id="li", email="li@example.edu", events=["registration.confirmed"])
    assert audience.registration_notices("registration.confirmed", "evt_1", {"person": LI}, {"li": quiet})
    assert audience.registration_notices("registration.waitlisted", "evt_2", {"person": LI}, {"li": quiet}) == []


def test_partner_news_reach_the_partner_and_the_coordination_group():
    data = {"partner_id": "prt_1", "status": "suspended"}
    notices = audience.partner_notices("partner.suspended", "evt_1", data)
    assert [(n.recipient, n.template) for n in notices] == [("prt_1", "partner_decision"),
                                                             ("coordination_group", "partner_decision")]
    expiring = audience.partner_notices("agreement.expiring", "evt_2", {"partner_id": "prt_1"})
    assert {n.template for n in expiring} == {"agreement_expiring"}
    suspended = audience.organizer_suspended_notices("evt_3", {"lead_partner_id": "prt_lead", "activity_id": "a"})
    assert [n.recipient for n in suspended] == ["prt_lead", "coordination_group"]


def test_the_lead_hears_of_a_co_organizers_part_and_an_organizer_of_its_own_task_due():
    changed = {"partner_id": "prt_co", "lead_partner_id": "prt_lead", "activity_id": "a"}
    assert [(n.recipient, n.id) for n in audience.organizer_updated_notices("evt_1", changed)] == [
        ("prt_lead", "evt_1:prt_lead")]
    assert audience.organizer_updated_notices("evt_2", dict(changed, partner_id="prt_lead")) == []
    (due,) = audience.task_due_notices("evt_3", changed)
    assert (due.recipient, due.template, due.inbox, due.email) == ("prt_co", "activity_task_due", True, None)


def test_survey_invitations_are_emailed_with_their_link_and_keep_tokens_out_of_ids():
    data = {"survey_id": "srv_1", "activity_id": "act_1", "stage": "post", "closes_at": "2026-12-12T00:00:00Z",
            "invitations": [{"invitation_id": "inv_1", "email": "li@example.edu", "language": "zh"},
                            {"invitation_id": "inv_2", "email": "gone@example.edu", "language": "zh"}]}
    (notice,) = audience.survey_invitation_notices("evt_1", data, lambda s, t: f"https://x/{s}?token={t}",
                                                   {"inv_1": "secret-token"})  # inv_2's expired: no useless email
    assert notice.email == "li@example.edu" and notice.language == "zh-CN" and not notice.inbox
    assert notice.email_context["link"] == "https://x/srv_1?token=secret-token", "the email only: blanked once sent"
    assert "secret-token" not in notice.id + notice.recipient + str(notice.context)
    assert "invitations" not in notice.context["data"]


def test_the_digest_is_due_from_monday_eight_in_the_display_zone_and_lists_what_is_followed():
    zone = "Asia/Shanghai"
    assert digest_week(datetime(2026, 11, 29, 23, 59, tzinfo=UTC), zone) is None  # Mon 07:59 in Shanghai
    assert digest_week(datetime(2026, 11, 30, 0, 0, tzinfo=UTC), zone) == "2026-W49"  # Mon 08:00
    assert digest_week(datetime(2026, 12, 6, 15, 0, tzinfo=UTC), zone) == "2026-W49"  # Sun 23:00
    follows_art = Preferences(person_id="p", follow_theme=["art"])
    upcoming = [{"starts_at": 2, "themes": ["art"]}, {"starts_at": 1, "themes": ["science"]},
                {"starts_at": 0, "themes": ["art"]}]

    def facts(activity):
        return {"theme": set(activity["themes"])}
    assert [a["starts_at"] for a in digest_activities(follows_art, upcoming, facts)] == [0, 2]
    assert len(digest_activities(Preferences(person_id="q"), upcoming, facts)) == 3, "follows nothing: all"


def test_languages_and_out_of_order_registrations():
    assert [language_of(v) for v in ("zh", "zh-CN", "zh-Hans", "en", "fr", None)] == [
        "zh-CN", "zh-CN", "zh-CN", "en", "en", "en"]
    assert registration_status("confirmed", "waitlisted") == "confirmed"
    assert registration_status("cancelled", "confirmed") == "cancelled"
    assert registration_status("waitlisted", "confirmed") == "confirmed"


SAMPLES = {
    "partner_decision": {"data": {"partner_id": "prt_1", "status": "approved_with_conditions",
                                  "previous_status": "under_review", "reason": "ok", "decided_by": "s",
                                  "decided_at": "2026-11-20T02:00:00Z", "name": {"zh": "馆", "en": "Museum"},
                                  "conditions": ["c1"], "expires_at": "2027-11-20T02:00:00Z"}, "audience": "partner"},
    "weekly_digest": {"activities": [{"title": {"zh": "讲座"}, "starts_at": "2026-12-05T02:00:00+00:00",
                                      "venue": None}], "week": "2026-W49"},
    "survey_invitation": {"data": {"closes_at": "2026-12-12T00:00:00Z"}, "link": "https://x/s?token=t"},
    "activity_organizer_updated": {"data": {
        "title": {"zh": "讲座", "en": "<b>Talk</b>"}, "starts_at": "2026-12-05T02:00:00Z", "partner_id": "prt_co",
        "part": "tasks", "after": [{"title": "posters", "due_at": "2026-12-01T02:00:00Z", "done": False}]},
        "audience": "lead"},
}
EVENT_DATA = dict(ACTIVITY, changes={"venue": {"before": "A", "after": "B"}}, reason="rain",
                  new_starts_at="2026-12-06T02:00:00Z", code="K7", partner_id="prt_1", lead_partner_id="prt_2",
                  agreement_id="agr_1", ends_on="2026-12-31", days_left=30, expires_at="2027-01-01T00:00:00Z",
                  endpoint_id="ep_1", owner_partner_id="prt_1", task="posters", due_at="2026-12-01T02:00:00Z",
                  part="contributions", after=[{"kind": "funding", "committed": 5000, "delivered": False}])


@pytest.mark.parametrize("name", sorted(p.stem for p in (TEMPLATES / "en").glob("*.j2")))
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_template_renders_subject_text_and_escaped_html_in_both_languages(name, language):
    assert (Path(TEMPLATES) / "zh-CN" / f"{name}.j2").exists()
    context = SAMPLES.get(name, {"data": dict(EVENT_DATA, title={"zh": "讲座", "en": "<b>Talk</b>"}),
                                 "audience": "organizer", "role": "lead"})
    rendered = Renderer("Asia/Shanghai").render(name, language, context)
    assert rendered.subject and "\n" not in rendered.subject and rendered.text.strip()
    assert "<b>Talk</b>" not in rendered.html and "{{" not in rendered.text
    if name.startswith("activity_p"):
        assert "2026-12-05 10:00" in rendered.text, "times shown in the display zone"
        assert ("讲座" if language == "zh-CN" else "<b>Talk</b>") in rendered.text


def test_the_attendee_link_goes_in_the_confirmation_email_only_never_in_the_inbox():
    token = "att_" + "x" * 43
    data = {"person": LI, "activity_id": "act_1", "registration_id": "reg_1", "title": {"zh": "讲座"},
            "starts_at": "2026-12-05T02:00:00.000Z", "code": "K7"}
    link = "https://campus.example/attendee#activity=act_1&registration=reg_1&token=" + token
    (notice,) = audience.registration_notices("registration.confirmed", "evt_1", data, {},
                                              lambda a, r, t: f"https://campus.example/attendee#activity={a}"
                                                              f"&registration={r}&token={t}", token)
    assert notice.email == LI["email"] and notice.email_context == {"attendee_link": link}
    assert token not in str(notice.context) and token not in notice.id + notice.recipient
    renderer = Renderer("Asia/Shanghai")
    email = renderer.render(notice.template, "en", {**notice.context, **notice.email_context})
    assert link in email.text
    subjects, bodies = renderer.both(notice.template, notice.context)  # what the inbox keeps
    assert token not in str(bodies) and "K7" in bodies["en"]
    (plain,) = audience.registration_notices("registration.promoted", "evt_2", data, {}, lambda a, r, t: "never")
    assert plain.email_context == {}
