"""Loading input through marshmallow schemas: unknown fields refused, Mongo operators never let through."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, pre_load

from services.common.errors import ValidationFailed


def forbidden_keys(value: Any, path: str = "") -> list[str]:
    """Paths of keys that start with ``$`` or contain ``.``: they must never reach a Mongo query or update."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or key.startswith("$") or "." in key or "\x00" in key:
                found.append(where)
            found.extend(forbidden_keys(item, where))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found.extend(forbidden_keys(item, f"{path}[{index}]"))
    return found


class StrictSchema(Schema):
    """Base of every input schema: unknown fields are errors, operator-like keys are errors."""

    class Meta:
        unknown = RAISE

    @pre_load
    def refuse_operator_keys(self, data: Any, **_: Any) -> Any:
        bad = forbidden_keys(data)
        if bad:
            raise ValidationError({key: ["Keys may not start with '$' or contain '.'."] for key in bad})
        return data


def load(schema: Schema, payload: Any, *, partial: bool = False) -> dict:
    """Validate and deserialize, or raise ``ValidationFailed`` naming every wrong field."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed("The body must be a JSON object.", {"errors": {"_schema": ["Expected an object."]}})
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed("The input is not valid.", {"errors": exc.normalized_messages()}) from None
