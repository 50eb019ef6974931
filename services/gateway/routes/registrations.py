"""Routes of registration, check-in, volunteers and each person's participation record.

A registration's own routes (read, cancel, its surveys) also take the attendee token sent to the person who
registered (``Authorization: Attendee att_…``), for that registration only; no other route takes it.
"""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.policy import authorize
from services.events import schemas
from services.gateway.http import endpoint, json_response, read_json
from services.gateway.pagefiles import page_response
from services.gateway.routes.activities import actor
from services.gateway.server import http

ACTIVITY = "/v1/activities/<string:activity_id>"


class RegistrationRoutes:
    @http("GET", "/attendee")
    @endpoint(public=True, summary="The attendee page the confirmation links to (the default ATTENDEE_PAGE_URL): "
                                   "shows and cancels the registration of the token in the link's fragment",
              answers={200: "text/html"}, tags=("attendees",))
    def attendee_page(self, request: Request) -> Response:
        return page_response("attendee.html")

    @http("POST", f"{ACTIVITY}/registrations")
    @endpoint(summary="Register a person (the answer carries the registration's attendee token, shown once)",
              body=schemas.RegistrationRequest, answers={201: None}, secrets=("attendee_token",))
    def register(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "registration.create", activity_id=activity_id)
        made = self.events.register(activity_id, read_json(request))
        location = f"/v1/activities/{activity_id}/registrations/{made['registration_id']}"
        return json_response(made, 201, {"Location": location})

    @http("GET", f"{ACTIVITY}/registrations")
    @endpoint()
    def registrations(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "registration.list", activity_id=activity_id)
        return json_response(self.events.registrations(activity_id, actor(self.principal)))

    @http("GET", f"{ACTIVITY}/registrations/<string:registration_id>")
    @endpoint(summary="A registration: state, place on the waitlist, check-in code (also with its attendee token)",
              attendees=True)
    def get_registration(self, request: Request, activity_id: str, registration_id: str) -> Response:
        authorize(self.principal, "registration.read", activity_id=activity_id, registration_id=registration_id)
        return json_response(self.events.get_registration(activity_id, registration_id))

    @http("POST", f"{ACTIVITY}/registrations/<string:registration_id>/cancel")
    @endpoint(summary="Cancel a registration (also with its attendee token)", attendees=True)
    def cancel_registration(self, request: Request, activity_id: str, registration_id: str) -> Response:
        authorize(self.principal, "registration.cancel", activity_id=activity_id, registration_id=registration_id)
        return json_response(self.events.cancel_registration(activity_id, registration_id))

    @http("GET", f"{ACTIVITY}/registrations/<string:registration_id>/surveys")
    @endpoint(summary="The outcome surveys of a registration's activity: when they open and close (also with its "
                      "attendee token; the answer links are only in the invitation emails)", attendees=True)
    def registration_surveys(self, request: Request, activity_id: str, registration_id: str) -> Response:
        authorize(self.principal, "registration.surveys", activity_id=activity_id, registration_id=registration_id)
        self.events.get_registration(activity_id, registration_id)  # 404 for a registration that is not there
        return json_response(self.evaluation.survey_invitations(activity_id) | {"registration_id": registration_id})

    @http("POST", f"{ACTIVITY}/check-ins")
    @endpoint()
    def check_in(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "registration.check_in", activity_id=activity_id)
        return json_response(self.events.check_in(activity_id, read_json(request), actor(self.principal)))

    @http("GET", "/v1/people/<string:person_id>/participation")
    @endpoint()
    def participation(self, request: Request, person_id: str) -> Response:
        authorize(self.principal, "participation.read", person_id=person_id)
        return json_response(self.events.participation(person_id))

    @http("GET", "/v1/participation")
    @endpoint(summary="Everyone's participation over a date range (from, to) or a term, cursor paged",
              description="For the youth league's second-classroom transcript system: one row per person and "
                          "activity, attended and confirmed volunteer hours; person ids only.",
              query=schemas.ParticipationExport)
    def participation_export(self, request: Request) -> Response:
        authorize(self.principal, "participation.export")
        return json_response(self.events.participation_export(request.args.to_dict()))

    @http("GET", "/v1/participation.csv")
    @endpoint(summary="Everyone's participation over a date range (from, to) or a term, as CSV",
              query=schemas.ParticipationCsv, answers={200: "text/csv"})
    def participation_csv(self, request: Request) -> Response:
        authorize(self.principal, "participation.export")
        text = self.events.participation_csv(request.args.to_dict())
        return Response(text, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="participation.csv"'})


class VolunteerRoutes:
    @http("POST", f"{ACTIVITY}/volunteer-<any(roles,shifts):part>")
    @endpoint(summary="Add a volunteer role or shift", answers={201: None})
    def add_volunteer_part(self, request: Request, activity_id: str, part: str) -> Response:
        """A volunteer role ({name, description}) or shift ({role_id, starts_at, ends_at, places})."""
        authorize(self.principal, f"volunteer.add_{part[:-1]}", activity_id=activity_id)
        add = self.events.add_volunteer_role if part == "roles" else self.events.add_volunteer_shift
        return json_response(add(activity_id, read_json(request), actor(self.principal)), 201)

    @http("GET", f"{ACTIVITY}/volunteer-shifts")
    @endpoint()
    def volunteer_shifts(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "volunteer.read_shifts", activity_id=activity_id)
        return json_response(self.events.volunteer_shifts(activity_id))

    @http("GET", f"{ACTIVITY}/volunteers")
    @endpoint()
    def volunteers(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "volunteer.list", activity_id=activity_id)
        return json_response(self.events.volunteering(activity_id, actor(self.principal)))

    @http("POST", f"{ACTIVITY}/volunteers")
    @endpoint(summary="Sign a person up for a volunteer shift", body=schemas.SignUp, answers={201: None})
    def sign_up_volunteer(self, request: Request, activity_id: str) -> Response:
        authorize(self.principal, "volunteer.sign_up", activity_id=activity_id)
        return json_response(self.events.sign_up_volunteer(activity_id, read_json(request)), 201)

    @http("POST", f"{ACTIVITY}/volunteers/<string:signup_id>/cancel")
    @endpoint()
    def cancel_volunteer(self, request: Request, activity_id: str, signup_id: str) -> Response:
        authorize(self.principal, "volunteer.cancel", activity_id=activity_id, signup_id=signup_id)
        return json_response(self.events.cancel_volunteer_sign_up(activity_id, signup_id))

    @http("POST", f"{ACTIVITY}/volunteers/<string:signup_id>/hours")
    @endpoint()
    def confirm_volunteer_hours(self, request: Request, activity_id: str, signup_id: str) -> Response:
        authorize(self.principal, "volunteer.confirm_hours", activity_id=activity_id, signup_id=signup_id)
        return json_response(self.events.confirm_volunteer_hours(activity_id, signup_id, read_json(request),
                                                                 actor(self.principal)))
