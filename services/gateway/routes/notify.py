"""Routes of webhook endpoints, deliveries and inboxes."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway import schemas as api
from services.gateway.http import body_field, endpoint, json_response, read_json
from services.gateway.policy import authorize
from services.notify import schemas


class NotifyRoutes:
    @http("POST", "/v1/webhook-endpoints")
    @endpoint(summary="Subscribe a partner system (the whsec_ secret is shown once)",
              body=schemas.EndpointRegistration, answers={201: api.EndpointCreated}, secrets=("secret",))
    def register_endpoint(self, request: Request) -> Response:
        authorize(self.principal, "endpoint.register", partner_id=body_field(request, "owner_partner_id"))
        created = self.notify.register_endpoint(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/webhook-endpoints/{created['id']}"})

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>")
    @endpoint(summary="Read a webhook endpoint (never its secret)", answers={200: api.EndpointView})
    def get_endpoint(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.read", endpoint_id=endpoint_id)
        return json_response(self.notify.get_endpoint(endpoint_id))

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>/deliveries")
    @endpoint(summary="Every delivery to an endpoint and its attempts", answers={200: api.ItemList})
    def endpoint_deliveries(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "delivery.list", endpoint_id=endpoint_id)
        return json_response({"items": self.notify.deliveries_of(endpoint_id)})

    @http("GET", "/v1/partners/<string:partner_id>/inbox")
    @endpoint(summary="A partner's inbox", answers={200: api.ItemList})
    def partner_inbox(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "inbox.read", partner_id=partner_id)
        return json_response({"items": self.notify.inbox_of(partner_id)})
