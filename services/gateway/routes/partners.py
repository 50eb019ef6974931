"""Routes of the partner registry, the qualification review, collaboration history and bulk work."""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.policy import Principal, authorize
from services.gateway import schemas as api
from services.gateway.http import (
    MAX_BODY_BYTES,
    BadRequest,
    endpoint,
    expected_revision,
    json_page,
    json_response,
    paging,
    read_json,
    versioned_response,
)
from services.gateway.server import http
from services.partners import schemas

CSV_TYPES = ("text/csv", "application/csv", "text/plain")


def actor(principal: Principal) -> str:
    """Who is acting, as recorded in the partner's history."""
    return principal.key_id


def may_see_contacts(principal: Principal, partner_id: str | None = None) -> bool:
    """Phone and email of contacts: the coordination group (admin today) and the partner itself."""
    return principal.is_admin or (partner_id is not None and principal.partner_id == partner_id)


def read_csv(request: Request) -> str:
    if (request.mimetype or "") not in CSV_TYPES:
        raise BadRequest(415, "Unsupported media type", "Send text/csv.", "media_type")
    raw = request.get_data(cache=False)
    if len(raw) > MAX_BODY_BYTES:
        raise BadRequest(413, "Body too large", f"At most {MAX_BODY_BYTES} bytes.", "too_large")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "Not UTF-8", "The CSV must be UTF-8 text.", "encoding") from None


