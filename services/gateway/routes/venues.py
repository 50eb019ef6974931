"""Routes of venues: library spaces and spaces partners offer, with their bookings."""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.policy import authorize, reader_of
from services.events import schemas
from services.gateway.http import endpoint, json_response, read_json
from services.gateway.server import http


class VenueRoutes:
    @http("POST", "/v1/venues")
    @endpoint(summary="Register a venue", body=schemas.VenueRegistration, answers={201: None})
    def register_venue(self, request: Request) -> Response:
        authorize(self.principal, "venue.register")
        created = self.events.register_venue(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/venues/{created['id']}"})

    @http("GET", "/v1/venues")
    @endpoint()
    def list_venues(self, request: Request) -> Response:
        authorize(self.principal, "venue.list")
        return json_response(self.events.list_venues())

    @http("GET", "/v1/venues/<string:venue_id>")
    @endpoint()
    def get_venue(self, request: Request, venue_id: str) -> Response:
        authorize(self.principal, "venue.read", venue_id=venue_id)
        reader = reader_of(self.principal, "activity.read")  # who reads a booking's activity whole reads the booking
        return json_response(self.events.get_venue(venue_id, reader.as_dict()))
