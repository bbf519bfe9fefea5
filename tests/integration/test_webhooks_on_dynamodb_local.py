"""Webhook intake over real HTTP on DynamoDB Local: repeats, replays, races and reordering."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest

from chalicelib.store import aggregates, keys
from tests import signers
from tests.integration.support import deliver as deliver_generic
from tests.signers import fixture

SECRET = "shpss_integration_0123456789abcdef"


def totals(db, shop_id):
    summed = {}
    for day in aggregates.read_days(db, shop_id, "2000-01-01", "2999-12-31").values():
        for name, value in day.items():
            summed[name] = summed.get(name, Decimal(0)) + value
    return summed


@pytest.fixture
def shopify_shop(new_shop):
    body, _ = new_shop(platform="shopify", webhook_secret=SECRET)
    return body


def deliver(live, shop, topic, payload, webhook_id=None):
    raw = json.dumps(payload).encode()
    headers = signers.shopify_headers(topic, shop["domains"][0], SECRET, raw, webhook_id)
    return live.request("POST", "/webhooks/shopify", data=raw, headers=headers)


def test_one_order_replayed_repeated_and_raced_counts_once(live, shopify_shop, db):
    order = fixture("shopify_order.json")
    # 10 repeats of one delivery id
    answers = [deliver(live, shopify_shop, "orders/create", order, webhook_id="fixed-id") for _ in range(10)]
    # 8 at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers += list(pool.map(lambda _: deliver(live, shopify_shop, "orders/create", order), range(8)))
    # and once more under a fresh id
    answers.append(deliver(live, shopify_shop, "orders/create", order))
    assert {a.status_code for a in answers} == {200}
    assert [a.json()["status"] for a in answers].count("accepted") == 1
    assert totals(db, shopify_shop["shop_id"]) == {"orders": 1, "revenue_USD": Decimal("181.05"), "customers": 1}


def test_concurrent_different_facts_all_land_exactly_once(live, shopify_shop, db):
    fulfilled = fixture("shopify_order.json")
    fulfilled["fulfillments"] = [{"id": 1, "status": "success", "created_at": "2026-11-04T09:00:00-05:00"}]
    deliveries = [
        ("orders/create", fixture("shopify_order.json")),
        ("orders/fulfilled", fulfilled),
        ("refunds/create", fixture("shopify_refund.json")),
    ] * 4
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda d: deliver(live, shopify_shop, *d), deliveries))
    assert {a.status_code for a in answers} == {200}
    counted = totals(db, shopify_shop["shop_id"])
    assert counted["orders"] == 1 and counted["fulfilled_orders"] == 1 and counted["refunds"] == 1
    order = db.get(keys.order_key(shopify_shop["shop_id"], "5839274650112"))
    assert order["request_status"] == "scheduled"


def test_mis_signed_delivery_stores_nothing(live, shopify_shop, db):
    raw = json.dumps(fixture("shopify_order.json")).encode()
    headers = signers.shopify_headers("orders/create", shopify_shop["domains"][0], "wrong-secret", raw)
    response = live.request("POST", "/webhooks/shopify", data=raw, headers=headers)
    assert response.status_code == 401
    assert db.get(keys.order_key(shopify_shop["shop_id"], "5839274650112")) is None


def test_generic_events_signed_by_the_reference_library(live, new_shop, db):
    shop, _ = new_shop()
    deliver_generic(live, shop, "order.fulfilled", "gen-1")  # signed by the standardwebhooks library, must be 200
    assert totals(db, shop["shop_id"])["fulfilled_orders"] == 1


def test_redaction_on_dynamodb_local_keeps_counts(live, shopify_shop, db):
    deliver(live, shopify_shop, "orders/create", fixture("shopify_order.json"))
    before = totals(db, shopify_shop["shop_id"])
    redact = {**fixture("shopify_customers_redact.json"), "shop_domain": shopify_shop["domains"][0]}
    assert deliver(live, shopify_shop, "customers/redact", redact).status_code == 200
    order = db.get(keys.order_key(shopify_shop["shop_id"], "5839274650112"))
    assert "email" not in order and order["redacted"]
    assert totals(db, shopify_shop["shop_id"]) == before
