"""Shops and keys over real HTTP on DynamoDB Local, which is strict where moto is lenient."""

from __future__ import annotations

from tests.conftest import ADMIN_TOKEN
from tests.factories import shop_body


def test_server_answers_health_and_openapi(live):
    assert live.request("GET", "/health").json()["status"] == "ok"
    spec = live.request("GET", "/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert "/shops" in spec["paths"]


def test_unknown_route_is_json_404_over_http(live):
    response = live.request("GET", "/definitely/not/here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_shop_lifecycle(live, new_shop):
    body, api_key = new_shop()
    path = f"/shops/{body['shop_id']}"
    assert live.request("GET", path, token=api_key).json()["name"] == body["name"]

    changed = live.request("PATCH", path, {"name": "Renamed", "settings": {"timezone": "Europe/Paris"}}, token=api_key)
    assert changed.status_code == 200, changed.text
    assert changed.json()["settings"]["timezone"] == "Europe/Paris"

    rotated = live.request("POST", f"{path}/api-key", token=api_key).json()["api_key"]
    assert live.request("GET", path, token=api_key).status_code == 401
    assert live.request("GET", path, token=rotated).json()["name"] == "Renamed"


def test_duplicate_shop_and_taken_domain_are_409_and_atomic(live, new_shop):
    first, _ = new_shop()
    assert live.request("POST", "/shops", first, token=ADMIN_TOKEN).status_code == 409
    clash = shop_body(domains=["unique-to-this-test.example", first["domains"][1]])
    response = live.request("POST", "/shops", clash, token=ADMIN_TOKEN)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "domain_taken"
    # The transaction wrote nothing: the free domain can still be claimed.
    assert (
        live.request(
            "POST", "/shops", shop_body(domains=["unique-to-this-test.example"]), token=ADMIN_TOKEN
        ).status_code
        == 201
    )


def test_cross_shop_key_is_403(live, new_shop):
    first, _ = new_shop()
    _, other_key = new_shop()
    assert live.request("GET", f"/shops/{first['shop_id']}", token=other_key).status_code == 403


def test_bad_input_never_500(live):
    cases = [
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (b"\xff\xfe", "application/json"),
        (b"null", "application/json"),
        (b"a=b", "application/x-www-form-urlencoded"),
        (b"", "application/json"),
    ]
    for raw, content_type in cases:
        response = live.request("POST", "/shops", token=ADMIN_TOKEN, data=raw, headers={"Content-Type": content_type})
        assert 400 <= response.status_code < 500, (raw, response.status_code, response.text)
        assert "error" in response.json()
