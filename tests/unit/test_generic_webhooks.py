"""Generic order events under the Standard Webhooks spec, signed by its reference library."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from tests.signers import generic_event, standard_headers
from tests.unit.webhook_support import order_item, totals


@pytest.fixture
def shop(api):
    body, _ = api.create_shop()
    return body


def send(api, shop, payload, secret=None, **kwargs):
    raw = json.dumps(payload).encode()
    headers = standard_headers(secret or shop["webhook_secret"], raw, **kwargs)
    return api.request("POST", f"/webhooks/generic/{shop['shop_id']}", raw=raw, headers=headers)


def test_signed_order_is_accepted_and_counted(api, shop, table):
    response = send(api, shop, generic_event("order.created", "g-1"))
    assert response.status_code == 200, response.body
    assert totals(table, shop["shop_id"]) == {"orders": 1, "revenue_USD": Decimal("59.00"), "customers": 1}


def test_same_message_id_twice_counts_once(api, shop, table):
    payload = generic_event("order.created", "g-2")
    send(api, shop, payload, msg_id="msg_fixed")
    assert send(api, shop, payload, msg_id="msg_fixed").json["status"] == "duplicate"
    assert totals(table, shop["shop_id"])["orders"] == 1


def test_wrong_secret_is_401(api, shop, table):
    other = "whsec_" + base64.b64encode(b"someone-else-entirely-0123").decode()
    response = send(api, shop, generic_event("order.created", "g-3"), secret=other)
    assert response.status_code == 401
    assert totals(table, shop["shop_id"]) == {}


def test_stale_timestamp_is_401(api, shop):
    old = datetime.now(UTC) - timedelta(minutes=6)
    response = send(api, shop, generic_event("order.created", "g-4"), when=old)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "stale_signature"


def test_any_of_several_signatures_may_match_during_rotation(api, shop, table):
    raw = json.dumps(generic_event("order.created", "g-5")).encode()
    headers = standard_headers(shop["webhook_secret"], raw)
    headers["webhook-signature"] = "v1,b2xkLXNpZ25hdHVyZQ== " + headers["webhook-signature"]
    response = api.request("POST", f"/webhooks/generic/{shop['shop_id']}", raw=raw, headers=headers)
    assert response.status_code == 200


def test_missing_signature_headers_are_401(api, shop):
    response = api.request(
        "POST", f"/webhooks/generic/{shop['shop_id']}", raw=b"{}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401


def test_fulfilled_then_partially_refunded(api, shop, table):
    send(api, shop, generic_event("order.fulfilled", "g-6", timestamp="2026-11-06T10:00:00Z"))
    send(api, shop, generic_event("order.refunded", "g-6", amount="20.00", timestamp="2026-11-07T10:00:00Z"))
    send(api, shop, generic_event("order.refunded", "g-6", amount="20.00", timestamp="2026-11-07T10:00:00Z"))
    order = order_item(table, shop["shop_id"], "g-6")
    assert order["request_status"] == "scheduled"
    counted = totals(table, shop["shop_id"])
    assert counted["refunds"] == 1 and counted["refunded_USD"] == Decimal("20.00")


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "order.exploded", "timestamp": "2026-11-05T12:00:00Z", "data": {}},
        {"type": "order.created", "timestamp": "2026-11-05T12:00:00Z", "data": {"order_id": "x"}},
        {"type": "order.created", "timestamp": "soon", "data": {}},
        {"type": "order.created", "timestamp": "2026-11-05T12:00:00Z", "data": []},
        {
            "type": "order.created",
            "timestamp": "2026-11-05T12:00:00Z",
            "data": {"order_id": "x", "currency": "USD", "total": "1", "shipping_address": "1 Main St"},
        },
    ],
)
def test_signed_but_invalid_event_is_422(api, shop, table, payload):
    response = send(api, shop, payload)
    assert response.status_code == 422, response.body
    assert "field" in response.json["error"]["details"][0]
    assert totals(table, shop["shop_id"]) == {}


def test_item_pages_only_on_the_shop_domains_are_kept(api, shop, table):
    from chalicelib.store import keys

    home = shop["domains"][0]
    items = [
        {
            "product_id": "p-1",
            "title": "Mug",
            "quantity": 1,
            "price": "10",
            "url": f"https://{home}/p/mug",
            "image_url": f"https://{home}/img/mug.jpg",
        },
        {"product_id": "p-2", "title": "Cap", "quantity": 1, "price": "10", "url": "https://elsewhere.example/cap"},
    ]
    send(api, shop, generic_event("order.created", "g-7", items=items))
    assert table.get(keys.product_key(shop["shop_id"], "p-1"))["url"] == f"https://{home}/p/mug"
    assert table.get(keys.product_key(shop["shop_id"], "p-2")).get("url") is None
