"""The gateway's routes: each one authenticates, parses, calls one service by RPC and answers.

No business rule lives here: services validate and decide; the gateway only translates.
"""
from __future__ import annotations

import eventlet
from nameko.rpc import RpcProxy
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.common import catalogue
from services.common.correlation import Correlation
from services.gateway.http import endpoint, json_response, read_json

SERVICES = ("partners", "events", "evaluation", "notify")
PING_TIMEOUT = 3.0


class GatewayService:
    name = "gateway"

    correlation = Correlation()
    partners = RpcProxy("partners")
    events = RpcProxy("events")
    evaluation = RpcProxy("evaluation")
    notify = RpcProxy("notify")

    # health
    @http("GET", "/health")
    @endpoint(public=True)
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    @http("GET", "/ready")
    @endpoint(public=True)
    def ready(self, request: Request) -> Response:
        checks = {}
        for name in SERVICES:
            try:
                with eventlet.Timeout(PING_TIMEOUT):
                    checks[name] = getattr(self, name).ping()
            except (Exception, eventlet.Timeout) as exc:  # noqa: BLE001 - any failure means not ready
                checks[name] = {"error": type(exc).__name__}
        ready = all("error" not in check for check in checks.values())
        return json_response({"ready": ready, "services": checks}, status=200 if ready else 503)

    # the event catalogue
    @http("GET", "/v1/catalogue/events")
    @endpoint(public=True)
    def event_catalogue(self, request: Request) -> Response:
        if "text/markdown" in request.headers.get("Accept", ""):
            return Response(catalogue.render_markdown(), content_type="text/markdown; charset=utf-8")
        return json_response(catalogue.as_json())

    # partners
    @http("POST", "/v1/partners")
    @endpoint()
    def register_partner(self, request: Request) -> Response:
        created = self.partners.register_partner(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/partners/{created['id']}"})

    @http("GET", "/v1/partners")
    @endpoint()
    def find_partners(self, request: Request) -> Response:
        return json_response(self.partners.find_partners(request.args.to_dict()))

    @http("GET", "/v1/partners/<string:partner_id>")
    @endpoint()
    def get_partner(self, request: Request, partner_id: str) -> Response:
        return json_response(self.partners.get_partner(partner_id))

    @http("GET", "/v1/partners/<string:partner_id>/inbox")
    @endpoint()
    def partner_inbox(self, request: Request, partner_id: str) -> Response:
        return json_response({"items": self.notify.inbox_of(partner_id)})

    # activities
    @http("POST", "/v1/activities")
    @endpoint()
    def create_activity(self, request: Request) -> Response:
        created = self.events.create_activity(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/activities/{created['id']}"})

    @http("GET", "/v1/activities/<string:activity_id>")
    @endpoint()
    def get_activity(self, request: Request, activity_id: str) -> Response:
        return json_response(self.events.get_activity(activity_id))

    @http("POST", "/v1/activities/<string:activity_id>/publish")
    @endpoint()
    def publish_activity(self, request: Request, activity_id: str) -> Response:
        return json_response(self.events.publish_activity(activity_id))

    @http("GET", "/v1/activities/<string:activity_id>/surveys")
    @endpoint()
    def activity_surveys(self, request: Request, activity_id: str) -> Response:
        return json_response(self.evaluation.surveys_for_activity(activity_id))

    # webhooks
    @http("POST", "/v1/webhook-endpoints")
    @endpoint()
    def register_endpoint(self, request: Request) -> Response:
        created = self.notify.register_endpoint(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/webhook-endpoints/{created['id']}"})

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>")
    @endpoint()
    def get_endpoint(self, request: Request, endpoint_id: str) -> Response:
        return json_response(self.notify.get_endpoint(endpoint_id))

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>/deliveries")
    @endpoint()
    def endpoint_deliveries(self, request: Request, endpoint_id: str) -> Response:
        return json_response({"items": self.notify.deliveries_of(endpoint_id)})
