"""Routes of outcome evaluation."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway import schemas as api
from services.gateway.http import endpoint, json_response
from services.gateway.policy import authorize


class EvaluationRoutes:
    @http("GET", "/v1/activities/<string:activity_id>/surveys")
    @endpoint(summary="The outcome surveys of an activity", answers={200: api.SurveyList})
    def activity_surveys(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "survey.read", activity_id=activity_id)
        return json_response(self.evaluation.surveys_for_activity(activity_id))
