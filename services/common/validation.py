"""Loading input through marshmallow schemas, with the same rules for every input of every service.

Every input schema derives from ``StrictSchema`` (bodies, bus commands) or ``QuerySchema`` (query strings):
- unknown fields are errors; keys that start with ``$`` or contain ``.`` never reach a Mongo query;
- text holds no control characters but tab, line feed and carriage return, no lone surrogates and no
  non-characters (U+FFFE, U+FFFF, ...), in keys and values alike, however deep: a NUL byte in a name would
  otherwise cut comparisons and uniqueness checks;
- a body's values keep their JSON type: an integer field takes only an integer (not ``2.5``, ``"3"`` or
  ``true``), a number field only a number, a boolean field only ``true``/``false``. Fields get this when the
  schema is made (``StrictSchema.__init__``), so no schema states it field by field. A query string is text by
  nature: ``QuerySchema`` parses its numbers and booleans from text.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, pre_load

from services.common.errors import ValidationFailed

# C0 controls but \t \n \r, DEL and C1 controls, surrogates (lone ones: JSON's "\ud800"), non-characters
_PLANE_ENDS = "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(17))
UNCLEAN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef" + _PLANE_ENDS + "]")
MAX_JSON_DEPTH = 32        # objects and arrays inside each other; no input of Synergy nests half as deep
MAX_JSON_ITEMS = 100_000   # members and elements in the whole document
UNCLEAN_TEXT = "Text may not contain control characters or non-characters."
OPERATOR_KEY = "Keys may not start with '$' or contain '.'."


def is_clean(text: str) -> bool:
    return UNCLEAN.search(text) is None


def forbidden_keys(value: Any, path: str = "") -> list[str]:
    """Paths of keys that start with ``$`` or contain ``.``: they must never reach a Mongo query or update."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if not isinstance(key, str) or key.startswith("$") or "." in key:
                found.append(where)
            found.extend(forbidden_keys(item, where))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found.extend(forbidden_keys(item, f"{path}[{index}]"))
    return found


def unclean_text(value: Any) -> dict | list | None:
    """Where ``value`` holds unclean text, shaped like marshmallow's messages (``{"name": {"en": [...]}}``)."""
    if isinstance(value, str):
        return None if is_clean(value) else [UNCLEAN_TEXT]
    if isinstance(value, Mapping):
        found = {}
        for key, item in value.items():
            inner = [UNCLEAN_TEXT] if isinstance(key, str) and not is_clean(key) else unclean_text(item)
            if inner:
                found[key if isinstance(key, str) and is_clean(key) else repr(key)] = inner
        return found or None
    if isinstance(value, (list, tuple)):
        found = {index: inner for index, item in enumerate(value) if (inner := unclean_text(item))}
        return found or None
    return None


def _only(kind: type | tuple[type, ...], field: fields.Field) -> Callable:
    """The field's own deserializer, preceded by a check that the value has the JSON type ``kind``."""
    deserialize = field._deserialize

    def typed(value: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise field.make_error("invalid")
        return deserialize(value, *args, **kwargs)
    return typed


def strict_types(field: fields.Field) -> None:
    """Make ``field`` (and the fields inside it: list items, dict keys and values) take only its JSON type."""
    if isinstance(field, fields.Integer):
        field.strict = True
    elif isinstance(field, fields.Number):
        field._deserialize = _only((int, float), field)
    elif isinstance(field, fields.Boolean):
        field._deserialize = _only(bool, field)
    inner = [getattr(field, "inner", None), getattr(field, "key_field", None), getattr(field, "value_field", None),
             *getattr(field, "tuple_fields", ())]
    for part in inner:
        if isinstance(part, fields.Field):
            strict_types(part)


class StrictSchema(Schema):
    """Base of every input schema: unknown fields, operator-like keys, unclean text and coerced values are
    errors."""

    STRICT_TYPES = True

    class Meta:
        unknown = RAISE

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if self.STRICT_TYPES:
            for field in self.fields.values():
                strict_types(field)

    @pre_load
    def refuse_operator_keys(self, data: Any, **_: Any) -> Any:
        bad = forbidden_keys(data)
        if bad:
            raise ValidationError({key: [OPERATOR_KEY] for key in bad})
        unclean = unclean_text(data)
        if unclean:
            raise ValidationError(unclean)
        return data


class QuerySchema(StrictSchema):
    """Base of the schemas of query strings: every value arrives as text, so numbers and booleans are parsed."""

    STRICT_TYPES = False


def load(schema: Schema, payload: Any, *, partial: bool = False) -> dict:
    """Validate and deserialize, or raise ``ValidationFailed`` naming every wrong field."""
    if not isinstance(payload, Mapping):
        raise ValidationFailed("The body must be a JSON object.", {"errors": {"_schema": ["Expected an object."]}})
    try:
        return schema.load(payload, partial=partial)
    except ValidationError as exc:
        raise ValidationFailed("The input is not valid.", {"errors": exc.normalized_messages()}) from None


class JsonRefused(ValueError):
    """A JSON document refused before any schema sees it: ``code`` is malformed_json, json_too_deep or
    json_too_large (HTTP bodies and bus commands alike)."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def json_shape_problem(value: Any) -> JsonRefused | None:
    """Why a parsed JSON value is refused (nested too deep, too many items), or None. Walked without recursion."""
    pending, items = [(value, 1)], 0
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > MAX_JSON_DEPTH:
            return JsonRefused("json_too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        items += len(children)
        if items > MAX_JSON_ITEMS:
            return JsonRefused("json_too_large", f"More than {MAX_JSON_ITEMS} JSON members and elements.")
        pending.extend((child, depth + 1) for child in children)
    return None


def bounded_json(raw: bytes | str) -> Any:
    """``raw`` parsed as JSON within the depth and size bounds, or ``JsonRefused`` saying why not."""
    try:
        parsed = json.loads(raw)
    except RecursionError:
        raise JsonRefused("json_too_deep", f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
    except (TypeError, ValueError) as exc:
        raise JsonRefused("malformed_json", str(exc)) from None
    problem = json_shape_problem(parsed)
    if problem is not None:
        raise problem
    return parsed
