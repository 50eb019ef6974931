"""Routes of outcome evaluation: surveys, responses by token, scores, synergy, term plans and reports."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http import endpoint, json_response, read_json
from services.gateway.policy import authorize


class EvaluationRoutes:
    @http("GET", "/v1/activities/<string:activity_id>/surveys")
    @endpoint()
    def activity_surveys(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "survey.read", activity_id=activity_id)
        return json_response(self.evaluation.surveys_for_activity(activity_id))

    @http("GET", "/v1/surveys/<string:survey_id>")
    @endpoint()
    def get_survey(self, request: Request, survey_id: str) -> Response:
        authorize(self.principal, "survey.read", survey_id=survey_id)
        return json_response(self.evaluation.get_survey(survey_id))

    @http("PUT", "/v1/surveys/<string:survey_id>/questions")
    @endpoint()
    def customise_survey(self, request: Request, survey_id: str) -> Response:
        authorize(self.principal, "survey.customise", survey_id=survey_id)
        return json_response(self.evaluation.customise_survey(survey_id, read_json(request)))

    @http("POST", "/v1/surveys/<string:survey_id>/close")
    @endpoint()
    def close_survey(self, request: Request, survey_id: str) -> Response:
        authorize(self.principal, "survey.close", survey_id=survey_id)
        return json_response(self.evaluation.close_survey(survey_id))

    # respondents hold a token, not an API key: the service checks the token
    @http("GET", "/v1/respond/<string:token>")
    @endpoint(public=True)
    def survey_form(self, request: Request, token: str) -> Response:
        language = "en" if request.args.get("lang", "zh").startswith("en") else "zh"
        return json_response(self.evaluation.survey_form(token, language), headers={"Cache-Control": "no-store"})

    @http("POST", "/v1/respond/<string:token>")
    @endpoint(public=True)
    def submit_response(self, request: Request, token: str) -> Response:
        return json_response(self.evaluation.submit_response(token, read_json(request)), 201,
                             {"Cache-Control": "no-store"})

    @http("GET", "/v1/scores")
    @endpoint()
    def scores(self, request: Request) -> Response:
        authorize(self.principal, "score.read", term_id=request.args.get("term_id"))
        return json_response(self.evaluation.scores(request.args.to_dict()))

    @http("GET", "/v1/terms/<string:term_id>/synergy")
    @endpoint()
    def synergy(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "synergy.read", term_id=term_id)
        return json_response(self.evaluation.synergy(term_id))

    @http("PUT", "/v1/terms/<string:term_id>/plan")
    @endpoint()
    def set_term_plan(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "plan.set", term_id=term_id)
        payload = read_json(request)
        if isinstance(payload, dict):
            payload = {**payload, "term_id": term_id}
        return json_response(self.evaluation.set_term_plan(payload, self.principal.key_id))

    @http("GET", "/v1/terms/<string:term_id>/plan")
    @endpoint()
    def term_plan(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "plan.read", term_id=term_id)
        return json_response(self.evaluation.term_plan(term_id))

    @http("GET", "/v1/terms/<string:term_id>/report")
    @endpoint()
    def term_report(self, request: Request, term_id: str) -> Response:
        unit = request.args.get("unit")
        authorize(self.principal, "report.read", term_id=term_id, partner_id=unit)
        return _report_response(self.evaluation.term_report(_report_query(request, term_id)))

    @http("GET", "/v1/terms/<string:term_id>/report/term-end")
    @endpoint()
    def term_end_report(self, request: Request, term_id: str) -> Response:
        authorize(self.principal, "report.read", term_id=term_id)
        return _report_response(self.evaluation.term_end_report(_report_query(request, term_id)))


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
