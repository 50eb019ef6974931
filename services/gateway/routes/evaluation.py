"""Routes of outcome evaluation: surveys, responses by token, scores, synergy, term plans and reports."""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common import tokens
from services.common.policy import authorize
from services.evaluation import schemas
from services.gateway import schemas as api
from services.gateway.http import BadRequest, endpoint, expected_revision, json_response, read_json, versioned_response
from services.gateway.pagefiles import page_response
from services.gateway.server import http

SURVEY_TOKEN_REFUSALS = {401: "no `Authorization: Survey svt_…` of the right form",
                         404: "no survey has this token"}
STAGE = "<string:stage>"  # immediate | follow_up (evaluation answers 404 for anything else)


class EvaluationRoutes:
    @http("GET", "/v1/activities/<string:activity_id>/surveys")
    @endpoint(summary="The outcome surveys of an activity", answers={200: api.SurveyList})
    def activity_surveys(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "survey.read", activity_id=activity_id)
        return json_response(self.evaluation.surveys_for_activity(activity_id))

    @http("GET", f"/v1/activities/<string:activity_id>/surveys/{STAGE}")
    @endpoint(summary="One outcome survey of an activity (immediate or follow-up)")
    def get_survey(self, request: Request, activity_id: str, stage: str) -> Response:
        authorize(self.principal, "survey.read", activity_id=activity_id)
        return versioned_response(self.evaluation.get_survey(activity_id, stage))

    @http("PUT", f"/v1/activities/<string:activity_id>/surveys/{STAGE}/questions")
    @endpoint(summary="Organizers' own questions, window and topic, before the survey opens",
              body=schemas.SurveyCustomisation)
    def customise_survey(self, request: Request, activity_id: str, stage: str) -> Response:
        authorize(self.principal, "survey.customise", activity_id=activity_id)
        return versioned_response(self.evaluation.customise_survey(activity_id, stage, read_json(request),
                                                                   expected_rev=expected_revision(request)))

    @http("POST", f"/v1/activities/<string:activity_id>/surveys/{STAGE}/close")
    @endpoint(summary="Close an open survey before its window ends")
    def close_survey(self, request: Request, activity_id: str, stage: str) -> Response:
        authorize(self.principal, "survey.close", activity_id=activity_id)
        return json_response(self.evaluation.close_survey(activity_id, stage))

    # respondents hold a token, not an API key: evaluation checks it. It comes in a header, never in the path
    # (access logs keep paths); the invitation links to /respond#<token>, whose fragment browsers never send.
    @http("GET", "/respond")
    @endpoint(public=True, summary="The survey page invitations link to: it reads the token from the link's "
                                   "fragment and sends it as `Authorization: Survey <token>`",
              answers={200: "text/html"}, tags=("respondents",))
    def respond_page(self, request: Request) -> Response:
        return page_response("respond.html")

    @http("GET", "/v1/respond")
    @endpoint(public=True, summary="The survey an invitation token (`Authorization: Survey svt_…`) opens, in one "
                                   "language (?lang=zh|en)", refusals=SURVEY_TOKEN_REFUSALS)
    def survey_form(self, request: Request) -> Response:
        language = "en" if request.args.get("lang", "zh").startswith("en") else "zh"
        return json_response(self.evaluation.survey_form(survey_token(request), language),
                             headers={"Cache-Control": "no-store"})

    @http("POST", "/v1/respond")
    @endpoint(public=True, summary="Answer a survey, once per invitation token (`Authorization: Survey svt_…`)",
              body=schemas.ResponseSubmission, answers={201: None}, idempotent=False,
              refusals={**SURVEY_TOKEN_REFUSALS, 409: "answered already, or the survey is not open"})
    def submit_response(self, request: Request) -> Response:
        return json_response(self.evaluation.submit_response(survey_token(request), read_json(request)), 201,
                             {"Cache-Control": "no-store"})

    @http("GET", "/v1/scores")
    @endpoint(summary="Outcome scores of a term by activity, organizer, path, type, level, term or joint",
              query=schemas.ScoreRequest)
    def scores(self, request: Request) -> Response:
        authorize(self.principal, "score.read")
        return json_response(self.evaluation.scores(request.args.to_dict()))

    @http("GET", "/v1/terms/<string:term_id>/synergy")
    @endpoint(summary="Do joint activities do better? Co-organized against single, and by level")
    def synergy(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "synergy.read")
        return json_response(self.evaluation.synergy(term_id))

    @http("PUT", "/v1/terms/<string:term_id>/plan")
    @endpoint(summary="Set the term plan: targets per path, type, aim, level and outcome", body=schemas.TermPlanInput)
    def set_term_plan(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "plan.set")
        payload = read_json(request)
        if isinstance(payload, dict):
            payload = {**payload, "term_id": term_id}
        return versioned_response(self.evaluation.set_term_plan(payload, self.principal.key_id,
                                                                expected_rev=expected_revision(request)))

    @http("GET", "/v1/terms/<string:term_id>/plan")
    @endpoint(summary="The term plan and the progress against each target")
    def term_plan(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "plan.read")
        return versioned_response(self.evaluation.term_plan(term_id))

    @http("GET", "/v1/terms/<string:term_id>/report")
    @endpoint(summary="The term report (JSON, CSV or HTML with charts); ?unit=prt_… for one unit's",
              query=schemas.ReportRequest, answers={200: None})
    def term_report(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "report.read", partner_id=request.args.get("unit"))
        return _report_response(self.evaluation.term_report(_report_query(request, term_id)))

    @http("GET", "/v1/terms/<string:term_id>/report/term-end")
    @endpoint(summary="The report kept when the term ended (JSON, CSV or HTML)", query=schemas.ReportRequest)
    def term_end_report(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "report.read", partner_id=None)
        return _report_response(self.evaluation.term_end_report(_report_query(request, term_id)))


def survey_token(request: Request) -> str:
    """The token of ``Authorization: Survey svt_…``; 401 when there is none of that form."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme != "Survey" or not tokens.looks_like(token.strip(), tokens.SURVEY):
        raise BadRequest(401, "Survey token required", "Send the invitation's token as "
                         "`Authorization: Survey svt_…`.", "token")
    return token.strip()


def _report_query(request: Request, term_id: str) -> dict:
    """The query string, with the format from ``Accept`` when it is not named."""
    query = {**request.args.to_dict(), "term_id": term_id}
    if "format" not in query:
        accept = request.headers.get("Accept", "")
        query["format"] = "html" if "text/html" in accept else "csv" if "text/csv" in accept else "json"
    return query


def _report_response(answer: dict) -> Response:
    if answer["format"] == "json":
        return json_response(answer["body"])
    return Response(answer["body"], content_type=answer["content_type"])
