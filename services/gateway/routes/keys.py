"""Routes of API keys: the coordination-group admin issues, lists, relabels and revokes them.

Keys belong to the gateway (authentication is its job), so these routes use the gateway's own store rather than
a service; the rules of keys live in gateway/apikeys.py.
"""
from __future__ import annotations

from datetime import timedelta

from werkzeug.wrappers import Request, Response

from services.common.clock import utcnow
from services.common.documents import REVISION
from services.common.errors import NotFound, PreconditionFailed, RuleBroken
from services.common.policy import PARTNER, authorize
from services.common.validation import load
from services.gateway import schemas
from services.gateway.apikeys import ApiKey
from services.gateway.http import (
    endpoint,
    expected_revision,
    json_page,
    paging,
    read_json,
    versioned_response,
)
from services.gateway.server import http


class ApiKeyRoutes:
    def _key(self, key_id: str) -> tuple[ApiKey, int]:
        found = self.store.key(str(key_id))
        if found is None:
            raise NotFound(f"No API key {key_id}.", {"key_id": key_id})
        return found

    @http("POST", "/v1/api-keys")
    @endpoint(summary="Issue an API key (shown once)", body=schemas.ApiKeyRequest,
              answers={201: schemas.ApiKeyCreated}, tags=("api keys",), secrets=("key",))
    def create_api_key(self, request: Request) -> Response:
        authorize(self.principal, "apikey.create")
        data = load(schemas.ApiKeyRequest(), read_json(request))
        if data.get("kind") == PARTNER:
            try:
                self.partners.get_partner(data["partner_id"])
            except NotFound:
                raise RuleBroken(f"{data['partner_id']} is not a registered partner.",
                                 {"field": "partner_id"}) from None
        now = utcnow()
        key, text = ApiKey.issue(kind=data["kind"], label=data["label"], partner_id=data.get("partner_id"),
                                 valid_for=timedelta(days=data["expires_in_days"]), now=now,
                                 created_by=self.principal.key_id)
        self.store.add_key(key)
        return versioned_response(key.view(now) | {"key": text, REVISION: 1}, 201,
                                  {"Location": f"/v1/api-keys/{key.id}"})

    @http("GET", "/v1/api-keys")
    @endpoint(summary="List API keys (never their secrets)", query=schemas.PageQuery,
              answers={200: schemas.ApiKeyPage}, tags=("api keys",))
    def list_api_keys(self, request: Request) -> Response:
        authorize(self.principal, "apikey.list")
        page = load(schemas.PageQuery(), paging(request, alias="after"))
        keys = self.store.list_keys(after=page.get("cursor"), limit=page["limit"])
        now = utcnow()
        next_cursor = keys[-1].id if len(keys) == page["limit"] else None
        return json_page(request, {"items": [key.view(now) for key in keys], "next_cursor": next_cursor})

    @http("GET", "/v1/api-keys/<string:key_id>")
    @endpoint(summary="Read an API key", answers={200: schemas.ApiKeyView}, tags=("api keys",))
    def get_api_key(self, request: Request, key_id: str) -> Response:
        authorize(self.principal, "apikey.read", key_id=key_id)
        key, rev = self._key(key_id)
        return versioned_response(key.view(utcnow()) | {REVISION: rev})

    @http("PATCH", "/v1/api-keys/<string:key_id>")
    @endpoint(summary="Relabel an API key (If-Match required)", body=schemas.ApiKeyUpdate,
              answers={200: schemas.ApiKeyView}, tags=("api keys",), if_match_required=True)
    def update_api_key(self, request: Request, key_id: str) -> Response:
        authorize(self.principal, "apikey.update", key_id=key_id)
        data = load(schemas.ApiKeyUpdate(), read_json(request))
        key, rev = self._key(key_id)
        wanted = expected_revision(request)  # present: the endpoint answered 428 without it
        if wanted is not None and wanted != rev:
            raise PreconditionFailed("The object changed since you read it; read it again.",
                                     {"revision": rev, "expected_revision": wanted})
        key.label = data["label"]
        rev = self.store.save_key(key, rev)
        return versioned_response(key.view(utcnow()) | {REVISION: rev})

    @http("POST", "/v1/api-keys/<string:key_id>/revoke")
    @endpoint(summary="Revoke an API key at once", answers={200: schemas.ApiKeyView}, tags=("api keys",))
    def revoke_api_key(self, request: Request, key_id: str) -> Response:
        authorize(self.principal, "apikey.revoke", key_id=key_id)
        key, rev = self._key(key_id)
        key.revoke(utcnow(), self.principal.key_id)
        rev = self.store.save_key(key, rev)
        return versioned_response(key.view(utcnow()) | {REVISION: rev})
