"""Shopify deliveries: signed, deduplicated on what the body says, order-independent."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.store import keys
from tests.signers import fixture
from tests.unit.webhook_support import ShopifyStore, order_item, totals

ORDER_ID = "5839274650112"
CUSTOMER_ID = "7403218968832"


@pytest.fixture
def store(api):
    return ShopifyStore(api)


def fulfilled(order):
    order["fulfillment_status"] = "fulfilled"
    order["updated_at"] = "2026-11-04T09:00:00-05:00"
    order["fulfillments"] = [{"id": 5100000001, "status": "success", "created_at": "2026-11-04T09:00:00-05:00"}]
    return order


def test_new_order_is_recorded_with_its_buyer_and_counted(store, table):
    response = store.send("orders/create", fixture("shopify_order.json"))
    assert response.status_code == 200, response.body
    assert response.json == {"status": "accepted", "outcomes": ["applied"]}
    order = order_item(table, store.shop_id, ORDER_ID)
    assert order["known"] and order["currency"] == "USD" and order["total"] == Decimal("181.05")
    assert order["landing_url"].startswith(f"https://{store.domain}/products/alpine-trail-backpack-28l?ref=pl-7Hq2Kx")
    assert order["codes"] == ["WELCOME5"]
    assert [i["product_id"] for i in order["items"]] == ["8123456700416", "8123456733184"]
    customer = table.get(keys.customer_key(store.shop_id, CUSTOMER_ID))
    assert customer["name"] == "Ana Lima"
    assert "ana.lima@example.net" not in str(customer)  # only a keyed hash is kept for matching
    assert totals(table, store.shop_id) == {"orders": 1, "revenue_USD": Decimal("181.05"), "customers": 1}


def test_repeated_delivery_with_the_same_webhook_id_counts_once(store, table):
    order = fixture("shopify_order.json")
    answers = [store.send("orders/create", order, webhook_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043") for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 10
    assert [a.json["status"] for a in answers] == ["accepted"] + ["duplicate"] * 9
    assert totals(table, store.shop_id)["orders"] == 1


def test_replayed_body_under_a_fresh_webhook_id_counts_once(store, table):
    store.send("orders/create", fixture("shopify_order.json"))
    again = store.send("orders/create", fixture("shopify_order.json"))
    assert again.json["status"] == "duplicate"
    paid = store.send("orders/paid", fixture("shopify_order.json"))
    assert paid.json["status"] == "duplicate"
    assert totals(table, store.shop_id)["orders"] == 1


def test_fulfilment_schedules_one_review_request_after_the_shop_delay(store, table):
    store.send("orders/create", fixture("shopify_order.json"))
    store.send("orders/fulfilled", fulfilled(fixture("shopify_order.json")))
    store.send("orders/fulfilled", fulfilled(fixture("shopify_order.json")))
    order = order_item(table, store.shop_id, ORDER_ID)
    assert order["request_status"] == "scheduled"
    assert order["request_due_at"] == "2026-11-11T14:00:00Z"  # 09:00 -05:00 + 7 days, in UTC
    assert order[keys.GSI1SK].startswith("2026-11-11T14:00:00Z#")
    assert totals(table, store.shop_id)["fulfilled_orders"] == 1


def test_fulfilled_before_created_counts_the_order_once(store, table):
    first = store.send("orders/fulfilled", fulfilled(fixture("shopify_order.json")))
    late = store.send("orders/create", fixture("shopify_order.json"))
    assert (first.json["status"], late.json["status"]) == ("accepted", "duplicate")
    assert totals(table, store.shop_id)["orders"] == 1
    assert order_item(table, store.shop_id, ORDER_ID)["request_status"] == "scheduled"


def test_refund_before_the_order_is_counted_when_the_order_arrives(store, table):
    assert store.send("refunds/create", fixture("shopify_refund.json")).json["status"] == "accepted"
    assert "refunds" not in totals(table, store.shop_id)
    store.send("orders/create", fixture("shopify_order.json"))
    store.send("refunds/create", fixture("shopify_refund.json"))
    counted = totals(table, store.shop_id)
    assert counted["refunds"] == 1 and counted["refunded_USD"] == Decimal("16.35")
    assert counted["orders"] == 1


def test_cancelled_order_is_not_asked_for_a_review(store, table):
    store.send("orders/fulfilled", fulfilled(fixture("shopify_order.json")))
    cancelled = fulfilled(fixture("shopify_order.json"))
    cancelled["cancelled_at"] = "2026-11-05T10:00:00-05:00"
    cancelled["cancel_reason"] = "customer"
    store.send("orders/cancelled", cancelled)
    order = order_item(table, store.shop_id, ORDER_ID)
    assert order["request_status"] == "cancelled"
    assert keys.GSI1PK not in order
    assert totals(table, store.shop_id)["cancelled_orders"] == 1


def test_guest_checkout_gets_a_stable_customer_from_the_email(store, table):
    first = fixture("shopify_order.json")
    first["customer"] = None
    second = fixture("shopify_order.json")
    second["id"] = 5839274650999
    second["customer"] = None
    store.send("orders/create", first)
    store.send("orders/create", second)
    assert totals(table, store.shop_id)["customers"] == 1
    assert totals(table, store.shop_id)["orders"] == 2


@pytest.mark.parametrize(
    "topic",
    [
        "orders/create",
        "orders/fulfilled",
        "refunds/create",
        "products/update",
        "customers/redact",
        "customers/data_request",
        "shop/redact",
    ],
)
def test_mis_signed_delivery_of_any_topic_is_401_and_stores_nothing(store, table, topic):
    payloads = {
        "refunds/create": "shopify_refund.json",
        "products/update": "shopify_product.json",
        "customers/redact": "shopify_customers_redact.json",
        "customers/data_request": "shopify_customers_data_request.json",
        "shop/redact": "shopify_shop_redact.json",
    }
    response = store.send(topic, fixture(payloads.get(topic, "shopify_order.json")), secret="not-the-secret")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_signature"
    assert order_item(table, store.shop_id, ORDER_ID) is None
    assert table.get(keys.product_key(store.shop_id, "8123456700416")) is None
    assert table.get(keys.customer_key(store.shop_id, CUSTOMER_ID)) is None
    assert "redact_requested_at" not in table.get(keys.shop_key(store.shop_id))
    assert totals(table, store.shop_id) == {}


def test_missing_signature_is_401(store, api):
    response = api.request(
        "POST",
        "/webhooks/shopify",
        raw=b"{}",
        headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": store.domain},
    )
    assert response.status_code == 401


def test_unknown_shop_domain_is_401(api):
    response = api.request(
        "POST",
        "/webhooks/shopify",
        raw=b"{}",
        headers={
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": "nobody.myshopify.com",
            "X-Shopify-Hmac-Sha256": "AAAA",
        },
    )
    assert response.status_code == 401


def test_header_names_in_any_case_are_accepted(store, table):
    response = store.send("orders/create", fixture("shopify_order.json"), header_case="lower")
    assert response.status_code == 200
    assert totals(table, store.shop_id)["orders"] == 1


def test_signed_but_malformed_json_is_400(store, api):
    from tests.signers import shopify_headers
    from tests.unit.webhook_support import SHOPIFY_SECRET

    raw = b'{"id": 1, '
    response = api.request(
        "POST",
        "/webhooks/shopify",
        raw=raw,
        headers=shopify_headers("orders/create", store.domain, SHOPIFY_SECRET, raw),
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


@pytest.mark.parametrize(
    "breakage",
    [
        {"id": None},
        {"currency": "dollars"},
        {"total_price": "lots"},
        {"created_at": "yesterday"},
        {"line_items": [{"product_id": 1, "price": "-5"}]},
        {"customer": {"id": True}},
        {"shipping_address": "1 Main St, Springfield"},
        {"shipping_address": {"address1": ["1 Main St"]}},
    ],
)
def test_signed_order_with_wrong_types_is_422_and_stores_nothing(store, table, breakage):
    order = {**fixture("shopify_order.json"), **breakage}
    response = store.send("orders/create", order)
    assert response.status_code == 422, response.body
    assert totals(table, store.shop_id) == {}


def test_topic_we_do_not_use_is_acknowledged_and_ignored(store, table):
    response = store.send("carts/update", {"id": "abc", "line_items": []})
    assert response.status_code == 200
    assert response.json["status"] == "ignored"


def test_product_update_keeps_its_page_on_the_home_domain_and_its_picture(store, table):
    store.send("products/update", fixture("shopify_product.json"))
    older = {**fixture("shopify_product.json"), "handle": "old-handle", "updated_at": "2026-01-01T00:00:00Z"}
    assert store.send("products/update", older).json["outcomes"] == ["stale"]
    product = table.get(keys.product_key(store.shop_id, "8123456700416"))
    assert product["url"] == f"https://{store.domain}/products/alpine-trail-backpack-28l"
    assert product["image_url"].startswith("https://cdn.shopify.com/")


def test_customer_redact_erases_personal_data_and_keeps_counts(store, table):
    store.send("orders/fulfilled", fulfilled(fixture("shopify_order.json")))
    before = totals(table, store.shop_id)
    response = store.send("customers/redact", store.privacy_body("shopify_customers_redact.json"))
    assert response.status_code == 200
    order = order_item(table, store.shop_id, ORDER_ID)
    assert "email" not in order and "name" not in order and "landing_url" not in order
    assert keys.GSI1PK not in order  # the scheduled review request will never go out
    customer = table.get(keys.customer_key(store.shop_id, CUSTOMER_ID))
    assert customer["redacted"] and "email_hash" not in customer and "name" not in customer
    assert totals(table, store.shop_id) == before


def test_data_request_is_recorded_once_and_the_data_is_assembled(store, table):
    from chalicelib.privacy import customer_data

    store.send("orders/create", fixture("shopify_order.json"))
    assert (
        store.send("customers/data_request", store.privacy_body("shopify_customers_data_request.json")).json["status"]
        == "accepted"
    )
    assert (
        store.send("customers/data_request", store.privacy_body("shopify_customers_data_request.json")).json["status"]
        == "duplicate"
    )
    data = customer_data(table, store.shop_id, CUSTOMER_ID)
    assert data["customer"]["name"] == "Ana Lima"
    assert data["orders"][0]["email"] == "ana.lima@example.net"


def test_shop_redact_is_deferred_then_erases_every_customer(store, table):
    from chalicelib.privacy import run_shop_redactions

    store.send("orders/create", fixture("shopify_order.json"))
    assert store.send("shop/redact", store.privacy_body("shopify_shop_redact.json")).json["status"] == "accepted"
    assert "email" in order_item(table, store.shop_id, ORDER_ID)  # nothing slow inside the webhook
    assert run_shop_redactions(table) == 1
    assert "email" not in order_item(table, store.shop_id, ORDER_ID)
    assert run_shop_redactions(table) == 0


def test_owner_reads_data_requests_and_the_customers_data(store, api):
    store.send("orders/create", fixture("shopify_order.json"))
    store.send("customers/data_request", store.privacy_body("shopify_customers_data_request.json"))
    listed = api.request("GET", f"/shops/{store.shop_id}/data-requests", token=store.api_key)
    assert listed.status_code == 200
    assert listed.json["data_requests"][0]["customer_id"] == CUSTOMER_ID
    data = api.request("GET", f"/shops/{store.shop_id}/customers/{CUSTOMER_ID}/data", token=store.api_key)
    assert data.status_code == 200 and data.json["orders"][0]["email"] == "ana.lima@example.net"
    assert api.request("GET", f"/shops/{store.shop_id}/customers/nobody/data", token=store.api_key).status_code == 404
    _, other = api.create_shop()
    assert api.request("GET", f"/shops/{store.shop_id}/data-requests", token=other).status_code == 403


def test_an_owner_edit_after_shop_redact_keeps_the_pending_erasure(store, api, table):
    from chalicelib.privacy import run_shop_redactions

    store.send("orders/create", fixture("shopify_order.json"))
    store.send("shop/redact", store.privacy_body("shopify_shop_redact.json"))
    assert api.request("PATCH", f"/shops/{store.shop_id}", {"name": "Renamed"}, token=store.api_key).status_code == 200
    assert run_shop_redactions(table) == 1


def test_the_shipping_address_is_kept_only_as_its_keyed_hash_however_typed(store, table):
    address = {
        "address1": "1 Main St.",
        "address2": "Apt  4",
        "city": "Springfield",
        "zip": "01101",
        "country_code": "us",
    }
    store.send("orders/create", {**fixture("shopify_order.json"), "shipping_address": address})
    again = {
        "address1": "1 main st apt 4",
        "address2": None,
        "city": "SPRINGFIELD",
        "zip": "01101",
        "country_code": "US",
    }
    store.send("orders/create", {**fixture("shopify_order.json"), "id": 99, "shipping_address": again})
    first, second = (order_item(table, store.shop_id, o) for o in ("5839274650112", "99"))
    assert first and second and first["shipping_hash"] == second["shipping_hash"]
    assert "Main" not in repr([first, second]) and "Springfield" not in repr([first, second])
