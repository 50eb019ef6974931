"""Routes of the partner registry."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway.http import endpoint, json_response, read_json


class PartnerRoutes:
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
