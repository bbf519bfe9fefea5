"""OpenAPI 3.1 document built from the operation registry and its pydantic models."""

from __future__ import annotations

import re
from typing import Any

from chalicelib.endpoints.registry import OPERATIONS, Operation

_PARAM = re.compile(r"{(\w+)}")
_ERROR_STATUSES = {
    400: "Malformed request (bad JSON, bad cursor)",
    401: "Missing or invalid credentials or signature",
    403: "Credentials of another shop",
    404: "Unknown shop or resource",
    409: "Conflicts with what is stored",
    413: "Body too large",
    415: "Unsupported content type",
    422: "Validation failed; details name the field",
    503: "The database is busy or did not answer; nothing was half-done, deliver again after Retry-After seconds",
}


def _ref(model: Any) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _responses(op: Operation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for status, kind in op.responses.items():
        if isinstance(kind, str):
            out[str(status)] = (
                {"description": "OK", "content": {kind: {"schema": {}}}} if kind else {"description": "OK"}
            )
        else:
            out[str(status)] = {
                "description": kind.__doc__ or "OK",
                "content": {"application/json": {"schema": _ref(kind)}},
            }
    error_codes = [400, 404, 503]
    if op.body is not None or op.form:
        error_codes += [413, 415, 422]
    if op.auth in ("admin", "owner", "signature", "token"):
        error_codes.append(401)
    if op.auth == "owner":
        error_codes.append(403)
    if op.method in ("POST", "PATCH", "PUT"):
        error_codes.append(409)
    for status in sorted(set(error_codes)):
        answer: dict[str, Any] = {
            "description": _ERROR_STATUSES[status],
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}},
        }
        if status == 503:
            answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
        out.setdefault(str(status), answer)
    return out


def build_spec(version: str) -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    from chalicelib.models import ErrorBody

    models: dict[str, Any] = {ErrorBody.__name__: ErrorBody}
    for op in OPERATIONS.values():
        if op.body is not None:
            models[op.body.__name__] = op.body
        for kind in op.responses.values():
            if not isinstance(kind, str):
                models[kind.__name__] = kind
    _, schema = models_json_schema(
        [(m, "validation") for m in models.values()], ref_template="#/components/schemas/{model}"
    )
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(OPERATIONS.values(), key=lambda o: (o.path, o.method)):
        parameters: list[dict[str, Any]] = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(op.path)
        ]
        parameters += [
            {"name": name, "in": "query", "required": False, "description": text, "schema": {"type": "string"}}
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
        if op.auth in ("admin", "owner"):
            entry["security"] = [{"bearer": []}]
        if op.body is not None:
            content: dict[str, Any] = {"application/json": {"schema": _ref(op.body)}}
            if op.form:
                content["application/x-www-form-urlencoded"] = {"schema": _ref(op.body)}
            entry["requestBody"] = {"required": True, "content": content}
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
            "schemas": schema.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
