"""The evaluation service's entrypoints."""
from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

import eventlet
from eventlet import tpool
from nameko.rpc import RpcProxy
from nameko.timer import timer

from services.common.catalogue import announce
from services.common.clock import isoformat, parse_iso, utcnow
from services.common.config import Settings, env
from services.common.documents import REVISION
from services.common.errors import Conflict, NotFound, RuleBroken, ValidationFailed
from services.common.handlers import event_handler
from services.common.mongo import ServiceDatabase
from services.common.outbox import OutboxRelay
from services.common.service import ServiceBase, rpc
from services.common.terms import term_bounds, term_of
from services.common.validation import load
from services.evaluation import reports, schemas, scoring
from services.evaluation.domain import (
    CLOSED,
    Response,
    Survey,
    SurveyRuleBroken,
    follow_up_opens_at,
    new_invitation_id,
    new_response_id,
    new_token,
    record_activity,
    survey_id_for,
    token_hash,
)
from services.evaluation.plans import TermPlan
from services.evaluation.store import EvaluationStore, survey_view
from services.evaluation.templates import FOLLOW_UP, IMMEDIATE, STAGES

log = logging.getLogger(__name__)

RECIPIENTS_TIMEOUT = 15.0  # seconds to wait for events' list of survey recipients


def _refused(exc: SurveyRuleBroken) -> Exception:
    if exc.conflict:
        return Conflict(str(exc))
    return ValidationFailed(str(exc), {"errors": exc.errors})


def _window() -> timedelta:
    return timedelta(days=float(env("SURVEY_WINDOW_DAYS")))


def _minimum() -> int:
    return int(env("SURVEY_MIN_RESPONSES"))


def _zone() -> str:
    return Settings.from_env().display_timezone


