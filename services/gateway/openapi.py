"""The OpenAPI 3.1 document of the HTTP API, generated from the routes themselves and the marshmallow schemas.

Every ``@http`` route of the gateway service is an operation; what ``endpoint(...)`` was told (summary, body and
query schemas, answers) describes it, the request bodies being the services' own input schemas. The problems a
route can answer follow from what the ``endpoint`` machinery does (401, 403, 404, 413, 415, 422, 429, ...). The
action a route asks the policy about is read from its first ``authorize`` call (an f-string over the route's
``<any(...)>`` path part names one action per word it admits), and who may perform it from ``policy.RULES``:
``x-synergy-action`` and ``x-synergy-allowed`` (per word where the action depends on one), shown on the docs page.
"""
from __future__ import annotations

import ast
import functools
import html
import inspect
import re
import textwrap
from dataclasses import dataclass

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from nameko.web.handlers import HttpRequestHandler

from services.common.policy import ADMIN, RULES
from services.gateway import schemas
from services.gateway.http import IDEMPOTENCY_HEADER, MAX_ID_CHARS, RouteDoc

ANY_PART = re.compile(r"<any\(([^)]*)\):(\w+)>")  # a path part limited to a few words
PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?([A-Za-z_][A-Za-z0-9_]*)>")  # <id>, <string:id>, <any(a,b):step>

DESCRIPTION = """Synergy coordinates joint cultural work between a university library, its faculties and units,
and outside institutions. Every request but the health checks and these documents carries an API key:
`Authorization: Bearer syn_…`. Errors are `application/problem+json` (RFC 9457) with the wrong fields under
`errors`. A POST may carry `Idempotency-Key`: the same key with the same body answers the first answer again
(header `Idempotent-Replayed: true`), with another body 422. GET answers carry an `ETag`; updates take `If-Match`
(the change is made only on that version, else 412).
Lists are pages `{items, next_cursor}`: pass `cursor=<next_cursor>` for the next (also in a `Link: rel="next"`
header); `after` and `before`, the names some lists took before, are still accepted there (deprecated). Each key
may make a limited number of requests a minute on each gateway instance: beyond, 429 with `Retry-After`."""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str          # OpenAPI form: /v1/partners/{partner_id}
    name: str          # the handler's name, also the operationId
    doc: RouteDoc
    actions: tuple[tuple[str, str], ...]  # what the route asks the policy: (("", action),) or per path word
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()  # path parts limited to a few words: <any(a,b):step>

    @property
    def params(self) -> list[str]:
        return re.findall(r"{([^}]+)}", self.path)

    def matches(self, path: str) -> bool:
        """Whether a concrete path (``/v1/partners/prt_1``) is one of this operation's."""
        words = dict(self.choices)

        def part(found: re.Match) -> str:
            name = found.group(1)
            return "(?:" + "|".join(map(re.escape, words[name])) + ")" if name in words else "[^/]+"
        pattern = re.sub(r"\\{([^}]+)\\}", part, re.escape(self.path))
        return re.fullmatch(pattern, path) is not None

    def action(self) -> str | dict[str, str] | None:
        """``x-synergy-action``: the action, or {path word: action} where it depends on a word."""
        if not self.actions:
            return None
        return self.actions[0][1] if self.actions[0][0] == "" else dict(self.actions)

    def who(self) -> list[str] | dict[str, list[str]]:
        """``x-synergy-allowed``: who may perform the action (per path word, as ``action``)."""
        if self.doc.public:
            return ["anyone"]
        if not self.actions:
            return [ADMIN]
        allowed = {word: [ADMIN] + [f"{kind} ({scope})" if scope != "any" else kind
                                    for kind, scope in RULES.get(action, {}).items()]
                   for word, action in self.actions}
        return allowed[""] if "" in allowed else allowed


def action_names(url: str, node: ast.expr) -> list[tuple[str, str]]:
    """The actions an ``authorize`` call's action argument names: ``[("", action)]`` for a constant; for an
    f-string over the route's one ``<any(...):name>`` part, ``(word, action)`` for every word the URL admits."""
    if isinstance(node, ast.Constant):
        return [("", node.value)]
    if not isinstance(node, ast.JoinedStr):
        raise ValueError(f"{url}: the action must be a string or an f-string, not {ast.dump(node)}")
    choices = [(name, words.split(",")) for words, name in ANY_PART.findall(url)]
    if len(choices) != 1:
        raise ValueError(f"{url}: an f-string action needs exactly one <any(...)> part")
    ((name, words),) = choices
    template = compile(ast.Expression(node), "<action>", "eval")
    return [(word, eval(template, {}, {name: word})) for word in words]  # noqa: S307 - the routes' own source


