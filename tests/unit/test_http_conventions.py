"""Conventions every route shares: JSON errors, health, and an OpenAPI document that matches the routes."""

from __future__ import annotations

import re

import pytest


def test_health_answers_ok(api):
    response = api.request("GET", "/health")
    assert response.status_code == 200
    assert response.json["status"] == "ok"


def test_unknown_route_is_a_json_404(api):
    response = api.request("GET", "/no/such/route")
    assert response.status_code == 404
    assert response.json == {"error": {"code": "not_found", "message": "no route /no/such/route"}}


def test_unsupported_method_is_a_json_405(api):
    response = api.request("DELETE", "/health")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_oversized_body_is_413(api):
    from tests.conftest import ADMIN_TOKEN

    response = api.request(
        "POST",
        "/shops",
        token=ADMIN_TOKEN,
        raw=b"{" + b" " * 300_000 + b"}",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_unexpected_failure_is_a_json_500_without_a_trace(api, monkeypatch):
    from dataclasses import replace

    from chalicelib.endpoints.registry import OPERATIONS

    def explode(request):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(OPERATIONS, "health", replace(OPERATIONS["health"], handler=explode))
    response = api.request("GET", "/health")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "secret internals" not in response.body.decode()


@pytest.fixture
def spec(api):
    response = api.request("GET", "/openapi.json")
    assert response.status_code == 200
    return response.json


def test_openapi_lists_exactly_the_routes_the_app_serves(spec):
    import app

    served = {(path, method.lower()) for path, methods in app.app.routes.items() for method in methods}
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    assert served == documented


def test_openapi_operations_name_the_handlers_the_app_calls(spec):
    import inspect

    import app

    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            source = inspect.getsource(entry.view_function)
            operation_id = spec["paths"][path][method.lower()]["operationId"]
            assert f'_call("{operation_id}")' in source, (path, method)


def test_every_schema_reference_in_openapi_resolves(spec):
    text = str(spec)
    refs = set(re.findall(r"#/components/schemas/(\w+)", text))
    assert refs, "no schemas referenced"
    assert refs <= set(spec["components"]["schemas"])


def test_openapi_request_schema_is_the_validating_model(spec):
    create = spec["paths"]["/shops"]["post"]
    ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"shop_id", "name", "platform", "domains", "webhook_secret"}
    assert {"201", "401", "409", "422"} <= set(create["responses"])
