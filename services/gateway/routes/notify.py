"""Routes of webhook endpoints and deliveries (always of one owner partner), inboxes and preferences."""
from __future__ import annotations

from werkzeug.wrappers import Request, Response

from services.common.policy import authorize
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

ENDPOINTS = "/v1/partners/<string:partner_id>/webhook-endpoints"
COORDINATION_GROUP = "coordination_group"


def _body(request: Request) -> dict:
    return read_json(request) if request.content_length or request.get_data(cache=True) else {}


class NotifyRoutes:
    # webhook endpoints of a partner
    @http("POST", ENDPOINTS)
    @endpoint(secrets=("secret",), answers={201: api.EndpointCreated})  # never kept for Idempotency-Key replays
    def register_endpoint(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "endpoint.register", partner_id=partner_id)
        created = self.notify.register_endpoint(partner_id, read_json(request))
        return json_response(created, 201, {"Location": f"/v1/partners/{partner_id}/webhook-endpoints/{created['id']}"})

    @http("GET", ENDPOINTS)
    @endpoint()
    def list_endpoints(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "endpoint.list", partner_id=partner_id)
        return json_response({"items": self.notify.list_endpoints(partner_id)})

    @http("GET", ENDPOINTS + "/<string:endpoint_id>")
    @endpoint(answers={200: api.EndpointView})
    def get_endpoint(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.read", partner_id=partner_id, endpoint_id=endpoint_id)
        return versioned_response(self.notify.get_endpoint(partner_id, endpoint_id))

    @http("PATCH", ENDPOINTS + "/<string:endpoint_id>")
    @endpoint()
    def update_endpoint(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.update", partner_id=partner_id, endpoint_id=endpoint_id)
        return versioned_response(self.notify.update_endpoint(partner_id, endpoint_id, read_json(request),
                                                              expected_rev=expected_revision(request)))

    @http("POST", ENDPOINTS + "/<string:endpoint_id>/rotate-secret")
    @endpoint(secrets=("secret",))  # never kept for Idempotency-Key replays
    def rotate_secret(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.rotate_secret", partner_id=partner_id, endpoint_id=endpoint_id)
        return json_response(self.notify.rotate_secret(partner_id, endpoint_id, _body(request)))

    @http("GET", ENDPOINTS + "/<string:endpoint_id>/deliveries")
    @endpoint(summary="Deliveries to an endpoint with every attempt, newest first (a page)",
              query=api.DeliveryPageQuery, answers={200: api.Page})
    def list_deliveries(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        authorize(self.principal, "delivery.list", partner_id=partner_id, endpoint_id=endpoint_id)
        return self._deliveries(request, partner_id, endpoint_id)

    def _deliveries(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        query = paging(request, passes_as="before", alias="before")
        return json_page(request, self.notify.deliveries_of(partner_id, endpoint_id, query))

    @http("POST", ENDPOINTS + "/<string:endpoint_id>/replay")
    @endpoint(summary="Send again every failed delivery since a time", answers={202: None})
    def replay_failed(self, request: Request, partner_id: str, endpoint_id: str) -> Response:
        authorize(self.principal, "delivery.replay", partner_id=partner_id, endpoint_id=endpoint_id)
        return json_response(self.notify.replay_failed(partner_id, endpoint_id, read_json(request)), 202)

    @http("GET", "/v1/partners/<string:partner_id>/webhook-deliveries/<string:delivery_id>")
    @endpoint()
    def get_delivery(self, request: Request, partner_id: str, delivery_id: str) -> Response:
        authorize(self.principal, "delivery.read", partner_id=partner_id, delivery_id=delivery_id)
        return json_response(self.notify.get_delivery(partner_id, delivery_id))

    @http("POST", "/v1/partners/<string:partner_id>/webhook-deliveries/<string:delivery_id>/replay")
    @endpoint(summary="Send one delivery again", answers={202: None})
    def replay_delivery(self, request: Request, partner_id: str, delivery_id: str) -> Response:
        authorize(self.principal, "delivery.replay", partner_id=partner_id, delivery_id=delivery_id)
        return json_response(self.notify.replay_delivery(partner_id, delivery_id), 202)

    # the first routes, kept: the owner named in the body, or found from the endpoint
    @http("POST", "/v1/webhook-endpoints")
    @endpoint(secrets=("secret",), answers={201: api.EndpointCreated})  # never kept for Idempotency-Key replays
    def register_endpoint_legacy(self, request: Request) -> Response:
        authorize(self.principal, "endpoint.register", partner_id=body_field(request, "owner_partner_id"))
        payload = read_json(request)
        owner = payload.pop("owner_partner_id", None) if isinstance(payload, dict) else None
        created = self.notify.register_endpoint(owner, payload)
        return json_response(created, 201, {"Location": f"/v1/partners/{owner}/webhook-endpoints/{created['id']}"})

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>")
    @endpoint(answers={200: api.EndpointView})
    def get_endpoint_legacy(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "endpoint.read", endpoint_id=endpoint_id)
        owner = self.notify.endpoint_owner(endpoint_id)
        return versioned_response(self.notify.get_endpoint(owner, endpoint_id))

    @http("GET", "/v1/webhook-endpoints/<string:endpoint_id>/deliveries")
    @endpoint(query=api.DeliveryPageQuery, answers={200: api.Page})
    def endpoint_deliveries_legacy(self, request: Request, endpoint_id: str) -> Response:
        authorize(self.principal, "delivery.list", endpoint_id=endpoint_id)
        return self._deliveries(request, self.notify.endpoint_owner(endpoint_id), endpoint_id)

    # emails that could not be sent (the coordination group's operators)
    @http("GET", "/v1/notify/emails")
    @endpoint()
    def list_emails(self, request: Request) -> Response:
        authorize(self.principal, "email.list")
        return json_response({"items": self.notify.emails(request.args.to_dict())})

    @http("POST", "/v1/notify/emails/<string:email_id>/retry")
    @endpoint(summary="Try again to send an email that failed", answers={202: None})
    def retry_email(self, request: Request, email_id: str) -> Response:
        authorize(self.principal, "email.retry", email_id=email_id)
        return json_response(self.notify.retry_email(email_id), 202)

    # inboxes
    def _inbox(self, request: Request, recipient: str) -> Response:
        query = paging(request, passes_as="before", alias="before")
        return json_page(request, self.notify.inbox_of(recipient, query))

    @http("GET", "/v1/partners/<string:partner_id>/inbox")
    @endpoint(summary="A partner's inbox, newest first (a page)", query=api.InboxPageQuery, answers={200: api.Page})
    def partner_inbox(self, request: Request, partner_id: str) -> Response:
        authorize(self.principal, "inbox.read", partner_id=partner_id)
        return self._inbox(request, partner_id)

    @http("POST", "/v1/partners/<string:partner_id>/inbox/<string:item_id>")
    @endpoint()
    def mark_partner_inbox_item(self, request: Request, partner_id: str, item_id: str) -> Response:
        authorize(self.principal, "inbox.mark", partner_id=partner_id, item_id=item_id)
        return json_response(self.notify.mark_inbox_item(partner_id, item_id, read_json(request)))

    @http("GET", "/v1/people/<string:person_id>/inbox")
    @endpoint(summary="A person's inbox, newest first (a page)", query=api.InboxPageQuery, answers={200: api.Page})
    def person_inbox(self, request: Request, person_id: str) -> Response:
        authorize(self.principal, "inbox.read", person_id=person_id)
        return self._inbox(request, f"person:{person_id}")

    @http("POST", "/v1/people/<string:person_id>/inbox/<string:item_id>")
    @endpoint()
    def mark_person_inbox_item(self, request: Request, person_id: str, item_id: str) -> Response:
        authorize(self.principal, "inbox.mark", person_id=person_id, item_id=item_id)
        return json_response(self.notify.mark_inbox_item(f"person:{person_id}", item_id, read_json(request)))

    @http("GET", "/v1/coordination-group/inbox")
    @endpoint(summary="The coordination group's inbox, newest first (a page)", query=api.InboxPageQuery,
              answers={200: api.Page})
    def coordination_inbox(self, request: Request) -> Response:
        authorize(self.principal, "inbox.read", recipient=COORDINATION_GROUP)
        return self._inbox(request, COORDINATION_GROUP)

    @http("POST", "/v1/coordination-group/inbox/<string:item_id>")
    @endpoint()
    def mark_coordination_inbox_item(self, request: Request, item_id: str) -> Response:
        authorize(self.principal, "inbox.mark", recipient=COORDINATION_GROUP, item_id=item_id)
        return json_response(self.notify.mark_inbox_item(COORDINATION_GROUP, item_id, read_json(request)))

    # people's notification preferences
    @http("GET", "/v1/people/<string:person_id>/notification-preferences")
    @endpoint()
    def get_preferences(self, request: Request, person_id: str) -> Response:
        authorize(self.principal, "preferences.read", person_id=person_id)
        return versioned_response(self.notify.get_preferences(person_id))

    @http("PUT", "/v1/people/<string:person_id>/notification-preferences")
    @endpoint()
    def set_preferences(self, request: Request, person_id: str) -> Response:
        authorize(self.principal, "preferences.update", person_id=person_id)
        return versioned_response(self.notify.set_preferences(person_id, read_json(request),
                                                              expected_rev=expected_revision(request)))
