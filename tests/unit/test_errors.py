"""Declared errors cross RPC as themselves, so the gateway answers their status, not a 500."""
from __future__ import annotations

import pytest
from nameko.exceptions import deserialize, serialize

from services.common.errors import DECLARED


@pytest.mark.parametrize("error_class", DECLARED, ids=lambda cls: cls.__name__)
def test_every_declared_error_comes_back_from_rpc_as_itself_with_its_details(error_class):
    sent = error_class("act_1 changed meanwhile", {"id": "act_1"})
    received = deserialize(serialize(sent))
    assert type(received) is error_class
    assert received.message == "act_1 changed meanwhile" and received.details == {"id": "act_1"}
    assert received.status == error_class.status >= 400