def policy_calls(member) -> list[ast.Call]:
    """The ``authorize(...)`` calls in a route's source, in order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(inspect.unwrap(member))))
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "authorize"]
    return sorted(calls, key=lambda call: (call.lineno, call.col_offset))


@functools.lru_cache(maxsize=4)
def operations(service_cls) -> tuple[Operation, ...]:
    found = []
    for name, member in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if not isinstance(entrypoint, HttpRequestHandler) or "<everything:" in entrypoint.url:
                continue
            doc = getattr(member, "route_doc", RouteDoc())
            calls = policy_calls(member)
            actions = tuple(action_names(entrypoint.url, calls[0].args[1])) if calls else ()
            choices = tuple((part, tuple(words.split(","))) for words, part in ANY_PART.findall(entrypoint.url))
            for method in entrypoint.method.split(","):
                found.append(Operation(method.upper(), PARAM.sub(r"{\1}", entrypoint.url), name, doc,
                                       actions, choices))
    return tuple(sorted(found, key=lambda op: (op.path, op.method)))


CORRELATION = {"X-Correlation-Id": {"description": "follows the request through every service and log line",
                                     "schema": {"type": "string"}}}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "required": True,
                               "schema": {"type": "string", "pattern": "^[0-9]+$"}}}


def _problem(description: str, headers: dict | None = None) -> dict:
    return {"description": description, "headers": {**CORRELATION, **(headers or {})},
            "content": {"application/problem+json": {"schema": "Problem"}}}


def _operation(op: Operation) -> dict:
    doc = op.doc
    result: dict = {"operationId": op.name, "summary": doc.summary or op.name.replace("_", " ").capitalize(),
                    "tags": list(doc.tags) or [op.path.split("/")[2] if op.path.startswith("/v1/") else "system"]}
    if doc.description:
        result["description"] = doc.description
    if op.actions:
        result["x-synergy-action"] = op.action()
        result["x-synergy-allowed"] = op.who()
    id_schema = {"type": "string", "minLength": 1, "maxLength": MAX_ID_CHARS}
    words = dict(op.choices)
    parameters: list[dict] = [{"in": "path", "name": name, "required": True,
                               "schema": {"type": "string", "enum": list(words[name])} if name in words
                               else dict(id_schema)}
                              for name in op.params]
    if doc.query is not None:
        parameters.append({"in": "query", "schema": doc.query})
    if op.method == "POST" and not doc.public:
        parameters.append({"in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
                           "description": "retry safely: the same key and body answer the first answer again",
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[ -~]+$"}})
    if op.method in ("PATCH", "PUT"):
        parameters.append({"in": "header", "name": "If-Match", "required": doc.if_match_required,
                           "description": "the ETag of the copy you change: the change is made only if the object "
                                          "is still at that version (else 412)"
                                          + ("" if doc.if_match_required else "; without it, on the current "
                                             "version"),
                           "schema": {"type": "string"}})
    if parameters:
        result["parameters"] = parameters
    if doc.body is not None:
        result["requestBody"] = {"required": True, "content": {"application/json": {"schema": doc.body}}}
    responses: dict = {}
    for status, schema in (doc.answers or {200: None}).items():
        if isinstance(schema, str):  # a media type other than JSON
            content = {schema: {"schema": {"type": "string"}}}
        else:
            content = {"application/json": {"schema": schema if schema is not None else {"type": "object"}}}
        headers = dict(CORRELATION)
        if status == 201:
            headers["Location"] = {"description": "where the new object is", "required": True,
                                   "schema": {"type": "string"}}
        responses[str(status)] = {"description": "the answer", "headers": headers, "content": content}
    if op.method == "GET" and not doc.public:
        responses["304"] = {"description": "not modified (If-None-Match matched the ETag)"}
    if not doc.public:
        responses["401"] = _problem("no valid API key")
        responses["403"] = _problem("the key may not do this")
        responses["429"] = _problem("too many requests: see Retry-After", RETRY_AFTER)
        responses["503"] = _problem("a service did not answer in time: see Retry-After", RETRY_AFTER)
    if doc.public and doc.limited:
        responses["429"] = _problem("too many requests without a key from this address: see Retry-After",
                                    RETRY_AFTER)
    if op.params or op.actions:
        responses["404"] = _problem("no such object, or not one this key may see")
    if op.params:
        responses["405"] = _problem("this path does not answer this method (see Allow)")
        responses["422"] = _problem("invalid input: errors name each wrong field (also a malformed id)")
    if doc.body is not None or op.method in ("POST", "PUT", "PATCH"):  # any of them may read a body
        responses["400"] = _problem("malformed JSON or header, or JSON nested too deep")
        responses["408"] = _problem("the body did not arrive in time (API_BODY_READ_SECONDS)")
        responses["413"] = _problem("body too large")
        responses["415"] = _problem("not JSON")
    if doc.body is not None or doc.query is not None or op.method in ("POST", "PUT", "PATCH"):
        responses["422"] = _problem("invalid input: errors name each wrong field")
    if op.method == "POST" and not doc.public:
        responses["409"] = _problem("conflicts with the current state, or the same Idempotency-Key is in flight")
        responses.setdefault("400", _problem("malformed JSON or header"))
    if op.method in ("PATCH", "PUT"):
        responses["409"] = _problem("changed by someone else meanwhile")
        responses["412"] = _problem("If-Match does not match: read again")
        if doc.if_match_required:
            responses["428"] = _problem("If-Match missing")
    responses.update({str(status): _problem(why) for status, why in doc.refusals.items()})
    result["responses"] = dict(sorted(responses.items()))
    if doc.public:
        result["security"] = []
    elif doc.attendees:
        result["security"] = [{"apiKey": []}, {"attendeeToken": []}]
    return result


def _merged(first: dict, second: dict) -> dict:
    """One operation for two routes that share a path and a method, each taking other words in a path part
    (``/v1/activities/{activity_id}/{step}``: the lifecycle steps and the coordination group's decisions)."""
    merged = dict(first, responses=dict(sorted({**second["responses"], **first["responses"]}.items())))
    merged["operationId"] = f"{first['operationId']}_or_{second['operationId']}"
    for extension in ("x-synergy-action", "x-synergy-allowed"):  # each per word: the words of both
        if isinstance(first.get(extension), dict) and isinstance(second.get(extension), dict):
            merged[extension] = {**first[extension], **second[extension]}
    merged["summary"] = f"{first['summary']}; {second['summary']}"
    words = {p["name"]: p["schema"].get("enum") for p in second.get("parameters", []) if p["in"] == "path"}
    parameters = []
    for parameter in first.get("parameters", []):
        if parameter["in"] == "path" and parameter["schema"].get("enum") and words.get(parameter["name"]):
            enum = parameter["schema"]["enum"] + [w for w in words[parameter["name"]]
                                                  if w not in parameter["schema"]["enum"]]
            parameter = dict(parameter, schema=dict(parameter["schema"], enum=enum))
        parameters.append(parameter)
    merged["parameters"] = parameters
    return merged


@functools.lru_cache(maxsize=4)
def build(service_cls) -> dict:
    """The document (made once per service class; do not change what it returns)."""
    spec = APISpec(title="Synergy API", version="1.0.0", openapi_version="3.1.0", plugins=[MarshmallowPlugin()],
                   info={"description": DESCRIPTION})
    spec.components.security_scheme("apiKey", {"type": "http", "scheme": "bearer",
                                               "description": "an API key: syn_…"})
    spec.components.security_scheme("attendeeToken", {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "`Attendee att_…`: the attendee token sent to the person who registered; taken only by that "
                       "registration's own routes"})
    spec.components.schema("Problem", schema=schemas.Problem)
    by_path: dict[str, dict] = {}
    for op in operations(service_cls):
        ops = by_path.setdefault(op.path, {})
        method = op.method.lower()
        ops[method] = _merged(ops[method], _operation(op)) if method in ops else _operation(op)
    for path, ops in by_path.items():
        spec.path(path=path, operations=ops)
    document = spec.to_dict()
    document["security"] = [{"apiKey": []}]
    return document


def render_html(document: dict) -> str:
    """A readable page of the operations, rendered here: no script, no fetch from elsewhere."""
    esc = html.escape
    rows = []
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            body_name = body.get("$ref", "").rsplit("/", 1)[-1] if isinstance(body, dict) else ""
            params = ", ".join(f"{p['name']} ({p['in']})" for p in op.get("parameters", []))
            allowed = op.get("x-synergy-allowed", ["anyone"] if op.get("security") == [] else [])
            who = ("; ".join(f"{word}: {', '.join(kinds)}" for word, kinds in allowed.items())
                   if isinstance(allowed, dict) else ", ".join(allowed))
            rows.append(
                f"<tr><td><code>{esc(method.upper())}</code></td><td><code>{esc(path)}</code></td>"
                f"<td>{esc(op.get('summary', ''))}</td><td>{esc(params)}</td><td>{esc(body_name)}</td>"
                f"<td>{esc(', '.join(op['responses']))}</td>"
                f"<td>{esc(who)}</td></tr>")
    schemas_html = []
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        props = "".join(f"<li><code>{esc(field)}</code>: {esc(str(spec.get('type', spec.get('$ref', ''))))}"
                        f"{' (required)' if field in schema.get('required', []) else ''}</li>"
                        for field, spec in schema.get("properties", {}).items())
        schemas_html.append(f"<h3 id='{esc(name)}'>{esc(name)}</h3><ul>{props}</ul>")
    return ("<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Synergy API</title>"
            "<style>body{font-family:sans-serif;margin:2em}td,th{border-bottom:1px solid #ddd;padding:4px;"
            "text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>{esc(document['info']['title'])} {esc(document['info']['version'])}</h1>"
            f"<p>{esc(document['info']['description'])}</p>"
            "<p>Machine-readable: <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.1).</p>"
            "<table><tr><th>method</th><th>path</th><th>what</th><th>parameters</th><th>body</th>"
            "<th>answers</th><th>who may</th></tr>" + "".join(rows) + "</table><h2>Schemas</h2>"
            + "".join(schemas_html) + "</body></html>")
