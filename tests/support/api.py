"""A small HTTP client for the gateway, and waiting for what happens asynchronously."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests


class Api:
    def __init__(self, base_url: str, key: str | None):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=15, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs) -> requests.Response:
        return self.session.post(self.base_url + path, json=json, timeout=15, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs) -> requests.Response:
        return self.session.put(self.base_url + path, json=json, timeout=15, **kwargs)

    def patch(self, path: str, json: Any = None, **kwargs) -> requests.Response:
        return self.session.patch(self.base_url + path, json=json, timeout=15, **kwargs)


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.1) -> Any:
    """Poll until ``check`` returns something truthy; fail with its last value otherwise."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
