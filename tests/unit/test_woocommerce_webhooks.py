"""WooCommerce deliveries: status changes become facts, each applied once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.store import keys
from tests.signers import fixture
from tests.unit.webhook_support import WooStore, order_item, totals


@pytest.fixture
def woo(api):
    return WooStore(api)


def with_status(status, modified, **extra):
    order = fixture("woocommerce_order.json")
    order.update(status=status, date_modified_gmt=modified, **extra)
    return order


def test_processing_order_is_recorded_in_utc_and_counted(woo, table):
    response = woo.send("order.created", fixture("woocommerce_order.json"))
    assert response.status_code == 200, response.body
    order = order_item(table, woo.shop_id, "7321")
    assert order["created_at"] == "2026-11-03T15:20:05Z"
    assert order["landing_url"].endswith("?ref=pl-Bq9Zt2&utm_medium=social")
    assert order["customer_id"] == "418"
    assert totals(table, woo.shop_id) == {"orders": 1, "revenue_EUR": Decimal("69.90"), "customers": 1}


def test_completed_status_counts_as_fulfilled_and_schedules_the_request(woo, table):
    woo.send("order.created", fixture("woocommerce_order.json"))
    woo.send("order.updated", with_status("completed", "2026-11-05T08:00:00", date_completed_gmt="2026-11-05T08:00:00"))
    woo.send("order.updated", with_status("completed", "2026-11-05T08:00:00", date_completed_gmt="2026-11-05T08:00:00"))
    order = order_item(table, woo.shop_id, "7321")
    assert order["request_status"] == "scheduled"
    assert order["request_due_at"] == "2026-11-12T08:00:00Z"
    assert totals(table, woo.shop_id)["fulfilled_orders"] == 1


def test_refunded_status_reverses_and_cancels_the_pending_request(woo, table):
    woo.send("order.updated", with_status("completed", "2026-11-05T08:00:00"))
    woo.send(
        "order.updated",
        with_status("refunded", "2026-11-06T08:00:00", refunds=[{"id": 7400, "reason": "", "total": "-69.90"}]),
    )
    order = order_item(table, woo.shop_id, "7321")
    assert order["request_status"] == "cancelled"
    counted = totals(table, woo.shop_id)
    assert counted["refunds"] == 1 and counted["refunded_EUR"] == Decimal("69.90")


def test_partial_refund_keeps_the_request(woo, table):
    woo.send("order.updated", with_status("completed", "2026-11-05T08:00:00"))
    woo.send(
        "order.updated",
        with_status("completed", "2026-11-06T08:00:00", refunds=[{"id": 7401, "reason": "damaged", "total": "-12.04"}]),
    )
    assert order_item(table, woo.shop_id, "7321")["request_status"] == "scheduled"
    assert totals(table, woo.shop_id)["refunded_EUR"] == Decimal("12.04")


def test_delivery_ids_change_but_the_same_version_counts_once(woo, table):
    for _ in range(4):
        woo.send("order.updated", fixture("woocommerce_order.json"))
    assert totals(table, woo.shop_id)["orders"] == 1


def test_ping_on_webhook_creation_is_200_and_stores_nothing(woo, api, table):
    response = api.request(
        "POST",
        f"/webhooks/woocommerce/{woo.shop_id}",
        raw=b"webhook_id=17",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200
    assert response.json["status"] == "ignored"
    assert totals(table, woo.shop_id) == {}


def test_mis_signed_order_is_401_and_stores_nothing(woo, table):
    response = woo.send("order.created", fixture("woocommerce_order.json"), secret="wrong")
    assert response.status_code == 401
    assert order_item(table, woo.shop_id, "7321") is None


def test_unknown_shop_is_404(api):
    response = api.request(
        "POST",
        "/webhooks/woocommerce/no-such-shop",
        raw=b"{}",
        headers={"X-WC-Webhook-Signature": "AAAA", "X-WC-Webhook-Topic": "order.created"},
    )
    assert response.status_code == 404
    assert response.json["error"]["code"] == "shop_not_found"


def test_guest_order_uses_the_email_as_customer(woo, table):
    woo.send("order.created", {**fixture("woocommerce_order.json"), "customer_id": 0})
    order = order_item(table, woo.shop_id, "7321")
    assert order["customer_id"].startswith("guest-")
    assert table.get(keys.customer_key(woo.shop_id, order["customer_id"])) is not None


def test_product_webhook_stores_the_permalink_on_the_shop_domain(woo, table):
    product = {
        "id": 1188,
        "name": "Leinen-Schürze Natur",
        "permalink": "https://gruen-laden.example/produkt/leinen-schuerze/",
        "date_modified_gmt": "2026-10-01T10:00:00",
        "images": [{"id": 2201, "src": "https://gruen-laden.example/wp-content/uploads/2026/02/schuerze.jpg"}],
    }
    assert woo.send("product.updated", product).json["outcomes"] == ["applied"]
    elsewhere = {**product, "permalink": "https://evil.example/phish", "date_modified_gmt": "2026-10-02T10:00:00"}
    woo.send("product.updated", elsewhere)
    stored = table.get(keys.product_key(woo.shop_id, "1188"))
    assert stored.get("url") is None  # an off-domain page is never kept: shares fall back to the home page
    assert "evil.example" not in str(stored)


def test_the_shipping_address_is_kept_only_as_its_keyed_hash(woo, table):
    from chalicelib.signing import keyed_hash

    woo.send("order.created", fixture("woocommerce_order.json"))
    order = order_item(table, woo.shop_id, "7321")
    assert order["shipping_hash"] == keyed_hash("shipping", "lindenstraße 12|berlin|10969|DE")
    assert "Lindenstraße" not in repr(order) and "10969" not in repr(order)


@pytest.mark.parametrize("shipping", ["Lindenstraße 12, Berlin", [], {"address_1": {"street": "x"}}])
def test_a_shipping_address_of_another_shape_is_422(woo, table, shipping):
    response = woo.send("order.created", {**fixture("woocommerce_order.json"), "shipping": shipping})
    assert response.status_code == 422, response.body
    assert totals(table, woo.shop_id) == {}
