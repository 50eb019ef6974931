"""Routes of the partner registry."""
from __future__ import annotations

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from services.gateway import schemas as api
from services.gateway.http import endpoint, json_page, json_response, read_json
from services.gateway.policy import authorize
from services.partners import schemas


class PartnerRoutes:
    @http("POST", "/v1/partners")
    @endpoint(summary="Register a partner", body=schemas.PartnerRegistration, answers={201: api.PartnerView})
    def register_partner(self, request: Request) -> Response:
        authorize(self.principal, "partner.register")
        created = self.partners.register_partner(read_json(request))
        return json_response(created, 201, {"Location": f"/v1/partners/{created['id']}"})

    @http("GET", "/v1/partners")
    @endpoint(summary="Find partners (a page)", query=schemas.PartnerFilter, answers={200: api.PartnerPage})
    def find_partners(self, request: Request) -> Response:
        authorize(self.principal, "partner.list")
        return json_page(request, self.partners.find_partners(request.args.to_dict()))

    @http("GET", "/v1/partners/<string:partner_id>")
    @endpoint(summary="Read a partner with its collaborations", answers={200: api.PartnerView})
    def get_partner(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.read", partner_id=partner_id)
        return json_response(self.partners.get_partner(partner_id))
