"""A signed body is trusted for who sent it, not for its topic: a fact applies only when the body states it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from chalicelib.reviews.tokens import review_token
from chalicelib.store import keys
from tests.signers import fixture
from tests.unit.sharing_support import CHROME
from tests.unit.webhook_support import ShopifyStore, WooStore, order_item, totals

ORDER_ID = "5839274650112"
PRODUCT_ID = "8123456700416"


@pytest.fixture
def store(api):
    return ShopifyStore(api)


def everything(table: Any) -> list[dict[str, Any]]:
    """Every item of the table (a test-only Scan), to prove a delivery changed nothing: nothing but the
    console's record that a delivery came (its health panel, which every delivery updates)."""
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table.name}
    while True:
        page = table.client.scan(**kwargs)
        items += [i for i in page["Items"] if not i["SK"]["S"].startswith("DELIVERY#")]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda i: (i["PK"]["S"], i["SK"]["S"]))
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def fulfilled(order: dict[str, Any]) -> dict[str, Any]:
    order["fulfillment_status"] = "fulfilled"
    order["updated_at"] = "2026-11-04T09:00:00-05:00"
    order["fulfillments"] = [{"id": 5100000001, "status": "success", "created_at": "2026-11-04T09:00:00-05:00"}]
    return order


def assert_ignored_and_unchanged(store: ShopifyStore, table: Any, topic: str, body: dict[str, Any]) -> None:
    before = everything(table)
    response = store.send(topic, body)
    assert response.status_code == 200, response.body
    assert response.json["status"] == "ignored"
    assert response.json["reason"]
    assert everything(table) == before


# --- Shopify: the topic claims, the body decides ------------------------------------------------------------------


def test_order_body_under_the_cancelled_topic_is_ignored(store, table):
    # Given a known order whose body says nothing of a cancellation
    store.send("orders/create", fixture("shopify_order.json"))
    # When the same body arrives under orders/cancelled
    # Then it is acknowledged, ignored, and nothing changes
    assert_ignored_and_unchanged(store, table, "orders/cancelled", fixture("shopify_order.json"))
    assert not order_item(table, store.shop_id, ORDER_ID).get("cancelled_at")


def test_order_body_under_the_fulfilled_topic_asks_for_no_review(store, table):
    # Given an order body with no fulfilment and no fulfilment status
    # When it arrives under orders/fulfilled, before and after the order is known
    assert_ignored_and_unchanged(store, table, "orders/fulfilled", fixture("shopify_order.json"))
    store.send("orders/create", fixture("shopify_order.json"))
    assert_ignored_and_unchanged(store, table, "orders/fulfilled", fixture("shopify_order.json"))
    # Then no review request is scheduled
    assert "request_status" not in order_item(table, store.shop_id, ORDER_ID)


@pytest.mark.parametrize("status", ["cancelled", "failure", "open", None])
def test_a_fulfilment_that_does_not_say_it_succeeded_is_not_a_fulfilment(store, table, status):
    order = fixture("shopify_order.json")
    order["fulfillments"] = [{"id": 1, "status": status, "created_at": "2026-11-04T09:00:00-05:00"}]
    assert_ignored_and_unchanged(store, table, "orders/fulfilled", order)


def test_a_body_that_states_cancellation_cancels_under_any_order_topic(store, table):
    # Given an order body that says it was cancelled
    order = fulfilled(fixture("shopify_order.json"))
    order["cancelled_at"] = "2026-11-05T10:00:00-05:00"
    # When it arrives as orders/updated
    assert store.send("orders/updated", order).json["status"] == "accepted"
    # Then the order is cancelled and asked for no review
    stored = order_item(table, store.shop_id, ORDER_ID)
    assert stored["cancelled_at"] == "2026-11-05T15:00:00Z"
    assert stored.get("request_status") != "scheduled" and keys.GSI1PK not in stored


def test_order_body_under_refunds_create_is_refused_and_refunds_nothing(store, table):
    store.send("orders/create", fixture("shopify_order.json"))
    before = everything(table)
    response = store.send("refunds/create", fixture("shopify_order.json"))
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["field"] == "order_id"
    assert everything(table) == before


def test_refund_that_moved_no_money_is_ignored(store, table):
    store.send("orders/create", fixture("shopify_order.json"))
    restock_only = {**fixture("shopify_refund.json"), "transactions": []}
    assert_ignored_and_unchanged(store, table, "refunds/create", restock_only)
    for status in ("failure", None):
        unsure = fixture("shopify_refund.json")
        unsure["transactions"][0]["status"] = status
        assert_ignored_and_unchanged(store, table, "refunds/create", unsure)
    assert "refunds" not in totals(table, store.shop_id)


