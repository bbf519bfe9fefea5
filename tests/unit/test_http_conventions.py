"""Conventions every route shares: JSON errors, health, and an OpenAPI document that matches the routes."""

from __future__ import annotations

import json
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


def test_an_unpaired_surrogate_in_a_json_body_is_broken_json_not_a_500(api):
    from tests.conftest import ADMIN_TOKEN
    from tests.factories import shop_body

    # Given a body that is valid JSON but holds "\ud800", which no UTF-8 text can
    raw = json.dumps(shop_body(name="Caf\u00e9")).replace("Caf\\u00e9", "Caf\\ud800").encode()
    assert b"\\ud800" in raw
    # When it is sent to a route that stores what it gets
    response = api.request("POST", "/shops", token=ADMIN_TOKEN, raw=raw, headers={"Content-Type": "application/json"})
    # Then it is refused as broken JSON
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_unexpected_failure_is_a_json_500_without_a_trace(api, monkeypatch):
    from dataclasses import replace

    from chalicelib.endpoints.registry import OPERATIONS
    from chalicelib.router import load

    def explode(request):
        raise RuntimeError("secret internals")

    monkeypatch.setitem(OPERATIONS, "health", replace(load("health"), handler=explode))
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


def test_openapi_operations_name_the_handlers_the_app_calls(spec, monkeypatch):
    import app

    called: list[str] = []
    monkeypatch.setattr(app, "_call", called.append)  # each view hands its request to the operation it names
    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            called.clear()
            entry.view_function(**dict.fromkeys(entry.view_args, "x"))
            operation_id = spec["paths"][path][method.lower()]["operationId"]
            assert called == [operation_id], (path, method)


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


def test_openapi_documents_what_signed_links_and_pages_answer(spec):
    review_form = spec["paths"]["/r/{token}"]["get"]["responses"]
    assert {"403", "410"} <= set(review_form)  # a link that does not verify; an order erased on request
    assert set(review_form["403"]["content"]) == {"application/json", "text/html"}  # browsers get a page
    submit = spec["paths"]["/reviews"]["post"]["responses"]
    assert set(submit["201"]["content"]) == {"application/json", "text/html"}  # the form is answered with a page
    api_only = spec["paths"]["/shops/{shop_id}"]["get"]["responses"]
    assert set(api_only["401"]["content"]) == {"application/json"}


def test_openapi_dashboard_forms_are_form_bodies_without_bearer_auth(spec):
    sign_in = spec["paths"]["/shops/{shop_id}/dashboard/session"]["post"]
    assert set(sign_in["requestBody"]["content"]) == {"application/x-www-form-urlencoded"}
    assert "security" not in sign_in and "401" in sign_in["responses"]
    moderate = spec["paths"]["/shops/{shop_id}/dashboard/forms/reviews/{review_id}/{action}"]["post"]
    assert {"401", "403"} <= set(moderate["responses"])  # no session; a stale CSRF token
    action = next(p for p in moderate["parameters"] if p["name"] == "action")
    assert action["schema"]["enum"] == ["publish", "reject", "reply", "hide-photo", "show-photo"]


def test_openapi_parameters_carry_their_constraints(spec):
    from chalicelib.sharing.channels import CHANNELS

    channel = next(p for p in spec["paths"]["/share/{code}/{channel}"]["get"]["parameters"] if p["name"] == "channel")
    assert channel["schema"]["enum"] == list(CHANNELS)
    limit = next(p for p in spec["paths"]["/shops/{shop_id}/advocates"]["get"]["parameters"] if p["name"] == "limit")
    assert limit["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    upload = spec["paths"]["/shops/{shop_id}/reviews/import"]["post"]
    assert set(upload["requestBody"]["content"]) == {"text/csv"} and "415" in upload["responses"]
    products = spec["paths"]["/shops/{shop_id}/ratings"]["get"]["parameters"][-1]
    assert products["name"] == "products" and products["required"] is True
    asset = spec["paths"]["/assets/{name}"]["get"]["responses"]["200"]["content"]
    assert set(asset) == {"text/css", "text/javascript"}
