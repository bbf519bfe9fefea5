"""A shop's store connection, through HTTP, against loopback stand-ins of Shopify's and WooCommerce's APIs.

The credential is checked against the store (whose store, what it may do), kept sealed, and never seen again: not in
an answer, a log line or the table."""

from __future__ import annotations

import json

import pytest

from chalicelib.store import keys
from tests.stand_ins.fixtures import (
    ALL_SCOPES,
    CK,
    CS,
    OTHER_TOKEN,
    REVOKED,
    SHOP_HOST,
    SHOPIFY_DOMAIN,
    SHOPIFY_TOPICS,
    TOKEN,
    WOO_HOST,
    WOO_TOPICS,
    connect,
    scan,
)


def test_a_shopify_token_is_checked_at_the_shops_myshopify_domain_and_its_missing_scope_named(
    api, shopify, shopify_shop
):
    # When the owner pastes the app's access token
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    # Then the store was asked at its myshopify.com domain, with the token in Shopify's header
    assert response.status_code == 200, response.body
    asked = shopify.requests[0]  # the check comes first; registering the webhooks follows (test_store_webhooks.py)
    assert asked.method == "POST" and asked.path.endswith("/graphql.json") and asked.path.startswith("/admin/api/")
    assert asked.headers["host"] == SHOPIFY_DOMAIN and asked.headers["x-shopify-access-token"] == TOKEN
    assert "myshopifyDomain" in json.loads(asked.body)["query"]
    # And the answer names the store, the scopes, what is missing and for what, and the webhooks registered
    assert response.json == {
        "platform": "shopify",
        "store": SHOPIFY_DOMAIN,
        "scopes": ["read_orders", "read_products", "write_discounts"],
        "missing_scopes": [{"scope": "write_products", "needed_for": response.json["missing_scopes"][0]["needed_for"]}],
        "webhooks": [{"topic": t, "status": "registered"} for t in SHOPIFY_TOPICS],
        "manual_topics": ["customers/data_request", "customers/redact", "shop/redact"],
        "failures": {"count": 0, "last": None},
    }
    assert "reviews.rating" in response.json["missing_scopes"][0]["needed_for"]
    assert response.headers["Cache-Control"] == "no-store"
    assert TOKEN not in response.body.decode()


def test_a_write_scope_counts_for_its_read_scope(api, shopify, shopify_shop):
    shopify.tokens[TOKEN].scopes = ALL_SCOPES
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 200 and response.json["missing_scopes"] == []


def test_a_woocommerce_key_pair_is_checked_against_the_stores_system_status(api, woo, woo_shop):
    response = connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}})
    assert response.status_code == 200, response.body
    assert response.json == {
        "platform": "woocommerce",
        "store": WOO_HOST,
        "scopes": ["read"],
        "missing_scopes": [],
        "webhooks": [{"topic": t, "status": "registered"} for t in WOO_TOPICS],
        "manual_topics": [],
        "failures": {"count": 0, "last": None},
    }
    asked = woo.requests[0]
    assert asked.path == "/wp-json/wc/v3/system_status" and asked.headers["host"] == WOO_HOST
    assert asked.headers["authorization"].startswith("Basic ") and CS not in asked.path


def test_a_revoked_token_is_credential_refused_and_nothing_is_kept(api, shopify, shopify_shop, table):
    response = connect(api, shopify_shop, {"shopify": {"access_token": REVOKED}})
    assert response.status_code == 422 and response.json["error"]["code"] == "credential_refused"
    assert table.get(keys.connection_key(shopify_shop[0])) is None


def test_a_refused_woocommerce_key_is_credential_refused(api, woo, woo_shop):
    response = connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": "cs_" + "0" * 40}})
    assert response.status_code == 422 and response.json["error"]["code"] == "credential_refused"


def test_a_token_of_another_store_is_other_store(api, shopify, shopify_shop, table):
    response = connect(api, shopify_shop, {"shopify": {"access_token": OTHER_TOKEN}})
    assert response.status_code == 409 and response.json["error"]["code"] == "other_store"
    assert table.get(keys.connection_key(shopify_shop[0])) is None


def test_a_woocommerce_site_on_another_domain_is_other_store(api, woo, woo_shop):
    woo.keys[(CK, CS)] = "https://elsewhere.example/shop"
    response = connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}})
    assert response.status_code == 409 and response.json["error"]["code"] == "other_store"


def test_an_unreachable_store_is_a_503_not_a_502(api, shopify, shopify_shop):
    shopify.close()  # nothing listens any more
    response = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 503 and response.json["error"]["code"] == "store_unreachable"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"shopify": {"access_token": TOKEN}, "woocommerce": {"consumer_key": CK, "consumer_secret": CS}},
        {"shopify": {"access_token": "not-a-token"}},
        {"shopify": {"access_token": TOKEN, "scope": "all"}},
        {"woocommerce": {"consumer_key": CK}},
        {"magento": {"token": "x"}},
    ],
)
def test_a_body_that_is_not_exactly_one_wellformed_credential_is_422(api, shopify, shopify_shop, body):
    response = connect(api, shopify_shop, body)
    assert response.status_code == 422
    assert shopify.requests == []


