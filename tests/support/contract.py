"""Checks an HTTP answer against the API's own OpenAPI document: documented status, media type and schema."""
from __future__ import annotations

import re
from typing import Any

import jsonschema_rs


def _inline(node: Any, components: dict) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(components[node["$ref"].rsplit("/", 1)[-1]], components)
        return {key: _inline(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, components) for item in node]
    return node


def check_answer(document: dict, method: str, path: str, response) -> list[str]:
    """What is wrong with ``response`` to ``method path`` (a template such as /v1/partners/{partner_id})."""
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:  # a route with a {step} part serves several literal paths
        for template, ops in document["paths"].items():
            pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            if method.lower() in ops and re.fullmatch(pattern, path):
                operation = ops[method.lower()]
                break
    if operation is None:
        return [f"{method} {path} is not documented"]
    answer = operation["responses"].get(str(response.status_code))
    if answer is None:
        return [f"{method} {path}: status {response.status_code} is not documented"]
    content = answer.get("content")
    if not content:
        return []
    media = response.headers.get("content-type", "").split(";")[0].strip()
    if media not in content:
        return [f"{method} {path} {response.status_code}: media type {media!r} not among {sorted(content)}"]
    if not media.endswith("json"):
        return []
    schema = _inline(content[media]["schema"], document.get("components", {}).get("schemas", {}))
    validator = jsonschema_rs.Draft202012Validator(schema)
    return [f"{method} {path} {response.status_code}: {error.message} at {list(error.instance_path)}"
            for error in validator.iter_errors(response.json())]