class EvaluationService(ServiceBase):
    name = "evaluation"

    store: EvaluationStore = ServiceDatabase(EvaluationStore)
    outbox = OutboxRelay("surveys", "plans")
    events = RpcProxy("events")
    notify = RpcProxy("notify")

    # surveys in the flow
    def _remember(self, envelope, *, completed: bool) -> None:
        data = envelope.data
        term = term_of(parse_iso(data["starts_at"]), _zone())
        self.store.ensure_term(term, *term_bounds(term), utcnow())
        self.store.save_activity(data["activity_id"],
                                 lambda doc: record_activity(doc, data, completed=completed, term_id=term),
                                 envelope.id)

    def _prepare(self, data: dict, stage: str, now) -> Survey:
        survey = Survey.prepare_for(data, now, stage)
        event = announce("survey.prepared", {"survey_id": survey.id, "activity_id": survey.activity_id,
                                             "item_count": len(survey.all_items())}, subject=survey.id)
        if stage == FOLLOW_UP:
            survey.schedule(follow_up_opens_at(parse_iso(data["completed_at"]), float(env("SURVEY_FOLLOW_UP_DAYS"))),
                            _window())
        self.store.add_survey_once(survey, [event])
        return survey

    @event_handler("activity.published")
    def prepare_survey(self, envelope) -> None:
        self._remember(envelope, completed=False)
        self._prepare(envelope.data, IMMEDIATE, utcnow())

    @event_handler("activity.completed")
    def activity_completed(self, envelope) -> None:
        """Schedule the immediate survey to open now and the follow-up weeks later; open the first at once."""
        data, now = envelope.data, utcnow()
        self._remember(envelope, completed=True)
        immediate = survey_id_for(data["activity_id"], IMMEDIATE)
        if self.store.survey(immediate) is None:  # published was missed or comes late: prepare from completion
            self._prepare(data, IMMEDIATE, now)

        def schedule(survey: Survey):  # opens on completion, and at the latest now (clocks may disagree)
            survey.schedule(min(parse_iso(data["completed_at"]), now), _window(), data.get("aims"))
        self.store.change_survey(immediate, schedule)
        self._prepare(data, FOLLOW_UP, now)
        self._open_if_due(immediate)

    def _open_if_due(self, survey_id: str) -> None:
        now = utcnow()
        survey = self.store.survey(survey_id)
        if survey is None or not survey.due_to_open(now):
            return
        try:
            with eventlet.Timeout(RECIPIENTS_TIMEOUT):  # an RPC to a stopped service would wait for ever
                recipients = self.events.survey_recipients(survey.activity_id)
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - the survey stays due and is tried again
            log.warning("cannot open %s yet: survey recipients unavailable (%s)", survey_id, exc)
            return
        unique = list({r["person_id"]: r for r in recipients if r.get("email")}.values())
        tokens = {new_invitation_id(): new_token() for _ in unique}
        try:
            with eventlet.Timeout(RECIPIENTS_TIMEOUT):  # notify emails the links: without it, nobody is invited
                self.notify.hold_tokens(tokens)
        except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - the survey stays due and is tried again
            log.warning("cannot open %s yet: notify did not take the invitation tokens (%s)", survey_id, exc)
            return

        def open_(survey: Survey):
            if not survey.due_to_open(now):
                return []  # another instance opened it first (the tokens it handed over expire unused)
            opened = survey.open(list(tokens.values()), now)
            invitations = [{"invitation_id": invitation_id, "email": r["email"],
                            "language": "en" if str(r.get("language", "")).startswith("en") else "zh"}
                           for r, invitation_id in zip(unique, tokens, strict=True)]
            return [announce("survey.opened", opened, subject=survey.id),
                    announce("survey.invitations_issued", {
                        "survey_id": survey.id, "activity_id": survey.activity_id, "stage": survey.stage,
                        "closes_at": opened["closes_at"], "invitations": invitations}, subject=survey.id)]
        self.store.change_survey(survey_id, open_)

    def _close(self, survey_id: str, *, early: bool = False) -> dict:
        now = utcnow()
        survey = self.store.survey(survey_id)
        if survey is None:
            raise NotFound(f"No survey {survey_id}.", {"survey_id": survey_id})
        answers = [r["answers"] for r in self.store.responses_of_survey(survey_id)]
        activity = self.store.activity(survey.activity_id)

        def close(survey: Survey):
            if not early and not survey.due_to_close(now):
                return []
            closed = survey.close(len(answers), now)
            events = [announce("survey.closed", closed, subject=survey.id)]
            if survey.stage == IMMEDIATE and activity is not None and activity.get("status") == "completed":
                survey.partner_evaluations = scoring.partner_evaluations(
                    dict(activity, activity_id=survey.activity_id), answers, _minimum(), isoformat(now))
                events += [announce("partner.evaluated", e, subject=e["partner_id"])
                           for e in survey.partner_evaluations]
            return events
        try:
            return survey_view(self.store.change_survey(survey_id, close))
        except SurveyRuleBroken as exc:
            raise _refused(exc) from None

    @timer(interval=float(env("EVALUATION_POLL_SECONDS")))
    def run_due_work(self) -> None:
        """Open and close what is due and report ended terms. Safe with several instances: every step is a
        compare-and-set on the document it changes, and a step another instance has done is a no-op."""
        now = utcnow()
        for survey_id in self.store.due_to_open(now):
            self._open_if_due(survey_id)
        for survey_id in self.store.due_to_close(now):
            self._close(survey_id)
        today = now.astimezone(ZoneInfo(_zone())).date()
        for plan in self.store.plans_ended(today):
            self._term_end_report(plan)

    # what organizers and the coordination group do with surveys
    @rpc
    def surveys_for_activity(self, activity_id: str) -> dict:
        found = self.store.surveys_of(str(activity_id))
        if not found:
            raise NotFound(f"No survey for activity {activity_id}.", {"activity_id": activity_id})
        return {"activity_id": activity_id, "surveys": found}

    @rpc
    def survey_invitations(self, activity_id: str) -> dict:
        """What an attendee may know of an activity's surveys: each stage's status and window. Who was invited
        with which link is not known here (only hashes of the tokens are kept, so that answers stay anonymous):
        the links are in the invitation emails only."""
        keep = ("stage", "status", "opens_at", "closes_at", "opened_at", "closed_at")
        items = [{key: survey.get(key) for key in keep} for survey in self.store.surveys_of(str(activity_id))]
        return {"activity_id": activity_id, "items": items}

    @rpc
    def get_survey(self, activity_id: str, stage: str = IMMEDIATE) -> dict:
        doc = self.store.survey_doc(survey_id_for(str(activity_id), str(stage))) if stage in STAGES else None
        if doc is None:
            raise NotFound(f"No {stage} survey for activity {activity_id}.", {"activity_id": activity_id})
        return survey_view(doc)

    @rpc
    def customise_survey(self, activity_id: str, stage: str, payload: dict, expected_rev: int | None = None) -> dict:
        """Organizers' own questions (at most 3), the survey's window and topic, before it opens. With
        ``expected_rev``, only if the survey is still at that revision (else ``PreconditionFailed``)."""
        data = load(schemas.SurveyCustomisation(), payload)
        survey_id = self.get_survey(activity_id, stage)["id"]

        def change(survey: Survey):
            if "topic" in data:
                survey.choose_topic(data["topic"])
            survey.set_organizer_questions(data["questions"])
            if "window_days" in data:
                survey.window_days = data["window_days"]
            return []
        try:
            return survey_view(self.store.change_survey(survey_id, change, expected_rev))
        except SurveyRuleBroken as exc:
            raise _refused(exc) from None

    @rpc
    def close_survey(self, activity_id: str, stage: str = IMMEDIATE) -> dict:
        return self._close(self.get_survey(activity_id, stage)["id"], early=True)

    # respondents, by token
    def _survey_of_token(self, token: str) -> Survey:
        survey = self.store.survey_by_token_hash(token_hash(str(token)))
        if survey is None:
            raise NotFound("This survey link is not valid.", {"token": "unknown"})
        return survey

    @rpc
    def survey_form(self, token: str, language: str = "zh") -> dict:
        survey = self._survey_of_token(token)
        form = survey.form(language)
        form["accepting"] = survey.status != CLOSED and survey.closes_at is not None and utcnow() < survey.closes_at
        return form

    @rpc
    def submit_response(self, token: str, payload: dict) -> dict:
        """One response per token; refused (and not counted) when forged, late, duplicate or invalid."""
        data = load(schemas.ResponseSubmission(), payload)
        survey = self._survey_of_token(token)
        now = utcnow()
        try:
            survey.accepting(now)
            answers = survey.check_answers(data["answers"])
        except SurveyRuleBroken as exc:
            raise _refused(exc) from None
        digest = token_hash(str(token))
        response_id = self.store.claim_answer(digest, new_response_id())
        if response_id is None:
            raise Conflict("This invitation has already been answered; a survey is answered once.")
        self.store.add_response(Response(id=response_id, survey_id=survey.id, activity_id=survey.activity_id,
                                         stage=survey.stage, answers=answers, language=data["language"],
                                         submitted_at=now))
        self.store.answer_written(digest)
        return {"status": "recorded", "survey_id": survey.id, "thanks": {"zh": "感谢您的反馈！",
                                                                       "en": "Thank you for your answers!"}}

    # scores, synergy, plans and reports
    @rpc
    def scores(self, query: dict) -> dict:
        data = load(schemas.ScoreRequest(), query)
        term_id = data["term_id"] or term_of(utcnow(), _zone())
        activities = self.store.activities_in_term(term_id)
        responses = self.store.responses_by_activity([a["activity_id"] for a in activities])
        return {"term_id": term_id, "by": data["by"], "minimum_responses": _minimum(),
                "groups": scoring.scores_by(data["by"], activities, responses, _minimum())}

    @rpc
    def synergy(self, term_id: str) -> dict:
        data = load(schemas.ReportRequest(), {"term_id": term_id})
        activities = self.store.activities_in_term(data["term_id"])
        responses = self.store.responses_by_activity([a["activity_id"] for a in activities])
        return {"term_id": data["term_id"], **scoring.synergy_analysis(activities, responses, _minimum())}

    @rpc
    def set_term_plan(self, payload: dict, set_by: str, expected_rev: int | None = None) -> dict:
        """Set a term's plan; with ``expected_rev`` only on that revision (0: while the term has none)."""
        data = load(schemas.TermPlanInput(), payload)
        starts_on, ends_on = term_bounds(data["term_id"])
        plan = TermPlan(term_id=data["term_id"], starts_on=data["starts_on"] or starts_on,
                        ends_on=data["ends_on"] or ends_on, targets=data["targets"], set_by=str(set_by),
                        set_at=utcnow(), title=data["title"] or {})
        if plan.ends_on <= plan.starts_on:
            raise ValidationFailed("A term ends after it starts.", {"errors": {"ends_on": ["Before starts_on."]}})
        return self.store.save_plan(plan, expected_rev)

    @rpc
    def term_plan(self, term_id: str) -> dict:
        found = self.store.plan_as_set(str(term_id))
        if found is None:
            raise NotFound(f"No plan for term {term_id}.", {"term_id": term_id})
        plan, shown = found
        activities = self.store.activities_in_term(plan.term_id)
        responses = self.store.responses_by_activity([a["activity_id"] for a in activities])
        immediate = [r["answers"] for rs in responses.values() for r in rs if r["stage"] == IMMEDIATE]
        today = utcnow().astimezone(ZoneInfo(_zone())).date()
        revision = shown.pop(REVISION)
        return {"plan": shown, "progress": plan.progress(activities, immediate, today, _minimum()),
                REVISION: revision}

    def _report(self, term_id: str, unit: str | None) -> dict:
        activities = self.store.activities_in_term(term_id)
        ids = [a["activity_id"] for a in activities]
        now = utcnow()
        return reports.build(term_id=term_id, scope=unit or reports.COORDINATION_GROUP, activities=activities,
                             responses=self.store.responses_by_activity(ids), plan=self.store.plan(term_id),
                             partner_evaluations=self.store.partner_evaluations(ids), minimum=_minimum(),
                             now=now, today=now.astimezone(ZoneInfo(_zone())).date())

    @staticmethod
    def _rendered(report: dict, form: str) -> dict:
        if form == "csv":
            return {"format": "csv", "content_type": "text/csv; charset=utf-8", "body": reports.to_csv(report)}
        if form == "html":
            body = tpool.execute(reports.to_html, report)  # charts drawn in a thread: the service keeps serving
            return {"format": "html", "content_type": "text/html; charset=utf-8", "body": body}
        return {"format": "json", "content_type": "application/json", "body": report}

    @rpc
    def term_report(self, query: dict) -> dict:
        """The term report now, as ``{"format", "content_type", "body"}`` (body: data for JSON, text else)."""
        data = load(schemas.ReportRequest(), query)
        report = self._report(data["term_id"], data["unit"])
        if data["unit"] and not report["activities"]:
            raise RuleBroken(f"{data['unit']} organized no activity in {data['term_id']}.", {"field": "unit"})
        return self._rendered(report, data["format"])

    @rpc
    def term_end_report(self, query: dict) -> dict:
        """The report kept when the term ended, in the same three forms."""
        data = load(schemas.ReportRequest(), query)
        found = self.store.term_end_report(data["term_id"])
        if found is None:
            raise NotFound(f"No term-end report for {data['term_id']} yet.", {"term_id": data["term_id"]})
        return self._rendered(found, data["format"])

    def _term_end_report(self, plan: TermPlan) -> None:
        report = self._report(plan.term_id, None)
        event = announce("term_report.generated", {
            "term_id": plan.term_id, "report_path": f"/v1/terms/{plan.term_id}/report",
            "behind": [f"{t['dimension']}:{t.get('key') or 'all'}" for t in (report["plan"] or {}).get("behind", [])],
            "generated_at": report["generated_at"]}, subject=plan.term_id)
        self.store.mark_report_generated(plan.term_id, report, [event], utcnow())