@pytest.mark.parametrize("topic", ["customers/redact", "customers/data_request", "shop/redact", "products/update"])
def test_order_body_under_a_privacy_or_product_topic_is_refused(store, table, topic):
    # Given a known order and its buyer
    store.send("orders/create", fixture("shopify_order.json"))
    before = everything(table)
    # When its body arrives under a topic whose body it is not
    response = store.send(topic, fixture("shopify_order.json"))
    # Then it is a 422 and nothing is erased, recorded or changed
    assert response.status_code == 422, response.body
    assert everything(table) == before


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        ("customers/redact", "shopify_customers_redact.json"),
        ("customers/data_request", "shopify_customers_data_request.json"),
        ("shop/redact", "shopify_shop_redact.json"),
    ],
)
def test_privacy_request_about_another_shop_is_ignored(store, table, topic, name):
    store.send("orders/create", fixture("shopify_order.json"))
    body = {**fixture(name), "shop_domain": "someone-else.myshopify.com"}
    assert_ignored_and_unchanged(store, table, topic, body)


def test_privacy_request_for_the_sending_shop_is_applied(store, table):
    store.send("orders/create", fixture("shopify_order.json"))
    body = store.privacy_body("shopify_customers_redact.json")
    assert store.send("customers/redact", body).json["status"] == "accepted"
    assert order_item(table, store.shop_id, ORDER_ID).get("redacted") is True


def test_replayed_order_body_under_orders_cancelled_keeps_the_referral(api, store, table):
    # Given an advocate with a clicked share link, and a friend's order that the link brought in
    buyer = fulfilled(fixture("shopify_order.json"))
    buyer["id"], buyer["customer"]["id"] = 1001, 2001
    buyer["email"] = buyer["contact_email"] = buyer["customer"]["email"] = "mia.chen@example.org"
    store.send("orders/fulfilled", buyer)
    review = {
        "token": review_token(store.shop_id, "1001", [PRODUCT_ID]),
        "product_id": PRODUCT_ID,
        "rating": 5,
        "title": "Great pack",
        "body": "Carried it for a week in the Alps.",
    }
    code = api.request("POST", "/reviews", review).json["share"]["code"]
    assert api.request("GET", f"/s/{code}", headers={"User-Agent": CHROME}).status_code == 302
    friend = fixture("shopify_order.json")
    friend["landing_site"] = f"/products/alpine-trail-backpack-28l?ref={code}"
    friend["created_at"] = friend["updated_at"] = _now_iso()
    assert store.send("orders/create", friend).json["status"] == "accepted"
    assert totals(table, store.shop_id)["referred_orders"] == 1
    # When the friend's order body is delivered again under orders/cancelled
    response = store.send("orders/cancelled", friend)
    # Then it is ignored: the order stands and the advocate keeps the referral
    assert response.json["status"] == "ignored"
    assert totals(table, store.shop_id)["referred_orders"] == 1
    assert not order_item(table, store.shop_id, ORDER_ID)["referral"]["reversed"]
    advocate = table.get(keys.customer_key(store.shop_id, "2001"))
    assert advocate["referred_orders"] == 1 and advocate["active_referrals"] == 1


def _now_iso() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- WooCommerce: the status in the body is the fact --------------------------------------------------------------


@pytest.fixture
def woo(api):
    return WooStore(api)


def test_woocommerce_product_body_under_an_order_topic_is_refused(woo, table):
    before = everything(table)
    product = {"id": 1188, "name": "Leinen-Schürze", "permalink": "https://gruen-laden.example/p/1188"}
    response = woo.send("order.updated", product)
    assert response.status_code == 422
    assert everything(table) == before


def test_woocommerce_order_body_under_a_product_topic_is_refused(woo, table):
    before = everything(table)
    response = woo.send("product.updated", fixture("woocommerce_order.json"))
    assert response.status_code == 422
    assert response.json["error"]["details"][0]["field"] == "name"
    assert everything(table) == before


def test_woocommerce_processing_order_is_neither_fulfilled_nor_cancelled(woo, table):
    woo.send("order.updated", fixture("woocommerce_order.json"))
    order = order_item(table, woo.shop_id, "7321")
    assert "fulfilled_at" not in order and "cancelled_at" not in order
    assert totals(table, woo.shop_id) == {"orders": 1, "revenue_EUR": Decimal("69.90"), "customers": 1}
