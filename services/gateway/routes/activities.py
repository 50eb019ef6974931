"""Routes of joint activities: drafting, the lifecycle, organizers and their parts, listing and the calendar."""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.contracts.public import PUBLIC_STATUSES
from services.common.policy import Principal, authorize, reader_of
from services.events import schemas
from services.gateway import schemas as api
from services.gateway.http import (
    body_field,
    endpoint,
    expected_revision,
    json_page,
    json_response,
    paging,
    read_json,
    versioned_response,
)
from services.gateway.server import http

STEPS = "submit,publish,start,complete,archive"
DECISIONS = "approve,return,cancel,postpone"


def actor(principal: Principal) -> dict:
    """Who acts, as the events service records it (the coordination group has no partner of its own)."""
    return {"by": principal.key_id, "partner_id": principal.partner_id}


def query_of(request: Request) -> dict:
    return request.args.to_dict()


class ActivityRoutes:
    @http("POST", "/v1/activities")
    @endpoint(summary="Draft a joint activity (one lead, any co-organizers)", body=schemas.ActivityDraft,
              answers={201: api.ActivityView})
    def create_activity(self, request: Request) -> Response:
        authorize(self.principal, "activity.create", partner_id=body_field(request, "lead_organizer"))
        created = self.events.create_activity(read_json(request), actor(self.principal))
        return json_response(created, 201, {"Location": f"/v1/activities/{created['id']}"})

    @http("GET", "/v1/activities")
    @endpoint(summary="Find activities (a page; published ones unless status says otherwise)",
              query=schemas.ActivityFilter, answers={200: api.Page})
    def list_activities(self, request: Request) -> Response:
        authorize(self.principal, "activity.list")
        query = paging(request)
        if query.get("status") not in (None, *PUBLIC_STATUSES):  # drafts, approved, ...: not everybody's to see
            authorize(self.principal, "activity.list_unpublished", partner_id=query.get("organizer"))
        return json_page(request, self.events.list_activities(query, reader_of(self.principal, "activity.read")
                                                              .as_dict()))

    @http("GET", "/v1/calendar.ics")
    @endpoint(public=True, summary="The master calendar of published activities (iCalendar), no key needed",
              description="Published activities (and those published once, then cancelled or postponed) of every "
                          "unit, without personal data: a website or a calendar app subscribes to this URL. "
                          "Filters: organizer, theme, path, type, series, status (a public one), q, from, to.",
              query=schemas.CalendarFilter, answers={200: "text/calendar"}, cache_seconds=5)
    def activity_calendar(self, request: Request) -> Response:
        authorize(self.principal, "calendar.read")
        return Response(self.events.calendar(query_of(request)), content_type="text/calendar; charset=utf-8")

    @http("GET", "/v1/activities/<string:activity_id>")
    @endpoint(summary="Read an activity", answers={200: api.ActivityView})
    def get_activity(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "activity.read", activity_id=activity_id)
        reader = reader_of(self.principal, "activity.read")
        return versioned_response(self.events.get_activity(activity_id, reader.as_dict()))

    @http("PATCH", "/v1/activities/<string:activity_id>")
    @endpoint()
    def edit_activity(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "activity.edit", activity_id=activity_id)
        if body_field(request, "waive_reapproval") not in (None, False):  # moving it without a new approval
            authorize(self.principal, "activity.waive_reapproval", activity_id=activity_id)
        return versioned_response(self.events.edit_activity(activity_id, read_json(request), actor(self.principal),
                                                            expected_rev=expected_revision(request)))

    @http("POST", f"/v1/activities/<string:activity_id>/<any({STEPS}):step>")
    @endpoint()
    def activity_step(self, request: Request, activity_id: str, step: str) -> Response:
        """submit, publish, start, complete, archive: no body."""
        authorize(self.principal, f"activity.{step}", activity_id=activity_id)
        return json_response(getattr(self.events, f"{step}_activity")(activity_id, actor(self.principal)))

    @http("POST", f"/v1/activities/<string:activity_id>/<any({DECISIONS}):step>")
    @endpoint()
    def activity_decision(self, request: Request, activity_id: str, step: str) -> Response:
        """approve ({comments}), return ({reasons, comments}), cancel ({reason}), postpone ({reason, new times})."""
        authorize(self.principal, f"activity.{step}", activity_id=activity_id)
        body = read_json(request) if request.content_length or step != "approve" else {}
        return json_response(getattr(self.events, f"{step}_activity")(activity_id, body, actor(self.principal)))

    @http("POST", "/v1/activities/<string:activity_id>/occurrences")
    @endpoint(summary="The next occurrence of the activity's series: a new draft", body=schemas.Occurrence,
              answers={201: None})
    def add_occurrence(self, request: Request, activity_id: str) -> Response:
        """The next occurrence of the activity's series ({starts_at, ends_at}): a new draft."""
        authorize(self.principal, "activity.add_occurrence", activity_id=activity_id)
        created = self.events.add_occurrence(activity_id, read_json(request), actor(self.principal))
        return json_response(created, 201, {"Location": f"/v1/activities/{created['id']}"})

    @http("POST", "/v1/activities/<string:activity_id>/organizers")
    @endpoint()
    def add_co_organizer(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "activity.add_organizer", activity_id=activity_id)
        return json_response(self.events.add_co_organizer(activity_id, read_json(request), actor(self.principal)))

    @http("PUT", "/v1/activities/<string:activity_id>/organizers/<string:partner_id>/<any(contributions,tasks):part>")
    @endpoint()
    def set_organizer_part(self, request: Request, activity_id: str, partner_id: str, part: str) -> Response:
        """An organizer's own contributions or tasks, replaced as a whole (If-Match: the activity's ETag)."""
        authorize(self.principal, f"activity.edit_{part}", activity_id=activity_id, partner_id=partner_id)
        return versioned_response(getattr(self.events, f"set_{part}")(
            activity_id, partner_id, read_json(request), actor(self.principal),
            expected_rev=expected_revision(request)))
