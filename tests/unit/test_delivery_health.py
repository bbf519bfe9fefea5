"""Webhook delivery health: every delivery to a shop is noted with one write, refusals are bounded."""

from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from chalicelib import clock
from chalicelib.store import keys
from chalicelib.webhook_health import health
from tests import signers
from tests.unit.webhook_support import ShopifyStore

WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@contextmanager
def counted_calls(table: Any):
    calls: list[str] = []
    client = table.client
    original = client._make_api_call

    def counting(operation: str, params: dict[str, Any]) -> Any:
        calls.append(operation)
        return original(operation, params)

    client._make_api_call = counting
    try:
        yield calls
    finally:
        client._make_api_call = original


def delivery_items(table: Any, shop_id: str) -> list[dict[str, Any]]:
    items, _ = table.query(keys.shop_partition(shop_id), sk_prefix=keys.DELIVERY_PREFIX, limit=500)
    return items


@pytest.fixture
def store(api):
    return ShopifyStore(api)


def _row(table: Any, store: ShopifyStore, topic: str) -> dict[str, Any]:
    return next(r for r in health(table, "shopify", store.shop_id)["topics"] if r["topic"] == topic)


def test_an_accepted_delivery_costs_one_more_write_and_no_read(store, table):
    order = signers.fixture("shopify_order.json")
    store.send("orders/create", order)  # the first delivery of the order, then a repeat
    with counted_calls(table) as calls:
        assert store.send("orders/create", order, webhook_id="again").json["status"] == "duplicate"
    assert [c for c in calls if c in WRITES] == ["UpdateItem"]
    row = _row(table, store, "orders/create")
    assert row["last_accepted"] and row["last_received"] == row["last_accepted"]
    assert health(table, "shopify", store.shop_id)["connected"] is True


def test_a_bad_signature_is_counted_with_its_reason_and_nothing_else_is_stored(store, table):
    order = signers.fixture("shopify_order.json")
    response = store.send("orders/create", order, secret="not-the-secret-at-all")
    assert response.status_code == 401
    row = _row(table, store, "orders/create")
    assert row["refused_signature"] == 1 and row["refused_body"] == 0 and row["last_accepted"] is None
    assert row["last_kind"] == "signature" and "does not match" in row["last_reason"]
    assert health(table, "shopify", store.shop_id)["connected"] is False


def test_a_bad_body_is_counted_as_such(store, table):
    response = store.send("orders/create", {"id": 1, "line_items": {"not": "a list"}})
    assert response.status_code == 422
    row = _row(table, store, "orders/create")
    assert row["refused_body"] == 1 and row["last_kind"] == "body" and "Field required" in row["last_reason"]


def test_an_anonymous_flood_of_made_up_topics_stays_on_one_item_an_hour(store, table):
    body = b'{"id": 1}'
    for n in range(40):
        headers = signers.shopify_headers(f"made/up-{n}", store.domain, "wrong-secret-wrong-secret", body)
        assert store.api.request("POST", "/webhooks/shopify", raw=body, headers=headers).status_code == 401
    items = delivery_items(table, store.shop_id)
    assert len(items) == 1 and items[0]["SK"].startswith(f"{keys.DELIVERY_PREFIX}shopify#other#")
    assert items[0]["refused_signature"] == 40 and items[0][keys.TTL_ATTRIBUTE] > clock.epoch() + 24 * 3600
    assert _row(table, store, "other")["refused_signature"] == 40


def test_a_delivery_for_an_unknown_shop_records_nothing(store, table):
    body = json.dumps(signers.fixture("shopify_order.json")).encode()
    headers = signers.shopify_headers("orders/create", "nobody.example.org", "any-secret-any-secret", body)
    with counted_calls(table) as calls:
        assert store.api.request("POST", "/webhooks/shopify", raw=body, headers=headers).status_code == 401
    assert [c for c in calls if c in WRITES] == []


def test_refusals_older_than_a_day_no_longer_count(store, table):
    from chalicelib.store import webhook_health

    old = clock.now() - timedelta(hours=30)
    webhook_health.record_refused(
        table,
        store.shop_id,
        "shopify",
        "orders/paid",
        old.strftime("%Y-%m-%dT%H"),
        "signature",
        "old",
        clock.iso(old),
        0,
    )
    row = _row(table, store, "orders/paid")
    assert row["refused_signature"] == 0 and row["last_received"] == clock.iso(old)


def test_a_generic_delivery_is_recorded_under_its_type(api, table):
    shop, _ = api.create_shop()
    body = json.dumps(signers.generic_event("order.created", "o-9")).encode()
    headers = signers.standard_headers(shop["webhook_secret"], body)
    assert api.request("POST", f"/webhooks/generic/{shop['shop_id']}", raw=body, headers=headers).status_code == 200
    rows = {r["topic"]: r for r in health(table, "generic", shop["shop_id"])["topics"]}
    assert rows["order.created"]["last_accepted"] and rows["order.refunded"]["last_accepted"] is None


def test_a_failing_health_write_never_fails_the_delivery(store, table, monkeypatch):
    from chalicelib import errors
    from chalicelib.store import webhook_health

    def broken(*_: Any, **__: Any) -> None:
        raise errors.RetryLater("throttled")

    monkeypatch.setattr(webhook_health, "record_accepted", broken)
    response = store.send("orders/create", signers.fixture("shopify_order.json"))
    assert response.status_code == 200 and response.json["status"] == "accepted"


def test_the_generic_topics_of_the_health_panel_are_the_events_the_generic_webhook_takes():
    from typing import get_args

    from chalicelib.webhook_health import TOPICS
    from chalicelib.webhooks.standard import GenericEnvelope

    assert set(TOPICS["generic"]) == set(get_args(GenericEnvelope.model_fields["type"].annotation))