class PartnerRoutes:
    @http("POST", "/v1/partners")
    @endpoint(summary="Register a partner", body=schemas.PartnerRegistration, answers={201: api.PartnerView})
    def register_partner(self, request: Request) -> Response:
        authorize(self.principal, "partner.register")
        created = self.partners.register_partner(read_json(request), actor=actor(self.principal))
        return json_response(created, 201, {"Location": f"/v1/partners/{created['id']}"})

    @http("GET", "/v1/partners")
    @endpoint(summary="Find partners (a page)", query=api.PartnerQuery, answers={200: api.PartnerPage})
    def find_partners(self, request: Request) -> Response:
        authorize(self.principal, "partner.list")
        return json_page(request, self.partners.find_partners(paging(request, passes_as="after", alias="after"),
                                                              include_private=may_see_contacts(self.principal)))

    @http("GET", "/v1/partners.csv")
    @endpoint(summary="Export partners as CSV", answers={200: "text/csv"})
    def export_partners(self, request: Request) -> Response:
        authorize(self.principal, "partner.export")
        text = self.partners.export_partners(request.args.to_dict(), include_private=may_see_contacts(self.principal))
        return Response(text, content_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="partners.csv"'})

    @http("POST", "/v1/partners/import")
    @endpoint(summary="Import partners from CSV (201 when some were registered, else 200)",
              answers={201: None, 200: None})
    def import_partners(self, request: Request) -> Response:
        authorize(self.principal, "partner.import")
        result = self.partners.import_partners(read_csv(request), request.args.to_dict(), actor=actor(self.principal))
        return json_response(result, 201 if result["imported"] else 200)

    @http("GET", "/v1/partners/imports/<string:import_id>")
    @endpoint()
    def get_import(self, request: Request, import_id: str) -> Response:
        authorize(self.principal, "partner.import.read", import_id=import_id)
        return json_response(self.partners.get_import(import_id))

    @http("POST", "/v1/partners/recommendations")
    @endpoint()
    def recommend_partners(self, request: Request) -> Response:
        authorize(self.principal, "partner.recommend")
        return json_response(self.partners.recommend_partners(read_json(request)))

    @http("GET", "/v1/partner-review-rubric")
    @endpoint()
    def get_rubric(self, request: Request) -> Response:
        authorize(self.principal, "partner.rubric.read")
        return versioned_response(self.partners.get_rubric())

    @http("PUT", "/v1/partner-review-rubric")
    @endpoint()
    def set_rubric(self, request: Request) -> Response:
        authorize(self.principal, "partner.rubric.set")
        return versioned_response(self.partners.set_rubric(read_json(request), actor=actor(self.principal),
                                                           expected_rev=expected_revision(request)))

    @http("GET", "/v1/partners/<string:partner_id>")
    @endpoint()
    def get_partner(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.read", partner_id=partner_id)
        return versioned_response(self.partners.get_partner(
            partner_id, include_private=may_see_contacts(self.principal, partner_id)))

    @http("PATCH", "/v1/partners/<string:partner_id>")
    @endpoint()
    def update_partner(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.update", partner_id=partner_id)
        return versioned_response(self.partners.update_partner(
            partner_id, read_json(request), actor=actor(self.principal), expected_rev=expected_revision(request),
            include_private=may_see_contacts(self.principal, partner_id)))

    @http("GET", "/v1/partners/<string:partner_id>/history")
    @endpoint()
    def partner_history(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.history.read", partner_id=partner_id)
        return json_response(self.partners.partner_history(partner_id))

    @http("GET", "/v1/partners/<string:partner_id>/review")
    @endpoint()
    def get_review(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.review.read", partner_id=partner_id)
        return json_response(self.partners.get_review(partner_id))

    @http("POST", "/v1/partners/<string:partner_id>/review")
    @endpoint()
    def start_review(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.review.start", partner_id=partner_id)
        body = read_json(request) if request.content_length else {}
        return json_response(self.partners.start_review(partner_id, body, actor=actor(self.principal)))

    @http("POST", "/v1/partners/<string:partner_id>/review/evidence")
    @endpoint()
    def add_evidence(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.review.evidence", partner_id=partner_id)
        return json_response(self.partners.add_evidence(partner_id, read_json(request), actor=actor(self.principal)))

    @http("POST", "/v1/partners/<string:partner_id>/review/scores")
    @endpoint()
    def score_review(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.review.score", partner_id=partner_id)
        return json_response(self.partners.score_review(partner_id, read_json(request), actor=actor(self.principal)))

    @http("POST", "/v1/partners/<string:partner_id>/review/decision")
    @endpoint()
    def decide_review(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "partner.review.decide", partner_id=partner_id)
        return json_response(self.partners.decide_review(partner_id, read_json(request),
                                                         actor=actor(self.principal)))

    @http("POST", "/v1/partners/<string:partner_id>/<any(suspend,reinstate,retire):step>")
    @endpoint()
    def change_partner_status(self, request: Request, partner_id: str, step: str) -> Response:
        authorize(self.principal, f"partner.{step}", partner_id=partner_id)
        body = read_json(request) if request.content_length else {}
        return json_response(self.partners.change_status(partner_id, step, body, actor=actor(self.principal)))


class AgreementRoutes:
    @http("POST", "/v1/agreements")
    @endpoint(summary="Record a signed agreement", body=schemas.AgreementDraft, answers={201: None})
    def sign_agreement(self, request: Request) -> Response:
        authorize(self.principal, "agreement.sign")
        created = self.partners.sign_agreement(read_json(request), actor=actor(self.principal))
        return json_response(created, 201, {"Location": f"/v1/agreements/{created['id']}"})

    @http("GET", "/v1/agreements")
    @endpoint(summary="Find agreements (a page)", query=api.AgreementQuery, answers={200: api.Page})
    def find_agreements(self, request: Request) -> Response:
        authorize(self.principal, "agreement.list")
        return json_page(request, self.partners.find_agreements(paging(request, passes_as="after", alias="after")))

    @http("GET", "/v1/agreements/<string:agreement_id>")
    @endpoint()
    def get_agreement(self, request: Request, agreement_id: str) -> Response:
        authorize(self.principal, "agreement.read", agreement_id=agreement_id)
        return json_response(self.principal.facts.agreement(agreement_id))

    @http("GET", "/v1/partners/<string:partner_id>/agreements")
    @endpoint()
    def partner_agreements(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "agreement.list", partner_id=partner_id)
        return json_response(self.partners.agreements_of(partner_id))

    @http("POST", "/v1/agreements/<string:agreement_id>/activities")
    @endpoint()
    def link_agreement_activity(self, request: Request, agreement_id: str) -> Response:
        authorize(self.principal, "agreement.link_activity", agreement_id=agreement_id)
        return json_response(self.partners.link_activity(agreement_id, read_json(request),
                                                         actor=actor(self.principal)))

    @http("POST", "/v1/agreements/check")
    @endpoint()
    def check_agreements(self, request: Request) -> Response:
        authorize(self.principal, "agreement.check")
        return json_response(self.partners.check_due(request.args.get("on")))