def test_a_credential_of_the_other_platform_is_refused_before_asking_anyone(api, shopify, shopify_shop):
    response = connect(api, shopify_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}})
    assert response.status_code == 422 and response.json["error"]["code"] == "platform_mismatch"
    assert shopify.requests == []


def test_a_shopify_shop_without_a_myshopify_domain_is_told_to_add_it(api, shopify):
    body, key = api.create_shop(platform="shopify", domains=[SHOP_HOST])
    response = connect(api, (body["shop_id"], key), {"shopify": {"access_token": TOKEN}})
    assert response.status_code == 422 and response.json["error"]["code"] == "no_myshopify_domain"
    assert shopify.requests == []


def test_get_answers_the_connection_without_the_secret_and_delete_forgets_it(api, shopify, shopify_shop, table):
    shop_id, key = shopify_shop
    assert api.request("GET", f"/shops/{shop_id}/connection", token=key).json["error"]["code"] == "not_connected"
    put = connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    asked = len(shopify.requests)
    got = api.request("GET", f"/shops/{shop_id}/connection", token=key)
    assert got.status_code == 200 and got.json == put.json and TOKEN not in got.body.decode()
    assert len(shopify.requests) == asked  # reading it asks the store nothing
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204
    assert api.request("GET", f"/shops/{shop_id}/connection", token=key).status_code == 404
    assert table.get(keys.connection_key(shop_id)) is None
    assert api.request("DELETE", f"/shops/{shop_id}/connection", token=key).status_code == 204  # idempotent


def test_another_owner_cannot_read_or_replace_the_connection(api, shopify, shopify_shop):
    _, other_key = api.create_shop()
    shop_id = shopify_shop[0]
    assert api.request("GET", f"/shops/{shop_id}/connection", token=other_key).status_code in (401, 403, 404)
    assert connect(api, (shop_id, other_key), {"shopify": {"access_token": TOKEN}}).status_code in (401, 403, 404)


def test_the_table_holds_no_woocommerce_secret_in_plain_text(api, woo, woo_shop, table):
    assert connect(api, woo_shop, {"woocommerce": {"consumer_key": CK, "consumer_secret": CS}}).status_code == 200
    dump = scan(table)
    assert CK not in dump and CS not in dump and CS[3:] not in dump


def test_the_table_holds_no_credential_in_plain_text(api, shopify, shopify_shop, table):
    assert connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}}).status_code == 200
    dump = scan(table)
    assert TOKEN not in dump and TOKEN[6:] not in dump
    item = table.get(keys.connection_key(shopify_shop[0]))
    assert item["scheme"] == "aes-256-gcm/hkdf-sha256/v1" and item["sealed"]


def test_the_sealed_credential_opens_for_its_shop_only_and_each_write_takes_a_new_nonce(
    api, shopify, shopify_shop, table
):
    from chalicelib import errors
    from chalicelib.connections import sealing

    shop_id = shopify_shop[0]
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    first = table.get(keys.connection_key(shop_id))["sealed"]
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    second = table.get(keys.connection_key(shop_id))["sealed"]
    assert first != second
    assert sealing.unseal(shop_id, "shopify", second) == {"access_token": TOKEN}
    with pytest.raises(errors.NotConfigured):
        sealing.unseal("another-shop", "shopify", second)
    with pytest.raises(errors.NotConfigured):
        sealing.unseal(shop_id, "woocommerce", second)


def test_erasing_the_shop_forgets_the_credential_at_once(api, shopify, shopify_shop, table):
    from chalicelib.privacy import request_shop_redaction
    from chalicelib.store.shop_records import get_shop

    shop_id = shopify_shop[0]
    assert connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}}).status_code == 200
    assert request_shop_redaction(table, get_shop(table, shop_id)) == "applied"
    assert table.get(keys.connection_key(shop_id)) is None
    assert TOKEN not in scan(table)


def test_the_credential_never_reaches_a_log_line(api, shopify, shopify_shop, capfd, caplog):
    connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}})
    connect(api, shopify_shop, {"shopify": {"access_token": REVOKED}})
    shopify.close()
    assert connect(api, shopify_shop, {"shopify": {"access_token": TOKEN}}).status_code == 503  # logs a warning
    out, err = capfd.readouterr()
    records = json.dumps([vars(r) for r in caplog.records], default=str)
    assert "store_unreachable" in records  # the logs were captured, with their extra fields
    for secret in (TOKEN, REVOKED, TOKEN[6:]):
        assert secret not in out + err + caplog.text + records
