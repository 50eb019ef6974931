"""Routes of webhook endpoints, deliveries and inboxes."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http import endpoint, json_response, read_json
from services.gateway.policy import authorize


class NotifyRoutes:
    @http("POST", "/v1/webhook-endpoints")
    @endpoint()
    def register_endpoint(self, request: Request) -> Response:
        authorize(self.principal, "endpoint.register")
        created = self.notify.register_endpoint(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/webhook-endpoints/{created['id']}"})

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>")
    @endpoint()
    def get_endpoint(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.read", endpoint_id=endpoint_id)
        return json_response(self.notify.get_endpoint(endpoint_id))

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>/deliveries")
    @endpoint()
    def endpoint_deliveries(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "delivery.list", endpoint_id=endpoint_id)
        return json_response({"items": self.notify.deliveries_of(endpoint_id)})

    @http("GET", "/v1/partners/<string:partner_id>/inbox")
    @endpoint()
    def partner_inbox(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "inbox.read", partner_id=partner_id)
        return json_response({"items": self.notify.inbox_of(partner_id)})
