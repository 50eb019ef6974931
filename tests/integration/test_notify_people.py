"""Email (over a real local SMTP server, aiosmtpd) and inboxes on the real cluster: who hears what, in which
language, preferences, check-in reminders and the weekly digest (once a week, across restarts)."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.common.clock import isoformat
from tests.integration.test_notify_webhooks import activity_data, start
from tests.support.api import eventually
from tests.support.settle import bus_settled
from tests.support.smtp_server import SmtpServer
from tests.support.tap import publish_event

pytestmark = pytest.mark.cluster

LEAD = "prt_01aaaaaaaaaaaaaaaaaaaaaaaa"
CO = "prt_01bbbbbbbbbbbbbbbbbbbbbbbb"


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


def parts(message) -> tuple[str, str]:
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def registration(reg_id: str, activity: dict, person: dict, code: str | None = "K7Q2") -> dict:
    data = {"registration_id": reg_id, "activity_id": activity["activity_id"], "title": activity["title"],
            "starts_at": activity["starts_at"], "person": person}
    return data | ({"code": code} if code else {})


def test_people_hear_of_their_registrations_and_of_changes_by_email_and_inbox_in_their_language(make_cluster, smtp):
    cluster = start(make_cluster, **smtp.env, CHECKIN_REMINDER_HOURS="0.005")  # reminded 18 s before the start
    api, amqp = cluster.api, cluster.amqp_uri
    li = {"person_id": "stu_li", "email": "li@example.edu", "language": "zh-CN"}
    ann = {"person_id": "stu_ann", "email": "ann@example.edu", "language": "en"}
    soon = activity_data("act_soon", [LEAD, CO], starts_in=timedelta(seconds=40))
    publish_event(amqp, "activity.published", soon)
    publish_event(amqp, "registration.confirmed", registration("reg_li", soon, li))
    publish_event(amqp, "registration.waitlisted", registration("reg_ann", soon, ann, code=None))
    publish_event(amqp, "registration.promoted", registration("reg_ann", soon, ann, code="ANN1"))

    confirmed = eventually(lambda: smtp.to("li@example.edu"), timeout=15)[0]
    assert confirmed["Subject"] == "报名成功：科学讲座"
    text, html = parts(confirmed)
    assert "签到码：K7Q2" in text and "K7Q2" in html and "<html" in html
    assert confirmed["Content-Language"] == "zh-CN"
    ann_mail = eventually(lambda: len(smtp.to("ann@example.edu")) >= 2 and smtp.to("ann@example.edu"), timeout=15)
    assert sorted(m["Subject"] for m in ann_mail) == ["A place for you: Science lecture",
                                                      "On the waiting list: Science lecture"]
    assert "ANN1" in parts(next(m for m in ann_mail if "place" in m["Subject"]))[0]

    # the person's inbox, both languages, read/unread and pages
    inbox = eventually(lambda: (r := api.get("/v1/people/stu_ann/inbox").json())["unread"] == 2 and r, timeout=10)
    assert {i["event_type"] for i in inbox["items"]} == {"registration.promoted", "registration.waitlisted"}
    promoted = next(i for i in inbox["items"] if i["event_type"] == "registration.promoted")
    assert promoted["subject"] == {"zh": "候补转正：科学讲座", "en": "A place for you: Science lecture"}
    page = api.get("/v1/people/stu_ann/inbox", params={"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next"]
    rest = api.get("/v1/people/stu_ann/inbox", params={"limit": 1, "before": page["next"]}).json()
    assert [i["id"] for i in rest["items"]] == [inbox["items"][1]["id"]]
    item = inbox["items"][0]["id"]
    assert api.post(f"/v1/people/stu_ann/inbox/{item}", {"read": "maybe"}).status_code == 422
    assert api.post(f"/v1/people/stu_li/inbox/{item}", {"read": True}).status_code == 404, "not Li's item"
    marked = api.post(f"/v1/people/stu_ann/inbox/{item}", {"read": True})
    assert marked.status_code == 200 and marked.json()["read"] is True
    unread = api.get("/v1/people/stu_ann/inbox", params={"unread": "true"}).json()
    assert unread["unread"] == 1 and [i["id"] for i in unread["items"]] == [inbox["items"][1]["id"]]

    # the check-in reminder comes at its time, to confirmed people only
    reminder = eventually(lambda: [m for m in smtp.to("li@example.edu") if m["Subject"].startswith("提醒")],
                          timeout=40)
    assert "K7Q2" in parts(reminder[0])[0]
    eventually(lambda: [m for m in smtp.to("ann@example.edu") if m["Subject"].startswith("Reminder")], timeout=15)

    # a cancellation reaches registrants (email and inbox) and organizers (inbox)
    publish_event(amqp, "activity.cancelled", {"activity_id": "act_soon", "title": soon["title"],
                                               "reason": "storm warning", "starts_at": soon["starts_at"],
                                               "organizers": soon["organizers"]})
    cancelled = eventually(lambda: [m for m in smtp.to("ann@example.edu") if "cancelled" in m["Subject"]],
                           timeout=15)
    assert "storm warning" in parts(cancelled[0])[0]
    for partner in (LEAD, CO):
        eventually(lambda p=partner: any(i["event_type"] == "activity.cancelled"
                                         for i in api.get(f"/v1/partners/{p}/inbox").json()["items"]), timeout=10)
    bus_settled(cluster)  # the cancellation is handled: every email it makes is stored
    emails = cluster.db("notify")["emails"]
    eventually(lambda: all(e["state"] == "sent" for e in emails.find({"to": "li@example.edu"})), timeout=15)
    assert len(smtp.to("li@example.edu")) == 3, "confirmed, reminded, cancelled: once each"


def test_partners_and_the_coordination_group_hear_of_decisions_and_attendees_get_survey_invitations(make_cluster,
                                                                                                   smtp):
    smtp.refused.add("gone@example.edu")
    cluster = start(make_cluster, **smtp.env, PUBLIC_BASE_URL="https://synergy.example.edu")
    api, amqp = cluster.api, cluster.amqp_uri
    publish_event(amqp, "partner.approved", {
        "partner_id": CO, "status": "approved_with_conditions", "previous_status": "under_review", "reason": "",
        "decided_by": "staff_wang", "decided_at": "2026-11-20T02:00:00.000Z", "name": {"zh": "上海科技馆"},
        "level": "outside", "kind": "science_museum", "conditions": ["name the library as co-organizer"],
        "expires_at": "2027-11-20T02:00:00.000Z"})
    publish_event(amqp, "agreement.expiring", {"agreement_id": "agr_1", "partner_id": CO, "ends_on": "2026-12-26",
                                               "days_left": 30})
    with ClusterRpcProxy({"AMQP_URI": amqp}) as rpc:  # as evaluation does: the tokens by RPC, not in the event
        rpc.notify.hold_tokens({"inv_li": "tok-li-123", "inv_ann": "tok-ann-456", "inv_gone": "tok-gone-789"})
    publish_event(amqp, "survey.invitations_issued", {
        "survey_id": "srv_1", "activity_id": "act_1", "stage": "post", "closes_at": "2026-12-12T15:59:00.000Z",
        "invitations": [{"invitation_id": "inv_li", "email": "li@example.edu", "language": "zh-CN"},
                        {"invitation_id": "inv_ann", "email": "ann@example.edu", "language": "en"},
                        {"invitation_id": "inv_gone", "email": "gone@example.edu", "language": "en"}]})

    for recipient in (f"/v1/partners/{CO}/inbox", "/v1/coordination-group/inbox"):
        items = eventually(lambda r=recipient: len(api.get(r).json()["items"]) == 2 and api.get(r).json()["items"],
                           timeout=10)
        assert {i["event_type"] for i in items} == {"partner.approved", "agreement.expiring"}
    partner_items = api.get(f"/v1/partners/{CO}/inbox").json()["items"]
    approved = next(i for i in partner_items if i["event_type"] == "partner.approved")
    assert "name the library as co-organizer" in approved["body"]["en"] and "附加条件" in approved["body"]["zh"]

    invitation = eventually(lambda: smtp.to("ann@example.edu"), timeout=15)[0]
    assert "https://synergy.example.edu/respond#tok-ann-456" in parts(invitation)[0], "the token in the fragment"
    li = eventually(lambda: smtp.to("li@example.edu"), timeout=15)[0]
    assert li["Subject"] == "活动反馈问卷邀请" and "tok-li-123" in parts(li)[0]
    notify = cluster.db("notify")
    assert not any("tok-" in d["_id"] for d in notify["emails"].find({}, {"_id": 1})), "tokens stay out of ids"

    # a refused address fails at once, stays visible with its attempts, and can be sent again by hand
    failed = eventually(lambda: api.get("/v1/notify/emails").json()["items"], timeout=10)
    assert [(e["to"], len(e["attempts"])) for e in failed] == [("gone@example.edu", 1)]
    assert "refused" in failed[0]["attempts"][0]["error"]
    assert api.get("/v1/notify/emails", params={"state": "lost"}).status_code == 422
    smtp.refused.clear()
    assert api.post(f"/v1/notify/emails/{failed[0]['id']}/retry").status_code == 202
    eventually(lambda: smtp.to("gone@example.edu"), timeout=10)
    assert api.post(f"/v1/notify/emails/{failed[0]['id']}/retry").status_code == 409, "sent: nothing to retry"
    assert api.get("/v1/notify/emails").json()["items"] == []


def test_preferences_choose_channels_and_a_weekly_digest_comes_once_a_week_across_restarts(make_cluster, smtp):
    cluster = start(make_cluster, **smtp.env)
    api, amqp = cluster.api, cluster.amqp_uri
    for payload, field in [({"channels": ["sms"]}, "channels"), ({"channels": ["email"]}, "email"),
                           ({"mode": "hourly"}, "mode"), ({"language": "fr"}, "language"),
                           ({"follow": {"organizer": ["museum"]}}, "follow"),
                           ({"events": ["partner.approved"]}, "events"),
                           ({"email": "not-an-address"}, "email"), ({"colour": "red"}, "colour")]:
        response = api.put("/v1/people/stu_wu/notification-preferences", payload)
        assert response.status_code == 422 and field in str(response.json()["errors"]), (payload, response.text)
    assert api.put("/v1/people/bad$id/notification-preferences", {}).status_code == 422
    assert cluster.db("notify")["preferences"].count_documents({}) == 0
    assert api.get("/v1/people/stu_wu/notification-preferences").json()["mode"] == "immediate"

    digest = api.put("/v1/people/stu_wu/notification-preferences", {
        "email": "wu@example.edu", "language": "en", "channels": ["email", "inbox"], "mode": "weekly_digest",
        "follow": {"theme": ["science"]}})
    assert digest.status_code == 200, digest.text
    assert api.put("/v1/people/stu_zhao/notification-preferences", {
        "email": "zhao@example.edu", "channels": ["email"], "follow": {"organizer": [LEAD]}}).status_code == 200

    publish_event(amqp, "activity.published", activity_data("act_sci", [LEAD], themes=["science"]))
    publish_event(amqp, "activity.published", activity_data("act_art", [CO], themes=["art"]))
    publish_event(amqp, "activity.published", activity_data("act_far", [CO], themes=["science"],
                                                            starts_in=timedelta(days=40)))

    # Zhao follows the lead organizer and wants news at once, by email only
    zhao = eventually(lambda: smtp.to("zhao@example.edu"), timeout=15)
    assert zhao[0]["Subject"] == "活动已发布：科学讲座" and "您关注的新活动" in parts(zhao[0])[0]
    assert api.get("/v1/people/stu_zhao/inbox").json()["items"] == []

    # Wu reads a weekly digest of what Wu follows, nothing at once
    wu = eventually(lambda: smtp.to("wu@example.edu"), timeout=20)
    assert wu[0]["Subject"] == "Your week ahead: 1 activity"
    assert "Science lecture" in parts(wu[0])[0]
    inbox = api.get("/v1/people/stu_wu/inbox").json()["items"]
    assert [i["event_type"] for i in inbox] == ["digest.weekly"]

    cluster.stop("notify")
    cluster.start("notify")
    publish_event(amqp, "activity.published", activity_data("act_sci2", [CO], themes=["science"]))
    eventually(lambda: cluster.db("notify")["activities"].count_documents({"_id": "act_sci2"}) == 1, timeout=10)
    time.sleep(3.0)
    assert len(smtp.to("wu@example.edu")) == 1, "one digest per week, whatever restarts happen"
    assert len(smtp.to("zhao@example.edu")) == 1
    emails = list(cluster.db("notify")["emails"].find({"to": "wu@example.edu"}))
    assert len(emails) == 1 and emails[0]["_id"].startswith("digest:stu_wu:") and emails[0]["state"] == "sent"
    assert isoformat(datetime.now(UTC))[:4] in emails[0]["_id"]


def test_email_goes_over_starttls_with_a_login_and_a_wrong_password_is_retried_not_lost(make_cluster, tmp_path):
    server = SmtpServer(tls_folder=tmp_path).start()
    try:
        cluster = start(make_cluster, **(server.env | {"SMTP_PASSWORD": "wrong"}))
        amqp = cluster.amqp_uri
        soon = activity_data("act_tls", [LEAD], starts_in=timedelta(days=2))
        ann = {"person_id": "stu_ann", "email": "ann@example.edu", "language": "en"}
        publish_event(amqp, "registration.confirmed", registration("reg_tls1", soon, ann))
        refused = eventually(lambda: (e := cluster.db("notify")["emails"].find_one({"to": "ann@example.edu"}))
                             and e["attempts"] and e, timeout=15)
        assert refused["state"] == "pending" and "login refused" in refused["attempts"][0]["error"]
        assert server.messages == [] and server.logins == []

        cluster.stop("notify")
        cluster.start("notify", extra_env=server.env)
        publish_event(amqp, "registration.confirmed", registration("reg_tls2", soon, ann, code="TLS2"))
        sent = eventually(lambda: server.to("ann@example.edu"), timeout=15)
        assert "TLS2" in parts(sent[0])[0] and server.logins
    finally:
        server.stop()
