"""OpenAPI 3.1 document built from the route table's operations and their pydantic models, and the route serving it.

It needs every operation, so it imports every module the route table (chalicelib/routes.py) names and every
model: it sits above the endpoints, and no endpoint imports it. A request for any other route never loads it
(chalicelib/router.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from chalicelib.endpoints.answers import ErrorBody
from chalicelib.endpoints.registry import OPERATIONS, Operation, operation_of
from chalicelib.endpoints.system import VERSION
from chalicelib.http import HttpRequest, HttpResponse, json_response
from chalicelib.routes import TABLE, ModelRef

if TYPE_CHECKING:
    from pydantic import BaseModel

_PARAM = re.compile(r"{(\w+)}")
_ERROR_STATUSES = {
    400: "Malformed request (bad JSON, bad cursor)",
    401: "Missing or invalid credentials or signature",
    403: "Refused: not this caller's to do",
    404: "Unknown shop or resource",
    409: "Conflicts with what is stored",
    410: "The data behind this link was erased at the buyer's request",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Validation failed; details name the field",
    429: "Too many of these for now; try again after Retry-After seconds",
    503: (
        "The database is busy or did not answer; nothing was half-done, deliver again after Retry-After seconds"
        " (or, with code not_configured, the service lacks a secret it needs and refuses rather than fall back)"
    ),
}
_REASONS = {
    "missing": "no credential",
    "invalid": "a credential that does not verify",
    "other_shop": "another shop's key",
    "ended": "a session ended by sign-out, a new owner key or its expiry",
    "stale_form": "a stale dashboard form (CSRF)",
    "unknown_shop": "a shop domain we do not know",
    "stale": "a signature timestamp outside the tolerance",
    "expired": "an expired link",
}


def all_operations() -> dict[str, Operation]:
    """Every operation of the route table, each module it names imported (this one among them)."""
    from importlib import import_module

    for route in TABLE:
        operation_of(getattr(import_module(route.module), route.name))
    return OPERATIONS


def _model(kind: type[BaseModel] | ModelRef) -> type[BaseModel]:
    return kind.resolve() if isinstance(kind, ModelRef) else kind


def _is_error_body(kind: Any) -> bool:
    return not isinstance(kind, (str, tuple)) and _model(kind) is ErrorBody


def _ref(model: Any) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _body_model(op: Operation) -> type[BaseModel] | None:
    return None if op.body is None else _model(op.body)


def _refusals(op: Operation, status: int) -> str:
    """Why the operation's authorizer answers this status, in words."""
    reasons = [_REASONS.get(r, r) for r, s in (op.auth.refusals.items() if op.auth else ()) if s == status]
    return "Refused by the operation's auth: " + "; ".join(reasons) if reasons else _ERROR_STATUSES[status]


def _takes_files(body: type[BaseModel]) -> bool:
    """A form model with a file field (`format: binary`, chalicelib/http.py form_files reads it)."""
    return any(
        isinstance(spec.json_schema_extra, dict) and spec.json_schema_extra.get("format") == "binary"
        for spec in body.model_fields.values()
    )


def _error_statuses(op: Operation) -> list[int]:
    """The error answers an operation can give, from what it declares: auth, body, method."""
    statuses = {400, 404, 503}
    if op.body is not None or op.form or op.raw_body:
        statuses |= {413, 415, 422}
    if op.auth is not None:
        statuses |= set(op.auth.refusals.values())  # exactly what the registry's authorizer refuses with
    if op.method in ("POST", "PATCH", "PUT"):
        statuses.add(409)
    statuses |= {status for status, kind in op.responses.items() if _is_error_body(kind)}
    return sorted(statuses)


def _responses(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, kind in op.responses.items():
        if _is_error_body(kind):
            continue
        if isinstance(kind, (str, tuple)):
            media_types = (kind,) if isinstance(kind, str) else kind
            out[str(status)] = {"description": "OK"}
            if any(media_types):
                out[str(status)]["content"] = {media: {"schema": {}} for media in media_types}
        else:
            model = _model(kind)
            content: dict[str, Any] = {"application/json": {"schema": _ref(model)}}
            if op.page and op.form:
                content["text/html"] = {"schema": {"type": "string"}}  # the page a form post is answered with
            out[str(status)] = {"description": model.__doc__ or "OK", "content": content}
    error_content: dict[str, Any] = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    if op.page:
        # A browser (Accept: text/html) or a form post is answered with a readable page instead.
        error_content["text/html"] = {"schema": {"type": "string"}}
    for status in _error_statuses(op):
        answer: dict[str, Any] = {"description": _refusals(op, status), "content": error_content}
        if status in (429, 503):
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
        out.setdefault(str(status), answer)
    return out


def build_spec(version: str) -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    # In path order, whichever requests loaded which modules first: the same document from every instance.
    operations = sorted(all_operations().values(), key=lambda o: (o.path, o.method))
    models: dict[str, Any] = {ErrorBody.__name__: ErrorBody}
    for op in operations:
        body = _body_model(op)
        if body is not None:
            models[body.__name__] = body
        for kind in op.responses.values():
            if not isinstance(kind, (str, tuple)):
                found = _model(kind)
                models[found.__name__] = found
    inline, schema = models_json_schema(
        [(m, "validation") for m in models.values()], ref_template="#/components/schemas/{model}"
    )
    components: dict[str, Any] = schema.get("$defs", {})
    for (model, _), model_schema in inline.items():
        # pydantic writes a root model's schema in place; give it its name so every body is a $ref.
        components.setdefault(model.__name__, model_schema)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        parameters: list[dict[str, Any]] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": op.params.get(name, {"type": "string", "minLength": 1}),
            }
            for name in _PARAM.findall(op.path)
        ]
        parameters += [
            {
                "name": name,
                "in": "query",
                "required": name in op.required_query,
                "description": text,
                "schema": op.params.get(name, {"type": "string"}),
            }
            for name, text in op.query.items()
        ]
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": [op.tag],
            "responses": _responses(op),
        }
        if parameters:
            entry["parameters"] = parameters
        if op.auth is not None:
            entry["description"] = f"Auth ({op.auth.name}): {op.auth.credential}."
            # What the registry enforces before the handler runs, and the status of each refusal.
            entry["x-auth"] = {"kind": op.auth.name, "credential": op.auth.credential, "refusals": op.auth.refusals}
            if op.auth.security:
                entry["security"] = [{op.auth.security: []}]
        body = _body_model(op)
        if body is not None:
            content: dict[str, Any] = {}
            if op.json_body:
                content["application/json"] = {"schema": _ref(body)}
            if op.form:
                content["application/x-www-form-urlencoded"] = {"schema": _ref(body)}
                if _takes_files(body):  # a form with a file input posts multipart/form-data
                    content["multipart/form-data"] = {"schema": _ref(body)}
            entry["requestBody"] = {"required": True, "content": content}
        elif op.raw_body:
            # A JSON body we do not model (a platform's own payload) is any object; a file is text.
            raw = {"type": "object"} if op.raw_body == "application/json" else {"type": "string"}
            entry["requestBody"] = {"required": True, "content": {op.raw_body: {"schema": raw}}}
        paths.setdefault(op.path, {})[op.method.lower()] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "proofloop",
            "version": version,
            "description": "Reviews, share links, referrals and advocate reports for an online store.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The admin token (admin routes) or the shop's owner API key (owner routes)",
                }
            },
        },
    }


def openapi_document(request: HttpRequest) -> HttpResponse:
    return json_response(build_spec(VERSION), headers={"Cache-Control": "public, max-age=300"})
