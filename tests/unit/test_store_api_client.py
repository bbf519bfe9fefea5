"""The due work's client of a connected store: each way a store can fail maps to one typed, honest failure.

Retryable (the same call may pass later, and the store may say when): Shopify's cost throttle, a 429 with
Retry-After, a 5xx, no answer. Not retryable: a refused credential, a missing route, an answer of the wrong shape."""

from __future__ import annotations

import pytest

from chalicelib.connections.api import ShopifyApi, StoreCallFailed, WooCommerceApi, store_api
from chalicelib.store import connections as records
from chalicelib.store.shop_records import get_shop
from tests.stand_ins.fixtures import CK, CS, SHOPIFY_DOMAIN, TOKEN, WOO_HOST, connect

SHOP_QUERY = "{ shop { myshopifyDomain } }"


@pytest.fixture
def shopify_api(api, shopify, shopify_shop, table) -> ShopifyApi:
    assert connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}}).status_code == 200
    client = store_api(table, get_shop(table, shopify_shop[0]))
    assert isinstance(client, ShopifyApi)
    return client


@pytest.fixture
def woo_api(api, woo, woo_shop, table) -> WooCommerceApi:
    assert connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}}).status_code == 200
    client = store_api(table, get_shop(table, woo_shop[0]))
    assert isinstance(client, WooCommerceApi)
    return client


def test_a_connected_shop_gets_a_client_at_the_host_its_credential_was_checked_at(shopify_api, shopify):
    assert shopify_api.host == SHOPIFY_DOMAIN
    assert shopify_api.graphql(SHOP_QUERY) == {
        "shop": {"myshopifyDomain": SHOPIFY_DOMAIN, "primaryDomain": {"host": "trailsummit.example"}}
    }
    asked = shopify.requests[-1]
    assert asked.headers["x-shopify-access-token"] == TOKEN and "/2026-10/" in asked.path


def test_a_shop_without_a_connection_has_no_client(api, shopify_shop, table):
    assert store_api(table, get_shop(table, shopify_shop[0])) is None


def test_shopifys_throttle_is_retryable_after_the_wait_its_cost_extension_implies(shopify_api, shopify):
    # A mutation costs 10 points, 4 are left, and 100 come back a second: it fits again in one second
    shopify.tokens[TOKEN].available = 4.0
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql("mutation { shop { id } }")
    assert failed.value.kind == "throttled" and failed.value.retryable
    assert failed.value.retry_after == 1.0
    shopify.query_cost = 1000.0  # a costly query with nothing left waits for its whole cost to be restored
    shopify.tokens[TOKEN].available = 0.0
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql("mutation { shop { id } }")
    assert failed.value.retry_after == 10.0


@pytest.mark.parametrize(
    ("status", "headers", "kind", "retry_after"),
    [
        (429, {"Retry-After": "2.0"}, "throttled", 2.0),
        (429, {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, "throttled", None),  # a date is no advice
        (429, {"Retry-After": "86400"}, "throttled", None),  # beyond an hour: not taken at its word
        (503, {"Retry-After": "30"}, "unavailable", 30.0),
        (500, {}, "unavailable", None),
    ],
)
def test_a_429_or_a_5xx_is_retryable_with_the_stores_own_advice(
    shopify_api, shopify, status, headers, kind, retry_after
):
    shopify.fail_next.append((status, headers))
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql(SHOP_QUERY)
    assert (failed.value.kind, failed.value.retryable, failed.value.retry_after) == (kind, True, retry_after)
    assert shopify_api.graphql(SHOP_QUERY)["shop"]["myshopifyDomain"] == SHOPIFY_DOMAIN  # and the next one passes


def test_a_revoked_token_is_refused_and_not_retryable(shopify_api, shopify):
    del shopify.tokens[TOKEN]
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql(SHOP_QUERY)
    assert failed.value.kind == "refused" and not failed.value.retryable


def test_a_graphql_error_other_than_the_throttle_is_unexpected_not_retried(shopify_api):
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql("{ noSuchField { id } }")
    assert failed.value.kind == "unexpected" and not failed.value.retryable
    assert "noSuchField" in failed.value.reason


def test_a_store_that_does_not_answer_is_retryable(shopify_api, shopify):
    shopify.close()
    with pytest.raises(StoreCallFailed) as failed:
        shopify_api.graphql(SHOP_QUERY)
    assert failed.value.kind == "unavailable" and failed.value.retryable


def test_woocommerce_answers_are_read_and_a_missing_route_is_not_found(woo_api, woo):
    status, body = woo_api.request("GET", "/system_status")
    assert status == 200 and body["environment"]["home_url"] == f"https://{WOO_HOST}"
    with pytest.raises(StoreCallFailed) as failed:
        woo_api.request("GET", "/no-such-thing")
    assert failed.value.kind == "not_found" and not failed.value.retryable
    woo.fail_next.append((502, {}))
    with pytest.raises(StoreCallFailed) as failed:
        woo_api.request("GET", "/system_status")
    assert failed.value.kind == "unavailable" and failed.value.retryable


def test_a_failure_is_counted_on_the_connection_and_the_last_one_kept(shopify_api, shopify_shop, table):
    for n in range(2):
        records.note_failure(
            table,
            shopify_shop[0],
            {"at": f"2026-01-0{n + 1}T00:00:00Z", "what": "ratings", "kind": "throttled", "reason": "r"},
        )
    item = records.get_connection(table, shopify_shop[0])
    assert item["failure_count"] == 2 and item["last_failure"]["at"] == "2026-01-02T00:00:00Z"


def test_a_failure_after_the_connection_is_gone_writes_nothing(api, shopify_shop, table):
    records.note_failure(table, shopify_shop[0], {"at": "x", "what": "ratings", "kind": "refused", "reason": "r"})
    assert records.get_connection(table, shopify_shop[0]) is None
