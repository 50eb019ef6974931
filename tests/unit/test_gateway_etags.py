"""ETags of versioned objects and If-Match: the tag names the revision, the owning service compares and sets.

The race itself is shown where the write happens (tests/integration/test_stores.py) and over HTTP on the real
cluster (tests/e2e/test_api_updates.py); here: the tag's form, reading If-Match, and that every update route
passes what it read on to the service.
"""
from __future__ import annotations

import inspect
import json

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.gateway import openapi
from services.gateway.http import NO_REVISION, expected_revision, revision_etag, versioned_response
from services.gateway.service import GatewayService


def request_with(if_match: str | None) -> Request:
    headers = {"If-Match": if_match} if if_match is not None else {}
    return Request(EnvironBuilder(method="PATCH", path="/v1/x", headers=headers).get_environ())


def test_a_versioned_answer_carries_its_revision_in_the_etag_not_in_the_body():
    answer = versioned_response({"id": "prt_1", "name": "x", "revision": 7})
    assert json.loads(answer.get_data()) == {"id": "prt_1", "name": "x"}
    tag = answer.headers["ETag"]
    assert tag.startswith('"r7-') and tag == revision_etag(7, answer.get_data(as_text=True))
    assert expected_revision(request_with(tag)) == 7
    other = versioned_response({"id": "prt_1", "name": "y", "revision": 7})
    assert other.headers["ETag"] != tag, "another body at the same revision (a derived part changed): another tag"


@pytest.mark.parametrize("header, expected", [
    (None, None),                                   # no If-Match: the current revision, whatever it is
    ("*", None),
    ('"r3-0123456789abcdef"', 3),
    ('"rev-1", "r3-0123456789abcdef"', 3),          # tags that cannot match are passed over
    ('"r3-0123456789abcdef", "r3-fedcba9876543210"', 3),
])
def test_if_match_names_the_revision_the_service_compares(header, expected):
    assert expected_revision(request_with(header)) == expected


@pytest.mark.parametrize("header", ['"abc"', 'W/"r3-0123456789abcdef"', "r3-0123456789abcdef", "",
                                    '"r1-0123456789abcdef", "r2-0123456789abcdef"', '"r-1-0123456789abcdef"'])
def test_an_if_match_that_names_no_single_revision_expects_one_no_object_is_at(header):
    """The service refuses it (412) once it has checked the body (bad input stays 422 whatever the header)."""
    assert expected_revision(request_with(header)) == NO_REVISION < 0


def update_routes() -> list[openapi.Operation]:
    return [op for op in openapi.operations(GatewayService) if op.method in ("PUT", "PATCH")]


def test_every_update_route_hands_if_match_to_the_owning_service_and_answers_the_etag():
    for op in update_routes():
        source = inspect.getsource(inspect.unwrap(getattr(GatewayService, op.name)))
        if op.path.startswith("/v1/api-keys/"):  # the gateway's own object: its own compare-and-set, same tags
            assert "expected_revision(request)" in source and "PreconditionFailed(" in source, op.name
        else:
            assert "expected_rev=expected_revision(request)" in source, f"{op.name} ignores If-Match"
        assert "versioned_response(" in source, f"{op.name} answers no ETag"


def test_the_document_says_if_match_is_optional_except_for_api_keys():
    document = openapi.build(GatewayService)
    for op in update_routes():
        described = document["paths"][op.path][op.method.lower()]
        header = next(p for p in described["parameters"] if p["name"] == "If-Match")
        required = op.path.startswith("/v1/api-keys/")
        assert header["required"] is required, op.path
        assert "412" in described["responses"] and ("428" in described["responses"]) is required, op.path
