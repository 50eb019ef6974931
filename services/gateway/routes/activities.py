"""Routes of joint activities."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.events import schemas
from services.gateway import schemas as api
from services.gateway.http import body_field, endpoint, json_response, read_json
from services.gateway.policy import authorize


class ActivityRoutes:
    @http("POST", "/v1/activities")
    @endpoint(summary="Draft a joint activity (one lead, any co-organizers)", body=schemas.ActivityDraft,
              answers={201: api.ActivityView})
    def create_activity(self, request: Request) -> Response:
        authorize(self.principal, "activity.create", partner_id=body_field(request, "lead_organizer"))
        created = self.events.create_activity(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/activities/{created['id']}"})

    @http("GET", "/v1/activities/<string:activity_id>")
    @endpoint(summary="Read an activity", answers={200: api.ActivityView})
    def get_activity(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "activity.read", activity_id=activity_id)
        return json_response(self.events.get_activity(activity_id))

    @http("POST", "/v1/activities/<string:activity_id>/publish")
    @endpoint(summary="Publish an activity: every other service reacts", answers={200: api.ActivityView})
    def publish_activity(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "activity.publish", activity_id=activity_id)
        return json_response(self.events.publish_activity(activity_id))
